"""Backpropagation through time against central differences, the reverse-mode engine and
torch.autograd, on random recurrent architectures; the seeds axis, the mask, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import gradcheck
from backprop import recurrent as rnn
from backprop.autodiff import reverse as g
from backprop.backend import get_backend

from .conftest import BACKENDS, need
from .strategies import COSTS, ELEMENTWISE

PAIRED = {"softmax_cross_entropy": "softmax", "binary_cross_entropy": "logistic"}


@st.composite
def problems(draw, seeds=(None, 1, 3)):
    """``(net, params, xs, targets, mask, h0, rng)``: a random recurrent network (sizes, hidden and
    output activations, cost), its weights, T steps of inputs (examples as columns), targets,
    a mask or None, an initial state or None, and the generator that drew them. float64 numpy."""
    n_in, n_hidden, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    cost = draw(st.sampled_from(COSTS))
    output = PAIRED.get(cost) or draw(st.sampled_from(ELEMENTWISE))
    if cost == "softmax_cross_entropy":
        n_out = max(n_out, 2)
    net = rnn.RecurrentNet(n_in, n_hidden, n_out, activation=draw(st.sampled_from(ELEMENTWISE)),
                           output=output, cost=cost)
    T, m = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = net.init_params(rng, scale=1.0, seeds=draw(st.sampled_from(seeds)))
    xs = rng.standard_normal((T, n_in, m))
    if cost == "softmax_cross_entropy":
        targets = np.eye(n_out)[:, rng.integers(0, n_out, (T, m))].transpose(1, 0, 2)  # (T, O, m)
    else:
        targets = rng.uniform(0, 1, (T, n_out, m))
    mask_shape = draw(st.sampled_from([None, (T, 1, m), (T, 1, 1), (T, n_out, m)]))
    mask = None if mask_shape is None else (rng.random(mask_shape) < 0.6).astype(float)
    if cost == "softmax_cross_entropy" and mask_shape == (T, n_out, m):
        mask = np.repeat(mask[:, :1], n_out, axis=1)  # a softmax column is counted whole or not at all
    h0 = rng.standard_normal((n_hidden, m)) if draw(st.booleans()) else None
    return net, params, xs, targets, mask, h0, rng


def near_relu_kink(net, params, xs, h0, distance: float) -> bool:
    """Whether a ReLU's input lies within ``distance`` of its kink (a difference quotient there measures nothing)."""
    _, cache = rnn.forward(net, params, xs, h0)
    h = cache["h"]
    z_h = params["W_hh"][..., None, :, :] @ h[..., :-1, :, :] + params["W_xh"][..., None, :, :] @ xs \
        + params["b_h"][..., None, :, :]
    near = net.activation.name == "relu" and np.abs(z_h).min() < distance
    return bool(near or (net.output.name == "relu" and np.abs(cache["z_y"]).min() < distance))


TERMS = {  # each cost's terms, written out again for the engine: their sum is the cost
    "half_squared_error": lambda z, a, y: 0.5 * (a - y) ** 2,
    "binary_cross_entropy": lambda z, a, y: g.logaddexp(g.zeros_like(z), z) - y * z,
    "softmax_cross_entropy": lambda z, a, y: -y * (z - g.logsumexp(z, axis=-2, keepdims=True)),
}


def unrolled_program(net, xs, targets, mask, h0, untied: bool = False):
    """The unrolled network as a program of the engine's primitives, ``C(p)``. With ``untied``, the
    recurrent weights of step t are their own parameter ``W_hh@t``: the copies made explicit."""
    T, _, m = xs.shape
    mask = np.ones_like(targets) if mask is None else np.broadcast_to(mask, targets.shape)
    terms = TERMS[net.cost.name]

    def C(p):
        h = np.zeros((net.n_hidden, m)) if h0 is None else h0
        total = 0.0
        for t in range(T):
            W_hh = p[f"W_hh@{t}"] if untied else p["W_hh"]
            h = net.activation.f(W_hh @ h + p["W_xh"] @ xs[t] + p["b_h"], g)
            z = p["W_hy"] @ h + p["b_y"]
            total = total + g.sum(mask[t] * terms(z, net.output.f(z, g), targets[t]))
        return total

    return C


def max_relative(a: dict, b: dict) -> float:
    scale = max(float(np.max(np.abs(b[k]))) for k in b)
    return max(float(np.max(np.abs(bp.to_numpy(a[k]) - b[k]))) for k in b) / max(scale, 1e-300)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("device", BACKENDS)
