"""The reverse-mode engine: every primitive's rules (its VJPs, and its JVPs for forward mode),
whole networks, deep chains, clear errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import dense, gradcheck
from backprop.autodiff import forward as forward_mode, reverse as graph
from backprop.backend import get_backend, torch_available
from backprop.autodiff.rules import RULES, Rule

from .conftest import BACKENDS
from .strategies import near_relu_kink, networks

BUILTIN = sorted(RULES)  # the table as shipped (tests never add to it permanently)


# -- one random case per primitive: (inputs, keyword arguments), float64 numpy ----------------

def _shape(draw, min_dims=1, max_dims=3):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims)))


def _broadcast_partner(draw, shape):
    """A shape that broadcasts against ``shape``: some axes set to 1, some leading axes dropped."""
    partner = [1 if draw(st.booleans()) else n for n in shape]
    return tuple(partner[draw(st.integers(0, len(shape) - 1)):])


def _axis(draw, ndim):
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))


def _distinct(rng, shape):
    """Values at least 0.1 apart: a maximum without near-ties, so differences see one winner."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape)


def case(name, draw, rng):
    normal = lambda s: rng.standard_normal(s)  # noqa: E731
    positive = lambda s: rng.uniform(0.5, 2.0, s)  # noqa: E731
    if name in ("add", "subtract", "multiply", "divide", "power", "maximum", "logaddexp"):
        a = _shape(draw)
        b = _broadcast_partner(draw, a)
        if draw(st.booleans()):
            a, b = b, a
        x, y = normal(a), normal(b)
        if name == "divide":
            y = np.sign(y) * (np.abs(y) + 0.5)
        if name == "power":
            x = positive(a)
        if name == "maximum":
            assume(np.abs(np.subtract(x, y)).min() > 1e-2)
        return [x, y], {}
    if name == "matmul":
        n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
        lead = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))
        a, b = lead + (n, k), (k, m)
        if draw(st.booleans()):
            a, b = (n, k), lead + (k, m)
        return [normal(a), normal(b)], {}
    if name in ("exp", "tanh", "sin", "cos", "negative"):
        return [normal(_shape(draw))], {}
    if name in ("log", "sqrt"):
        return [positive(_shape(draw))], {}
    if name == "abs":
        x = normal(_shape(draw))
        return [np.sign(x) * (np.abs(x) + 0.1)], {}
    if name in ("sum", "mean", "max", "logsumexp"):
        shape = _shape(draw)
        x = _distinct(rng, shape) if name == "max" else normal(shape)
        return [x], {"axis": _axis(draw, len(shape)), "keepdims": draw(st.booleans())}
    if name == "softmax":
        shape = _shape(draw)
        return [normal(shape)], {"axis": draw(st.integers(-len(shape), len(shape) - 1))}
    if name == "reshape":
        shape = _shape(draw)
        return [normal(shape)], {"shape": tuple(reversed(shape)) + (1,)}
    if name == "permute_dims":
        shape = _shape(draw)
        return [normal(shape)], {"axes": tuple(draw(st.permutations(range(len(shape)))))}
    if name == "matrix_transpose":
        return [normal(_shape(draw, min_dims=2))], {}
    if name == "getitem":
        shape = _shape(draw, min_dims=2)
        index = draw(st.sampled_from([
            (slice(None), 0),
            (slice(1, None),),
            ([0, 0, shape[0] - 1],),  # a repeated index: its adjoints add up
            (Ellipsis, slice(None, None, 2)),
        ]))
        return [normal(shape)], {"index": index}
    if name == "concat":
        shape = list(_shape(draw))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        parts = []
        for _ in range(draw(st.integers(2, 3))):
            shape[axis] = draw(st.integers(1, 3))
            parts.append(normal(tuple(shape)))
        return parts, {"axis": axis}
    raise AssertionError(f"no test case for primitive {name!r}: add one")


def test_every_primitive_has_a_test_case_and_both_rules_for_each_input():
    """Reverse mode needs a VJP and forward mode a JVP for every input of every primitive
    (a variadic one has one of each, told the input's position)."""
    rng = np.random.default_rng(0)
    n_inputs = {}

    @settings(max_examples=1, deadline=None)
    @given(st.data())
    def probe(data):
        for name in BUILTIN:
            n_inputs[name] = len(case(name, data.draw, rng)[0])

    probe()
    for name in BUILTIN:
        rule = RULES[name]
        for rules in (rule.vjps, rule.jvps):
            assert rules is not None and len(rules) == (1 if rule.variadic else n_inputs[name]), name
        assert all(callable(rule.vjp(i)) and callable(rule.jvp(i)) for i in range(n_inputs[name])), name


