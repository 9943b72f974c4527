"""The T-C problem (PDP ch. 8): its task set, the tied network's gradient, and the kernel classifier."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import gradcheck
from backprop.backend import to_numpy
from backprop.papers.rhw1986_pdp import tc


# task set ---------------------------------------------------------------------
@pytest.mark.parametrize("size, n_T, n_C", [(6, 4 * 4 * 4, 4 * 4 * 5), (7, 4 * 5 * 5, 4 * 5 * 6)])
def test_every_letter_rotation_and_position_once(size, n_T, n_C):
    x, y, labels = tc.task(size)
    assert x.shape == (size * size, n_T + n_C) and y.shape == (1, n_T + n_C)
    assert int(y.sum()) == n_T == int((labels["letter"] == "T").sum())
    assert (x.sum(axis=0) == 5).all() and set(np.unique(x)) == {0.0, 1.0}
    assert len({col.tobytes() for col in x.T}) == x.shape[1]  # no pattern twice, no T equal to a C


def _as_set(x, size, where):
    return {col.tobytes() for col in x[:, where].T}


def test_the_set_is_closed_under_rotation_and_shifts():
    size = 6
    x, _, labels = tc.task(size)
    for name in "TC":
        letters = labels["letter"] == name
        same = _as_set(x, size, letters)
        images = x[:, letters].T.reshape(-1, size, size)
        assert {np.rot90(im).ravel().tobytes() for im in images} == same  # a turned retina: the same letter
        shifted = [np.roll(im, 1, axis=1) for im in images if not im[:, -1].any()]
        assert shifted and {im.ravel().tobytes() for im in shifted} <= same  # moved right, still inside


def test_bad_retina_is_named():
    with pytest.raises(ValueError, match="size"):
        tc.task(2)


# the network ------------------------------------------------------------------
@pytest.mark.parametrize("maps", [1, 2])
def test_backward_agrees_with_central_differences(maps, backend, rng):
    net = tc.TCNet(size=5, maps=maps)
    x, y, _ = tc.task(5)
    X, Y = backend.asarray(x), backend.asarray(y)
    params = net.init_params(rng, seeds=3, scale=1.0, backend=backend)

    def cost(p):
        return tc.error(tc.forward(net, p, X)[0], Y)  # (S,): each network's own error

    _, cache = tc.forward(net, params, X)
    grads = tc.backward(net, params, cache, Y)
    assert {k: tuple(g.shape) for k, g in grads.items()} == {k: tuple(w.shape) for k, w in params.items()}
    assert gradcheck.directional_errors(cost, params, grads, rng, n_directions=4).max() < 1e-7


def test_one_conv_for_all_networks_equals_each_network_alone(rng):
    net = tc.TCNet(size=6)
    x, _, _ = tc.task(6)
    params = net.init_params(rng, seeds=4)
    together = tc.forward(net, params, x)[0]
    for s in range(4):
        alone = tc.forward(net, {k: v[s : s + 1] for k, v in params.items()}, x)[0]
        np.testing.assert_allclose(alone[0], together[s], atol=1e-14)


def test_the_output_ignores_position_and_turns_with_the_kernel(rng):
    size = 6
    net = tc.TCNet(size)
    x, _, labels = tc.task(size)
    params = net.init_params(rng, seeds=2, scale=2.0)
    out = tc.forward(net, params, x)[0][:, 0]  # (S, m)
    turned = dict(params, W1=np.rot90(params["W1"], 1, axes=(-2, -1)).copy())
    out_turned = tc.forward(net, turned, x)[0][:, 0]
    for name in "TC":
        for r in range(4):
            here = (labels["letter"] == name) & (labels["rotation"] == r)
            assert np.ptp(out[:, here], axis=1).max() < 1e-12  # the same answer at every position
            # turning kernel and letter together changes nothing
            nxt = (labels["letter"] == name) & (labels["rotation"] == (r + 1) % 4)
            np.testing.assert_allclose(out_turned[:, nxt][:, 0], out[:, here][:, 0], atol=1e-12)


def test_training_lowers_every_networks_error(rng):
    net = tc.TCNet(size=5)
    x, y, _ = tc.task(5)
    params = net.init_params(rng, seeds=4, scale=1.0)
    _, solved_at, errors = tc.train(net, params, x, y, eta=0.1, sweeps=60)
    assert errors.shape == (60, 4) and solved_at.shape == (4,)
    assert (errors[-1] < errors[0]).all()


# the detector classifier ----------------------------------------------------------
CENTRE = np.array([[-1, -1, -1], [-1, 3, -1], [-1, -1, -1]]) * 0.5
VERTICAL = np.array([[-0.4, 1.0, -0.6], [-0.5, 0.9, -0.5], [-0.7, 0.8, -0.3]])
OTHER = np.array([[0.25, 0.9, 1.0], [-0.3, 0.1, -0.4], [-0.5, 0.3, 0.8]])  # a bent line: no template
ANTI = np.array([[-0.6, -0.4, 0.9], [-0.5, 1.0, -0.3], [0.7, -0.8, -0.6]])


@pytest.mark.parametrize("kernel, pattern", [
    (CENTRE, "centre_surround"),
    (VERTICAL, "vertical_bar"),
    (VERTICAL.T, "horizontal_bar"),
    (ANTI, "antidiagonal_bar"),
    (np.fliplr(ANTI), "diagonal_bar"),
    (np.full((3, 3), 0.3) + np.eye(3) * 0.1, "compactness"),
    (OTHER, "other"),
])
def test_hand_made_kernels_and_their_negatives(kernel, pattern):
    for sign in (1, -1):
        for scale in (0.01, 1.0, 50.0):
            assert tc.kernel_pattern(sign * scale * kernel) == pattern
    assert tc.kernel_kind(kernel) == tc.KIND_OF.get(pattern, "other")


def test_weak_weights_have_no_sign_but_only_one_may_be_weak():
    k = VERTICAL.copy()
    k[1, 1] = 0.05  # the bar's centre, under DEAD of the largest weight: no sign
    assert tc.kernel_pattern(k) == "vertical_bar"
    k[0, 0] = -0.05  # a second weak weight: too little left to call it anything
    assert tc.kernel_pattern(k) == "other"
    ring = -np.ones((3, 3))
    ring[1, 1] = 0.1
    assert tc.kernel_kind(ring) == "compactness"  # every live weight of one sign, centre dead
    assert tc.kernel_kind(np.zeros((3, 3))) == "other"
    with pytest.raises(ValueError, match="3x3"):
        tc.kernel_kind(np.ones((2, 2)))


def test_the_templates_are_the_kinds_the_chapter_names():
    assert set(tc.KIND_OF) == set(tc.TEMPLATES) and set(tc.KIND_OF.values()) == set(tc.KINDS)
    for name, t in tc.TEMPLATES.items():
        assert tc.kernel_pattern(t) == name and tc.kernel_pattern(-t) == name
    # every pair of templates other than compactness/centre-surround differs in two or more taps
    names = list(tc.TEMPLATES)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            d = min((tc.TEMPLATES[a] != s * tc.TEMPLATES[b]).sum() for s in (1, -1))
            assert d >= (1 if {a, b} == {"compactness", "centre_surround"} else 2)
