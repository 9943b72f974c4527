"""Convolution as im2col: against its dense matrix, torch's conv2d, central differences and autograd."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import conv, gradcheck
from backprop.backend import get_backend, to_numpy

# (in_maps, in_size, out_maps, kernel, stride, pad, pad_value, mask)
GEOMETRIES = [
    (1, 6, 2, 3, 1, 0, 0.0, None),
    (2, 7, 3, 3, 2, 1, -1.0, [[1, 0], [1, 1], [0, 1]]),
    (3, 8, 2, 5, 2, 2, -1.0, [[1, 1, 0], [0, 1, 1]]),  # LeCun's H2 in miniature
    (1, 16, 2, 5, 2, 2, -1.0, None),  # LeCun's H1 geometry, two maps
]


def _layer(g):
    return conv.Conv2D(*g[:5], pad=g[5], pad_value=g[6], mask=g[7])


def _problem(layer, rng, m=3):
    W = rng.standard_normal(layer.param_shapes()["W"]) * layer.mask[:, :, None, None]
    b = rng.standard_normal(layer.param_shapes()["b"])
    x = rng.standard_normal((layer.n_in, m))
    return W, b, x


@pytest.mark.parametrize("g", GEOMETRIES)
def test_forward_is_the_dense_matrix_product(g, backend, rng):
    layer = _layer(g)
    W, b, x = _problem(layer, rng)
    z, _ = conv.forward(layer, backend.asarray(W), backend.asarray(b), backend.asarray(x))
    expected = conv.dense_matrix(layer, W) @ x + conv.padding_input(layer, W)[:, None] + b
    np.testing.assert_allclose(to_numpy(z), expected, atol=1e-12)


@pytest.mark.needs("torch")
@pytest.mark.parametrize("g", GEOMETRIES)
def test_forward_matches_torch_conv2d_with_constant_padding(g, rng):
    import torch
    import torch.nn.functional as F

    layer = _layer(g)
    W, b, x = _problem(layer, rng)
    m, s = x.shape[1], layer.in_size
    after = (layer.out_size - 1) * layer.stride + layer.kernel - s - layer.pad  # what the last position reads
    images = F.pad(torch.tensor(x.T.reshape(m, layer.in_maps, s, s)), (layer.pad, max(after, 0)) * 2, value=layer.pad_value)
    expected = F.conv2d(images, torch.tensor(W), stride=layer.stride).reshape(m, -1).T.numpy() + b
    z, _ = conv.forward(layer, W, b, x)
    np.testing.assert_allclose(z, expected, atol=1e-12)


@pytest.mark.parametrize("g", GEOMETRIES)
def test_backward_is_the_transposed_product_and_central_differences(g, backend, rng):
    layer = _layer(g)
    W, b, x = _problem(layer, rng)
    params = {"W": backend.asarray(W), "b": backend.asarray(b), "x": backend.asarray(x)}
    u = backend.asarray(rng.standard_normal((layer.n_out, x.shape[1])))  # C = <u, z>, so delta = u

    def cost(p):
        return (conv.forward(layer, p["W"], p["b"], p["x"])[0] * u).sum()

    _, patches = conv.forward(layer, params["W"], params["b"], params["x"])
    dW, db, dx = conv.backward(layer, params["W"], patches, u)
    np.testing.assert_allclose(to_numpy(dx), conv.dense_matrix(layer, W).T @ to_numpy(u), atol=1e-12)
    grads = {"W": dW, "b": db, "x": dx}
    assert gradcheck.directional_errors(cost, params, grads, rng).max() < 1e-8


@pytest.mark.needs("torch")
@pytest.mark.parametrize("g", GEOMETRIES)
def test_backward_matches_torch_autograd(g, backend, rng):
    layer = _layer(g)
    W, b, x = _problem(layer, rng)
    u = rng.standard_normal((layer.n_out, x.shape[1]))
    cpu = get_backend("cpu")
    expected = gradcheck.autograd_grads(
        lambda p: (conv.forward(layer, p["W"], p["b"], p["x"])[0] * cpu.asarray(u)).sum(), {"W": W, "b": b, "x": x})
    _, patches = conv.forward(layer, backend.asarray(W), backend.asarray(b), backend.asarray(x))
    dW, db, dx = conv.backward(layer, backend.asarray(W), patches, backend.asarray(u))
    for name, got in (("W", dW), ("b", db), ("x", dx)):
        np.testing.assert_allclose(to_numpy(got), expected[name], atol=1e-10, err_msg=name)


def test_masked_connections_carry_nothing(rng):
    layer = _layer(GEOMETRIES[2])
    W, b, x = _problem(layer, rng)
    z, patches = conv.forward(layer, W, b, x)
    W_noise = W + rng.standard_normal(W.shape) * ~layer.mask[:, :, None, None]  # change only masked weights
    np.testing.assert_allclose(conv.forward(layer, W_noise, b, x)[0], z)
    dW, _, _ = conv.backward(layer, W, patches, rng.standard_normal(z.shape))
    assert np.all(dW[~layer.mask] == 0)
    assert layer.n_params() == int(layer.mask.sum()) * 25 + layer.n_out


def test_the_transposed_gather_sums_every_read_once():
    layer = _layer(GEOMETRIES[1])
    ones = np.ones((layer.in_maps * layer.kernel**2 * layer.out_size**2 + 1,))
    reads = np.take(ones, layer._scatter).reshape(-1, layer.n_in)
    counts = np.bincount(layer._gather, minlength=layer.n_in + 1)[: layer.n_in]
    np.testing.assert_array_equal((layer._scatter.reshape(-1, layer.n_in) < ones.size - 1).sum(axis=0), counts)
    assert reads.shape[0] == counts.max()


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.ones((3, 3)), r"mask has shape \(3, 3\).*3 output maps and 2 input maps.*needs shape \(3, 2\)"),
        (np.ones(6), r"mask has shape \(6,\)"),
        ([[1, 0], [0, 0], [1, 1]], r"leaves output map\(s\) \[1\] with no input map"),
        ([[1, 2], [1, 1], [1, 1]], "only 0/1"),
    ],
)
def test_a_mask_that_does_not_fit_the_layer_is_named(mask, message):
    with pytest.raises(ValueError, match=message):
        conv.Conv2D(2, 7, 3, 3, stride=2, pad=1, mask=mask)


def test_bad_geometry_is_named():
    with pytest.raises(ValueError, match="a 7x7 kernel does not fit a 4x4 map"):
        conv.Conv2D(1, 4, 1, 7)
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv.Conv2D(1, 4, 1, 3, stride=0)


@pytest.mark.cuda
def test_cuda_matches_numpy(rng):
    layer = _layer(GEOMETRIES[2])
    W, b, x = _problem(layer, rng)
    gpu = get_backend("cuda")
    z, patches = conv.forward(layer, gpu.asarray(W), gpu.asarray(b), gpu.asarray(x))
    np.testing.assert_allclose(to_numpy(z), conv.forward(layer, W, b, x)[0], atol=1e-10)
    dx = conv.backward(layer, gpu.asarray(W), patches, z)[2]
    np.testing.assert_allclose(to_numpy(dx), conv.dense_matrix(layer, W).T @ to_numpy(z), atol=1e-9)