@SETTINGS
@given(problem=problems())
def test_bptt_equals_central_differences(device, problem):
    net, params, xs, targets, mask, h0, rng = problem
    assume(not near_relu_kink(net, params, xs, h0, 1e-2))
    be = get_backend(device)
    params, xs, targets = be.tree(params), be.asarray(xs), be.asarray(targets)
    h0 = None if h0 is None else be.asarray(h0)
    _, grads = rnn.loss_and_grads(net, params, xs, targets, mask, h0)
    cost = lambda p: rnn.loss(net, p, xs, targets, mask, h0, check=False)  # noqa: E731
    errors = gradcheck.directional_errors(cost, params, grads, rng)
    assert errors.max() <= 1e-6, f"{net}: relative errors {errors}"


@SETTINGS
@given(problem=problems())
def test_bptt_equals_the_reverse_mode_engine(problem):
    net, params, xs, targets, mask, h0, _ = problem
    C_bptt, grads = rnn.loss_and_grads(net, params, xs, targets, mask, h0)
    C_engine, expected = g.value_and_grad(unrolled_program(net, xs, targets, mask, h0))(params)
    assert float(np.sum(C_bptt)) == pytest.approx(float(C_engine), rel=1e-12, abs=1e-12)
    assert max_relative(grads, expected) < 1e-9, net


@pytest.mark.parametrize("device", BACKENDS)
@SETTINGS
@given(problem=problems())
def test_bptt_equals_torch_autograd(device, problem):
    torch = need("torch", "torch.autograd is the reference")
    net, params, xs, targets, mask, h0, _ = problem
    be, cpu = get_backend(device), get_backend("cpu")
    _, grads = rnn.loss_and_grads(net, be.tree(params), be.asarray(xs), be.asarray(targets), mask,
                                  None if h0 is None else be.asarray(h0))
    as_t = lambda a: None if a is None else torch.as_tensor(a, dtype=torch.float64)  # noqa: E731
    expected = gradcheck.autograd_grads(
        lambda p: rnn.loss(net, p, as_t(xs), as_t(targets), as_t(mask), as_t(h0), check=False), params)
    assert set(grads) == set(expected)
    for k in expected:
        np.testing.assert_allclose(bp.to_numpy(grads[k]), expected[k], rtol=1e-9, atol=1e-12, err_msg=f"{net}: {k}")


@SETTINGS
@given(problem=problems(seeds=(None,)))
def test_the_gradient_of_a_shared_weight_is_the_sum_over_its_copies(problem):
    """Untie the recurrent weights (one parameter per step, all equal): the engine's gradient of
    each copy is that copy's term, and their sum is the BPTT gradient of the shared matrix."""
    net, params, xs, targets, mask, h0, _ = problem
    T = xs.shape[0]
    untied = {k: v for k, v in params.items() if k != "W_hh"} | {f"W_hh@{t}": params["W_hh"] for t in range(T)}
    _, per_copy = g.value_and_grad(unrolled_program(net, xs, targets, mask, h0, untied=True))(untied)
    _, cache = rnn.forward(net, params, xs, h0)
    _, delta_y = rnn.cost_and_delta(net, cache, targets, mask)
    terms = rnn.copy_gradients(net, params, cache, delta_y)["W_hh"]  # (T, H, H)
    scale = max(float(np.abs(terms).max()), 1e-300)
    for t in range(T):
        assert np.abs(per_copy[f"W_hh@{t}"] - terms[t]).max() <= 1e-9 * scale
    grads = rnn.backward(net, params, cache, delta_y)
    np.testing.assert_allclose(sum(per_copy[f"W_hh@{t}"] for t in range(T)), grads["W_hh"], rtol=1e-9, atol=1e-12 * scale)


@SETTINGS
@given(problem=problems(seeds=(3,)))
def test_each_seed_is_its_own_network(problem):
    net, params, xs, targets, mask, h0, _ = problem
    C, grads = rnn.loss_and_grads(net, params, xs, targets, mask, h0)
    ys, _ = rnn.forward(net, params, xs, h0)
    assert C.shape == (3,) and ys.shape == (3,) + targets.shape
    for s in range(3):
        one = {k: v[s] for k, v in params.items()}
        C_s, grads_s = rnn.loss_and_grads(net, one, xs, targets, mask, h0)
        assert float(C[s]) == pytest.approx(float(C_s), rel=1e-12, abs=1e-300)
        for k in grads:
            np.testing.assert_allclose(grads[k][s], grads_s[k], rtol=1e-12, atol=1e-15)