def run_primitive(name, inputs, kwargs):
    """The primitive applied to a list of inputs, as the engine's users call it."""
    return graph.Primitive(RULES[name])(*inputs, **kwargs)


def five_point(f, h=1e-4):
    return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("name", BUILTIN)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_vjp_and_jvp_rules_equal_central_differences(device, name, data):
    """Along a random direction u, with a random adjoint g of the output:
    <vjp(g), u> == d/dt <g, op(x + t u)> == <g, jvp(u)> (five-point differences), and the two
    rules agree to rounding, <J^T g, u> == <g, J u>: each is the transpose of the other."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    inputs, kwargs = case(name, data.draw, rng)
    be = get_backend(device)
    xs = {f"x{j}": be.asarray(x) for j, x in enumerate(inputs)}
    u = {k: be.asarray(rng.standard_normal(tuple(x.shape))) for k, x in xs.items()}
    f = lambda p: run_primitive(name, [p[k] for k in xs], kwargs)  # noqa: E731
    out = f(xs)
    g = be.asarray(rng.standard_normal(tuple(out.shape)))

    def along(t):
        moved = f({k: x + t * u[k] for k, x in xs.items()})
        return float(np.sum(bp.to_numpy(moved) * bp.to_numpy(g)))

    numeric = five_point(along)
    _, adjoints = graph.vjp(f, xs, g)
    by_vjp = sum(float(np.sum(bp.to_numpy(adjoints[k]) * bp.to_numpy(u[k]))) for k in xs)
    assert abs(by_vjp - numeric) <= 1e-8 * max(1.0, abs(numeric)), (name, kwargs, by_vjp, numeric)

    value, tangent = forward_mode.jvp(f, xs, u)
    np.testing.assert_allclose(bp.to_numpy(value), bp.to_numpy(out), rtol=1e-15)
    by_jvp = float(np.sum(bp.to_numpy(tangent) * bp.to_numpy(g)))
    assert abs(by_jvp - numeric) <= 1e-8 * max(1.0, abs(numeric)), (name, kwargs, by_jvp, numeric)
    assert abs(by_jvp - by_vjp) <= 1e-12 * max(1.0, abs(by_vjp)), (name, by_jvp, by_vjp)


# -- whole networks: the engine against the matrix form and torch.autograd ------------------------

def engine_loss(net, p, x, y):
    """The network's cost written as a program of primitives: the library's own activations and
    cost, given the engine (``graph``) as their array namespace."""
    a = [x]
    for l in range(1, net.L + 1):
        z = p[f"W{l}"] @ a[l - 1] + p[f"b{l}"]
        for k in net.skips_into(l):
            z = z + p[f"W{l}_from{k}"] @ a[k]
        a.append(net.activations[l].f(z, graph))
    return graph.sum(net.cost.fn(z, a[-1], y, graph))  # summed over seeds


@pytest.mark.parametrize("device", BACKENDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=networks())
def test_engine_equals_matrix_form_and_torch_autograd(device, problem):
    """The engine's gradient is the matrix form's, and torch.autograd's where torch is installed."""
    net, params, x, y, _ = problem
    assume(not near_relu_kink(net, params, x, 1e-6))
    be = get_backend(device)
    on_backend = be.tree(params), be.asarray(x), be.asarray(y)
    C, grads = graph.value_and_grad(lambda p, x, y: engine_loss(net, p, x, y))(*on_backend)
    C_dense, grads_dense = dense.loss_and_grads(net, *on_backend)
    np.testing.assert_allclose(float(bp.to_numpy(C)), float(np.sum(bp.to_numpy(C_dense))), rtol=1e-12)
    assert set(grads) == set(grads_dense)
    for k in grads:
        assert type(grads[k]) is type(on_backend[0][k])  # the engine stays on the backend it was given
        np.testing.assert_allclose(bp.to_numpy(grads[k]), bp.to_numpy(grads_dense[k]), rtol=1e-9, atol=1e-12, err_msg=k)
    if torch_available():
        cpu = get_backend("cpu")
        C_torch = lambda p: dense.loss(net, p, cpu.asarray(x), cpu.asarray(y), check=False)  # noqa: E731
        expected = gradcheck.autograd_grads(C_torch, params)
        for k in expected:
            np.testing.assert_allclose(bp.to_numpy(grads[k]), expected[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_gradient_check_of_the_engine(rng):
    net = bp.DenseNet([3, 4, 2], activations=["tanh", "softmax"], cost="softmax_cross_entropy")
    params = net.init_params(rng)
    x, y = rng.standard_normal((3, 5)), np.eye(2)[:, [0, 1, 1, 0, 1]]
    grads = graph.grad(lambda p: engine_loss(net, p, x, y))(params)
    errors = gradcheck.directional_errors(lambda p: engine_loss(net, p, x, y), params, grads, rng)
    assert errors.max() < 1e-8


# -- the walk: shared values, order, depth -------------------------------------------------------

def test_a_value_used_twice_gets_the_sum_of_both_adjoints():
    x = np.array([[1.5, -2.0]])
    grads = graph.grad(lambda p: graph.sum(p["x"] * p["x"] + p["x"]))({"x": x})
    np.testing.assert_allclose(grads["x"], 2 * x + 1)


def test_toposort_puts_every_node_after_its_parents(rng):
    out, leaves = graph.trace(lambda p: graph.sum(graph.tanh(p["a"] @ p["b"]) * p["a"][:, :1]),
                              {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal((2, 4))})
    order = graph.toposort(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is out and len(position) == len(order)
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


def test_a_chain_of_ten_thousand_operations_has_no_recursion_limit():
    n = 10_000
    assert n > sys.getrecursionlimit()  # a recursive walk would fail here

    def chain(p):
        v = p["x"]
        for _ in range(n):
            v = graph.sin(v)
        return graph.sum(v)

    x = np.array([[1.0]])
    out, leaves = graph.trace(chain, {"x": x})
    assert len(graph.toposort(out)) == n + 2  # x, n sines, the sum
    grads = graph.grad(chain)({"x": x})
    # the same derivative by the chain rule, written out: prod cos(v_k)
    v, expected = 1.0, 1.0
    for _ in range(n):
        expected *= np.cos(v)
        v = np.sin(v)
    np.testing.assert_allclose(grads["x"], [[expected]], rtol=1e-10)
    del out, leaves  # freeing a deep graph must not overflow the C stack either


def test_constants_get_no_adjoint_and_unreached_parameters_get_zeros(rng):
    x = rng.standard_normal((2, 3))
    params = {"W": rng.standard_normal((1, 2)), "unused": rng.standard_normal((4,))}
    out, leaves = graph.trace(lambda p, x: graph.sum(p["W"] @ x), params, x)
    adjoint = graph.backward(out)
    constants = [n for n in graph.toposort(out) if n.op == "constant"]
    assert constants and all(n not in adjoint for n in constants)
    grads = graph.grad(lambda p, x: graph.sum(p["W"] @ x))(params, x)
    np.testing.assert_allclose(grads["unused"], 0.0)
    np.testing.assert_allclose(grads["W"], x.sum(axis=1, keepdims=True).T)


def test_plain_arrays_are_simply_evaluated(rng):
    x = rng.standard_normal((3, 2))
    y = graph.tanh(x) @ graph.matrix_transpose(x) + 1.0
    assert isinstance(y, np.ndarray)
    np.testing.assert_allclose(y, np.tanh(x) @ x.T + 1.0)


def test_non_scalar_outputs_need_a_seed(rng):
    params = {"W": rng.standard_normal((3, 2))}
    out, _ = graph.trace(lambda p: graph.tanh(p["W"]), params)
    with pytest.raises(ValueError, match=r"shape \(3, 2\), not a single number.*seed vector"):
        graph.backward(out)
    with pytest.raises(ValueError, match=r"the seed has shape \(2, 3\), but the output has shape \(3, 2\)"):
        graph.backward(out, seed=np.ones((2, 3)))
    _, grads = graph.vjp(lambda p: graph.tanh(p["W"]), params, np.ones((3, 2)))
    np.testing.assert_allclose(grads["W"], 1 - np.tanh(params["W"]) ** 2)


def test_an_operation_without_a_rule_is_named():
    cube = graph.Primitive(Rule("cube", lambda xp, x: x**3))  # no vector-Jacobian rule
    with pytest.raises(NotImplementedError, match="operation 'cube' has no vector-Jacobian rule"):
        graph.grad(lambda p: graph.sum(cube(p["x"])))({"x": np.ones((2, 2))})


def test_defprimitive_adds_a_differentiable_operation():
    name, reverse_only = "test_cube", "test_cube_reverse_only"
    forward, vjp, jvp = lambda xp, x: x**3, lambda xp, g, out, x: g * 3 * x**2, lambda xp, t, out, x: 3 * x**2 * t
    x = {"x": np.array([[2.0, -1.0]])}
    try:
        cube = graph.defprimitive(name, forward, vjp, jvps=(jvp,))
        grads = graph.grad(lambda p: graph.sum(cube(p["x"])))(x)
        np.testing.assert_allclose(grads["x"], [[12.0, 3.0]])
        np.testing.assert_allclose(forward_mode.gradient_by_jvps(lambda p: graph.sum(cube(p["x"])), x)["x"], [[12.0, 3.0]])
        with pytest.raises(ValueError, match="exists already"):
            graph.defprimitive(name, lambda xp, x: x)
        cube_reverse_only = graph.defprimitive(reverse_only, forward, vjp)
        with pytest.raises(NotImplementedError, match=f"operation '{reverse_only}' has no Jacobian-vector rule"):
            forward_mode.jvp(lambda p: cube_reverse_only(p["x"]), x, x)
    finally:
        RULES.pop(name, None)
        RULES.pop(reverse_only, None)
    with pytest.raises(ValueError, match=r"1 VJP rule\(s\) but 2 JVP rule\(s\); give one of each per input"):
        graph.defprimitive("test_mismatch", forward, vjp, jvps=(jvp, jvp))
    with pytest.raises(ValueError, match="a variadic primitive takes one rule of each kind"):
        graph.defprimitive("test_variadic", forward, vjp, vjp, variadic=True)
    assert "test_mismatch" not in RULES and "test_variadic" not in RULES


def test_other_bad_input_is_named():
    with pytest.raises(ValueError, match=r"matmul needs arrays of at least 2 dimensions, got shapes \(3,\) and \(3, 1\)"):
        graph.grad(lambda p: graph.sum(p["v"] @ np.ones((3, 1))))({"v": np.ones(3)})
    with pytest.raises(TypeError, match="a variable must be an array"):
        graph.variable(1.5)
    with pytest.raises(TypeError, match="params must be a dict"):
        graph.trace(lambda p: p, [np.ones(2)])
    with pytest.raises(TypeError, match="backward\\(\\) needs the traced output Node"):
        graph.backward(np.ones(()))


def test_nodes_describe_themselves(rng):
    out, leaves = graph.trace(lambda p: graph.label(p["W"] @ p["W"], "z"), {"W": rng.standard_normal((2, 2))})
    assert repr(out) == "Node('matmul', shape=(2, 2), name='z')"
    assert repr(leaves["W"]) == "Node('variable', shape=(2, 2), name='W')"


@pytest.mark.cuda
def test_the_engine_on_cuda_equals_numpy(rng):
    net = bp.DenseNet([5, 8, 3], activations=["mish", "softmax"], cost="softmax_cross_entropy")
    params = net.init_params(rng, scale=1.0)
    x, y = rng.standard_normal((5, 6)), np.eye(3)[:, rng.integers(0, 3, 6)]
    expected = graph.grad(lambda p: engine_loss(net, p, x, y))(params)
    gpu = get_backend("cuda")
    grads = graph.grad(lambda p, x, y: engine_loss(net, p, x, y))(gpu.tree(params), gpu.asarray(x), gpu.asarray(y))
    for k in expected:
        assert str(grads[k].device).startswith("cuda")
        np.testing.assert_allclose(bp.to_numpy(grads[k]), expected[k], rtol=1e-9, atol=1e-12, err_msg=k)
    a = gpu.asarray(rng.standard_normal((4, 3)))
    _, g_index = graph.vjp(lambda p: p["a"][[0, 0, 3]], {"a": a}, gpu.asarray(np.ones((3, 3))))
    np.testing.assert_allclose(bp.to_numpy(g_index["a"]), np.array([[2.0] * 3, [0.0] * 3, [0.0] * 3, [1.0] * 3]))


def test_drawings_place_every_operation_right_of_its_inputs(rng):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from backprop_book.graph_draw import draw_graph, layout

    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal((2, 1))}
    out, _ = graph.trace(lambda p, x: graph.label(graph.sum(graph.tanh(p["W"] @ x + p["b"])), "C"), params,
                         graph.constant(rng.standard_normal((3, 4)), "x"))
    pos = layout(out)
    assert set(pos) == set(graph.toposort(out))
    for node in pos:
        assert all(pos[p][0] < pos[node][0] for p in node.parents)
    fig, (top, bottom) = plt.subplots(2, 1)
    draw_graph(out, top)
    draw_graph(out, bottom, adjoint=True)
    labels = [t.get_text() for t in bottom.texts]
    assert any(r"\bar{W}" in t for t in labels) and any(t.startswith("$x$\n") for t in labels)
    plt.close(fig)
    with pytest.raises(TypeError, match="needs a traced Node"):
        draw_graph(np.ones(2))
