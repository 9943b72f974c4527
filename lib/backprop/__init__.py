"""backprop: backpropagation in matrix form, for the executable book.

Where things live:

- ``backend``      the one place that chooses numpy or torch, CPU or CUDA
- ``activations``  f and f' (logistic, tanh, relu, swish, mish, identity, softmax)
- ``costs``        C and the output error delta[L]
- ``dense``        the forward and backward pass of a dense network
- ``optim``        the 1986 momentum rule (and plain gradient descent)
- ``train``        training loops, per sweep or per pattern, many seeds at once
- ``levenberg_marquardt`` the damped Gauss-Newton step, its Jacobian built by backprop
- ``gradcheck``    central differences and torch.autograd cross-checks
- ``timing``       CPU-time clocks and interleaved rounds for honest timings (outside the core)
- ``graph``        the adjoint graph: a general reverse-mode engine (rules in ``graph_rules``)
- ``forward_mode`` dual numbers: Jacobian-vector products, gradients one direction at a time
- ``graph_draw``   drawings of a computation graph and its adjoint (outside the core)
- ``conv``, ``lenet1989``, ``diag_lm``  convolution as a matrix product; LeCun's 1989 network and its step sizes
- ``nettalk``      NETtalk's window encoding and articulatory output code (``speech``: hearing it)
- ``td_lambda``    TD(lambda) with eligibility traces (``backgammon``: rules, players, self-play)
- ``checkpoint``   safe checkpoints (no pickles) for long runs
- ``data``         data sets: found in ../shared/data or downloaded with a checksum
- ``tasks1986``    the 1986 training sets; ``seedstats``: statistics over many seeds
- ``claims``, ``records``, ``reproduce``  published claims as data, run records, the scoreboard
- ``notebook``     what a notebook calls: its parameters and its metrics
- ``runner``       papermill execution with a cache that knows the library's source
- ``plotting``     small figure helpers (outside the core)
"""

from . import activations, costs, forward_mode, gradcheck, graph, optim
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
    "forward_mode",
    "get_backend",
    "gradcheck",
    "graph",
    "loss_and_grads",
    "optim",
    "output_delta",
    "to_numpy",
    "train",
]
