"""backprop: backpropagation in matrix form, for the executable book.

Where things live:

- ``backend``      the one place that chooses numpy or torch, CPU or CUDA
- ``activations``  f and f' (logistic, tanh, relu, swish, mish, identity, softmax)
- ``costs``        C and the output error delta[L]
- ``dense``        the forward and backward pass of a dense network
- ``optim``        the 1986 momentum rule (and plain gradient descent)
- ``train``        training loops, per sweep or per pattern, many seeds at once
- ``gradcheck``    central differences and torch.autograd cross-checks
- ``notebook``     what a notebook calls: its parameters and its metrics
- ``runner``       papermill execution with a cache that knows the library's source
- ``plotting``     small figure helpers (outside the core)
"""

from . import activations, costs, gradcheck, optim
from .activations import Activation
from .backend import Backend, get_backend, to_numpy
from .costs import Cost
from .dense import DenseNet, backward, check_inputs, forward, loss_and_grads, output_delta
from .train import History, all_within, train

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "Backend",
    "Cost",
    "DenseNet",
    "History",
    "activations",
    "all_within",
    "backward",
    "check_inputs",
    "costs",
    "forward",
    "get_backend",
    "gradcheck",
    "loss_and_grads",
    "optim",
    "output_delta",
    "to_numpy",
    "train",
]
