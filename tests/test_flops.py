"""backprop.flops counts the matrix products of a program run on torch tensors, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import dense
from backprop.flops import matmul_flops

from .conftest import need

torch = need("torch", "the FLOP counter runs the program on torch tensors")


def test_one_product_costs_two_n_k_m_and_elementwise_steps_cost_nothing():
    a, b = torch.ones(2, 3, dtype=torch.float64), torch.ones(3, 4, dtype=torch.float64)
    assert matmul_flops(lambda: a @ b) == 2 * 2 * 3 * 4
    assert matmul_flops(lambda: torch.tanh(a).sum()) == 0
    assert matmul_flops(lambda: np.ones((2, 3)) @ np.ones((3, 4))) == 0  # numpy is not seen


def test_the_matrix_form_gradient_costs_the_products_of_forward_and_backward(rng):
    h, m = 4, 64
    net = bp.DenseNet([32, h, h, 10], activations=["tanh", "tanh", "softmax"], cost="softmax_cross_entropy")
    cpu = bp.get_backend("cpu")
    params = net.init_params(rng, scale=0.2, backend=cpu)
    x = cpu.asarray(rng.standard_normal((32, m)))
    y = cpu.asarray(np.eye(10)[:, rng.integers(0, 10, m)])
    products = 32 * h + h * h + h * 10  # multiply-adds per example of W1 @ a0, W2 @ a1, W3 @ a2
    assert matmul_flops(lambda: dense.loss(net, params, x, y)) == 2 * m * products
    # backwards: dW[l] = delta[l] @ a[l-1].T for every layer, W[l].T @ delta[l] for all but the first
    assert matmul_flops(lambda: dense.loss_and_grads(net, params, x, y)) == 2 * m * (products + products + h * h + h * 10)
