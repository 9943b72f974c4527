"""One place chooses the array library and the device; the same code runs on each."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.backend import cuda_available, get_backend

needs_torch = pytest.mark.needs("torch")


def test_device_names():
    assert get_backend("numpy") == bp.Backend("numpy", "cpu")
    assert get_backend("auto").library == ("torch" if cuda_available() else "numpy")
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        get_backend("gpu")
    with pytest.raises(ValueError, match="unknown dtype"):
        get_backend("numpy").asarray([1.0], dtype="float16")


@pytest.mark.skipif(cuda_available(), reason="only without a GPU")
@needs_torch
def test_asking_for_cuda_without_a_gpu_says_so():
    with pytest.raises(RuntimeError, match="sees no CUDA GPU"):
        get_backend("cuda")


@needs_torch
def test_numpy_and_torch_train_identically(rng):
    """Same seed, same code path: numpy and torch give the same trajectory to rounding."""
    net = bp.DenseNet([2, 2, 1])
    X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], float)
    Y = np.array([[0, 1, 1, 0]], float)
    results = []
    for device in ("numpy", "cpu"):
        be = get_backend(device)
        params = net.init_params(np.random.default_rng(7), seeds=5, backend=be)
        params, history = bp.train(net, params, be.asarray(X), be.asarray(Y), eta=0.5, alpha=0.9, sweeps=300)
        results.append((history.error, {k: bp.to_numpy(v) for k, v in params.items()}))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    for k in results[0][1]:
        np.testing.assert_allclose(results[0][1][k], results[1][1][k], rtol=1e-9, atol=1e-12)


@pytest.mark.cuda
def test_cuda_gradients_equal_numpy(rng):
    net = bp.DenseNet([5, 8, 3], activations=["mish", "softmax"], cost="softmax_cross_entropy", skips=[])
    params = net.init_params(rng, seeds=2)
    x = rng.standard_normal((5, 6))
    y = np.eye(3)[:, rng.integers(0, 3, 6)]
    C, grads = bp.loss_and_grads(net, params, x, y)
    gpu = get_backend("cuda")
    Cg, gg = bp.loss_and_grads(net, gpu.tree(params), gpu.asarray(x), gpu.asarray(y))
    assert str(gg["W1"].device).startswith("cuda")
    np.testing.assert_allclose(bp.to_numpy(Cg), C, rtol=1e-10)
    for k in grads:
        np.testing.assert_allclose(bp.to_numpy(gg[k]), grads[k], rtol=1e-9, atol=1e-12)


@pytest.mark.cuda
def test_auto_picks_cuda():
    assert get_backend("auto").device == "cuda"