def test_the_forward_pass_is_the_recurrence(rng):
    net = rnn.RecurrentNet(2, 3, 1, activation="tanh", output="identity")
    p = net.init_params(rng)
    xs = rng.standard_normal((4, 2, 5))
    ys, cache = rnn.forward(net, p, xs)
    h = np.zeros((3, 5))
    for t in range(4):
        h = np.tanh(p["W_hh"] @ h + p["W_xh"] @ xs[t] + p["b_h"])
        np.testing.assert_allclose(ys[t], p["W_hy"] @ h + p["b_y"], rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(cache["h"][t + 1], h, rtol=1e-14, atol=1e-15)
    assert ys.shape == (4, 1, 5) and cache["h"].shape == (5, 3, 5)


def test_the_mask_counts_only_the_steps_with_targets(rng):
    net = rnn.RecurrentNet(2, 4, 2)
    p = net.init_params(rng, seeds=2)
    xs, targets = rng.standard_normal((5, 2, 3)), rng.uniform(size=(5, 2, 3))
    last = np.zeros((5, 1, 1))
    last[-1] = 1.0  # a target at the last step only, the sequence tasks' case
    C, grads = rnn.loss_and_grads(net, p, xs, targets, last)
    ys, _ = rnn.forward(net, p, xs)
    np.testing.assert_allclose(C, 0.5 * np.sum((ys[:, -1] - targets[-1]) ** 2, axis=(-2, -1)), rtol=1e-13)
    other = targets.copy()
    other[:-1] = rng.uniform(size=(4, 2, 3))  # the targets where the mask is 0 do not matter
    C2, grads2 = rnn.loss_and_grads(net, p, xs, other, last)
    np.testing.assert_array_equal(C, C2)
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads2[k])
    C1, grads1 = rnn.loss_and_grads(net, p, xs, targets, np.ones((5, 2, 3)))
    C0, grads0 = rnn.loss_and_grads(net, p, xs, targets)
    np.testing.assert_allclose(C1, C0, rtol=1e-15)
    for k in grads:
        np.testing.assert_allclose(grads1[k], grads0[k], rtol=1e-15)


def test_the_architecture(rng):
    net = rnn.RecurrentNet(3, 4, 2, activation="tanh", output="softmax", cost="softmax_cross_entropy")
    assert repr(net) == ("RecurrentNet(3, 4, 2, activation='tanh', output='softmax', "
                         "cost='softmax_cross_entropy')")
    assert net.param_shapes() == {"W_xh": (4, 3), "W_hh": (4, 4), "b_h": (4, 1), "W_hy": (2, 4), "b_y": (2, 1)}
    assert net.n_params() == 12 + 16 + 4 + 8 + 2
    p = net.init_params(rng, scale=0.25, seeds=5)
    assert {k: v.shape for k, v in p.items()} == {k: (5,) + s for k, s in net.param_shapes().items()}
    assert all(np.abs(v).max() <= 0.25 for v in p.values())
    same = net.init_params(np.random.default_rng(1), seeds=2)
    again = net.init_params(np.random.default_rng(1), seeds=2, dtype="float32")
    assert all(again[k].dtype == np.float32 and np.allclose(again[k], same[k]) for k in same)


