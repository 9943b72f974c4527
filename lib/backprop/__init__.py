"""backprop: backpropagation in matrix form, for the executable book.

The package has three layers; each may import the ones above it, never below:

1. **The core** (this package's top-level modules and ``autodiff``): the
   mathematics, on numpy or torch through one code path.

   - ``backend``      the one place that chooses numpy or torch, CPU or CUDA
   - ``activations``  f and f' (logistic, tanh, relu, swish, mish, identity, softmax)
   - ``costs``        C and the output error delta[L]
   - ``dense``        the forward and backward pass of a dense network
   - ``recurrent``    recurrent networks: backpropagation through time, the gradient of a shared weight summed over its copies
   - ``optim``        the 1986 momentum rule (and plain gradient descent)
   - ``train``        training loops, per sweep or per pattern, many seeds at once
   - ``layout``       parameter shapes: checked, flattened into one vector and back
   - ``gradcheck``    central differences (gradients, Jacobians, Hessians) and torch.autograd cross-checks
   - ``conv``         convolution as a matrix product (im2col), shared weights
   - ``levenberg_marquardt``, ``diag_lm``  second-order steps: damped Gauss-Newton, diagonal LM
   - ``td_lambda``    TD(lambda) with eligibility traces
   - ``checkpoint``   safe checkpoints (no pickles) for long runs
   - ``seedstats``    statistics over many seeds
   - ``fir``          finite-impulse-response synapses, temporal backpropagation
   - ``datafiles``    data files: found in ../shared/data or downloaded with a checksum
   - ``flops``        floating-point operations of a program's matrix products (through torch)
   - ``progress``, ``named``  a progress bar imported only when shown; lookups by name
   - ``autodiff``     the general reverse-mode engine, its rules, forward mode, the programs timed

2. **The papers** (``backprop.papers.<stem>``): one package per reproduced paper,
   named by the stem of its claims file ``reproductions/<stem>.yaml`` and of its
   notebooks ``notebooks/<stem>*.md``: its model, data, task sets and players.

3. **The book machinery** (the separate package ``backprop_book``): running and
   caching notebooks, claims, records, the scoreboard, the CLI, timing, figures.

Importing the core needs numpy and array-api-compat only: no yaml, jupytext,
nbformat, papermill, matplotlib or tqdm (a test checks it).
"""

from backprop import activations, autodiff, costs, gradcheck, optim
from backprop.activations import Activation
from backprop.backend import Backend, get_backend, to_numpy
from backprop.costs import Cost
from backprop.dense import DenseNet, backward, check_inputs, forward, loss_and_grads, output_delta
from backprop.train import History, all_within, train

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "Backend",
    "Cost",
    "DenseNet",
    "History",
    "activations",
    "all_within",
    "autodiff",
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