def test_the_same_network_on_torch(rng):
    torch = need("torch", "the torch backend")
    net = rnn.RecurrentNet(2, 3, 2, activation="tanh", output="logistic", cost="binary_cross_entropy")
    p = net.init_params(np.random.default_rng(7), seeds=2)
    pt = net.init_params(np.random.default_rng(7), seeds=2, backend="cpu")
    assert all(isinstance(v, torch.Tensor) for v in pt.values())
    xs, targets = rng.standard_normal((3, 2, 4)), rng.uniform(size=(3, 2, 4))
    C, grads = rnn.loss_and_grads(net, p, xs, targets)
    cpu = get_backend("cpu")
    Ct, grads_t = rnn.loss_and_grads(net, pt, cpu.asarray(xs), cpu.asarray(targets), cpu.asarray(np.ones((3, 1, 4))))
    np.testing.assert_allclose(bp.to_numpy(Ct), C, rtol=1e-13)
    for k in grads:
        np.testing.assert_allclose(bp.to_numpy(grads_t[k]), grads[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("change, message", [
    (dict(xs=np.zeros((4, 3, 5))), r"xs has shape \(4, 3, 5\); expected \(T, 2, m\)"),
    (dict(xs=np.zeros((2, 5))), r"xs has shape \(2, 5\)"),
    (dict(targets=np.zeros((4, 1, 5))), r"targets has shape \(4, 1, 5\); expected \(4, 2, 5\)"),
    (dict(targets=np.zeros((3, 2, 5))), r"targets has shape"),
    (dict(mask=np.zeros((3, 1, 5))), r"mask has shape \(3, 1, 5\)"),
    (dict(h0=np.zeros((3, 4))), r"h0 has shape \(3, 4\); expected \(3, 5\)"),
    (dict(W_hh=np.zeros((3, 2))), r"params\['W_hh'\] has shape \(3, 2\)"),
])
def test_a_wrong_shape_is_named(rng, change, message):
    net = rnn.RecurrentNet(2, 3, 2)
    args = dict(params=net.init_params(rng), xs=rng.standard_normal((4, 2, 5)),
                targets=rng.uniform(size=(4, 2, 5)), mask=None, h0=None)
    if "W_hh" in change:
        args["params"]["W_hh"] = change.pop("W_hh")
    args.update(change)
    with pytest.raises(ValueError, match=message):
        rnn.loss_and_grads(net, args["params"], args["xs"], args["targets"], args["mask"], args["h0"])


@pytest.mark.parametrize("where", ["xs", "targets", "mask", "h0", "params['W_xh']"])
def test_nan_is_named(rng, where):
    net = rnn.RecurrentNet(2, 3, 2)
    arrays = dict(params=net.init_params(rng), xs=rng.standard_normal((4, 2, 5)),
                  targets=rng.uniform(size=(4, 2, 5)), mask=np.ones((4, 1, 5)), h0=np.zeros((3, 5)))
    bad = arrays["params"]["W_xh"] if where.startswith("params") else arrays[where]
    bad[(0,) * bad.ndim] = np.nan
    with pytest.raises(ValueError, match=rf"{__import__('re').escape(where)} contains NaN or inf \(1 entries"):
        rnn.loss_and_grads(net, arrays["params"], arrays["xs"], arrays["targets"], arrays["mask"], arrays["h0"])
    if where in ("xs", "h0"):
        with pytest.raises(ValueError, match=f"{where} contains NaN"):
            rnn.forward(net, arrays["params"], arrays["xs"], arrays["h0"])


def test_an_architecture_that_cannot_work_is_refused():
    with pytest.raises(ValueError, match="positive integers"):
        rnn.RecurrentNet(2, 0, 1)
    with pytest.raises(ValueError, match="needs a softmax output"):
        rnn.RecurrentNet(2, 3, 2, output="logistic", cost="softmax_cross_entropy")
    with pytest.raises(ValueError, match="hidden activation softmax"):
        rnn.RecurrentNet(2, 3, 2, activation="softmax")
    net = rnn.RecurrentNet(2, 3, 2, output="softmax", cost="softmax_cross_entropy")
    rng = np.random.default_rng(0)
    mask = np.ones((4, 2, 5))
    mask[0, 0, 0] = 0.0  # one unit of a softmax column masked, the other not: no such cost term
    with pytest.raises(ValueError, match="same for every output unit"):
        rnn.loss_and_grads(net, net.init_params(rng), rng.standard_normal((4, 2, 5)),
                           np.full((4, 2, 5), 0.5), mask)


@pytest.mark.cuda
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_bptt_on_cuda_equals_numpy(problem):
    net, params, xs, targets, mask, h0, _ = problem
    cuda = get_backend("cuda")
    C, grads = rnn.loss_and_grads(net, params, xs, targets, mask, h0)
    C_gpu, grads_gpu = rnn.loss_and_grads(net, cuda.tree(params), cuda.asarray(xs), cuda.asarray(targets), mask,
                                          None if h0 is None else cuda.asarray(h0))
    np.testing.assert_allclose(bp.to_numpy(C_gpu), C, rtol=1e-10, atol=1e-12)
    for k in grads:
        np.testing.assert_allclose(bp.to_numpy(grads_gpu[k]), grads[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_a_softmax_column_is_counted_once_whatever_the_mask_shape(rng):
    """Softmax cross-entropy has one term per step and example: a mask given per unit (the same
    for every unit) must count it once, not once per unit (a bug the chapter's cross-check found)."""
    net = rnn.RecurrentNet(2, 3, 3, output="softmax", cost="softmax_cross_entropy")
    p = net.init_params(rng)
    xs = rng.standard_normal((4, 2, 5))
    targets = np.eye(3)[:, rng.integers(0, 3, (4, 5))].transpose(1, 0, 2)
    column = (rng.random((4, 1, 5)) < 0.5).astype(float)
    C_column, grads_column = rnn.loss_and_grads(net, p, xs, targets, column)
    C_units, grads_units = rnn.loss_and_grads(net, p, xs, targets, np.repeat(column, 3, axis=1))
    assert float(C_units) == pytest.approx(float(C_column), rel=1e-14)
    for k in grads_column:
        np.testing.assert_allclose(grads_units[k], grads_column[k], rtol=1e-14)
