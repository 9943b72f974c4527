"""One pass of per-example training of LeCun's 1989 network: ours against idiomatic PyTorch.

    .venv/bin/python benchmarks/lenet1989_speed.py [--examples N] [--repeats R] [--device D]
                                                   [--torch-threads T] [--out FILE.json]

In one process, on the same data (random 16x16 images in -1..1, float32):

- ``ours_diag_lm``: the faithful training, :func:`backprop.papers.lecun1989.lenet.train_pass`
  with the stochastic diagonal Levenberg-Marquardt rule (a gradient *and* a
  curvature pass per example);
- ``ours_sgd``: the same loop with plain SGD (the gradient only);
- ``torch_sgd``: the same network written as one would in PyTorch today: an
  ``nn.Module`` with ``F.pad`` / ``F.conv2d`` (the H2 kernels times a 0/1 mask),
  ``nn.Linear``, autograd, ``torch.optim.SGD``, batches of one.

Each is timed over ``N`` examples, ``R`` times, interleaved; medians are
reported, and ``ratio = torch_sgd / ours`` (above 1: ours is faster). Small
1980s networks trained one example at a time are bound by the per-operation
overhead, not by arithmetic: that is what this measures.

Both run on one CPU thread by default (``OPENBLAS_NUM_THREADS=1`` unless set,
``torch.set_num_threads(1)``): for batch-one work extra threads only add
synchronisation, and on a shared machine torch's spinning worker threads can
make it many times slower (``--torch-threads 2`` shows it), which would flatter us.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write  # noqa: E402

from backprop import diag_lm  # noqa: E402
from backprop.papers.lecun1989 import lenet as lenet1989  # noqa: E402
from backprop.backend import get_backend  # noqa: E402


def ours(rule, x, y, device):
    """A function that runs one pass of our per-example training over the columns of x."""
    net = lenet1989.LeNet1989()
    backend = get_backend(device)
    theta = net.layout.flatten(net.init_params(np.random.default_rng(0), backend=backend, dtype="float32"))
    xb, yb = backend.asarray(x, "float32"), backend.asarray(y, "float32")
    state = {"theta": theta, "rule": rule.init(theta)}

    def one_pass():
        state["theta"], state["rule"] = lenet1989.train_pass(net, state["theta"], xb, yb, rule, state["rule"])
        backend.synchronize()

    return one_pass


def torch_reference(x, y, device):
    """The same network and pass, written idiomatically in PyTorch (autograd, batch 1, optim.SGD)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    dev = "cpu" if device == "numpy" else device

    class ZipNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.H1w = nn.Parameter(torch.empty(12, 1, 5, 5).uniform_(-2.4 / 25, 2.4 / 25))
            self.H1b = nn.Parameter(torch.zeros(12, 8, 8))  # one bias per unit
            self.H2w = nn.Parameter(torch.empty(12, 12, 5, 5).uniform_(-2.4 / 200, 2.4 / 200))
            self.H2b = nn.Parameter(torch.zeros(12, 4, 4))
            self.register_buffer("mask", torch.as_tensor(lenet1989.block_mask(), dtype=torch.float32)[:, :, None, None])
            self.H3 = nn.Linear(192, 30)
            self.out = nn.Linear(30, 10)

        def forward(self, img):
            f = lambda z: 1.7159 * torch.tanh(2.0 / 3.0 * z)
            h = F.pad(img, (2, 2, 2, 2), value=-1.0)
            h = f(F.conv2d(h, self.H1w, stride=2)[:, :, :8, :8] + self.H1b)
            h = F.pad(h, (2, 2, 2, 2), value=-1.0)
            h = f(F.conv2d(h, self.H2w * self.mask, stride=2)[:, :, :4, :4] + self.H2b)
            h = f(self.H3(h.flatten(1)))
            return f(self.out(h))

    model = ZipNet().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    images = torch.as_tensor(x.T.reshape(-1, 1, 16, 16), device=dev)  # rows: torch's habit
    targets = torch.as_tensor(y.T, device=dev)

    def one_pass():
        for i in range(images.shape[0]):
            loss = 0.5 * ((model(images[i : i + 1]) - targets[i : i + 1]) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    return one_pass


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000, help="examples per timed pass (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes of each (default 3)")
    parser.add_argument("--device", default="numpy", help="ours: numpy, cpu or cuda; torch runs on cpu for numpy")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--out", default=None, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    if args.examples < 1 or args.repeats < 1:
        parser.error("--examples and --repeats must be at least 1")

    import torch

    torch.set_num_threads(args.torch_threads)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (256, args.examples)).astype(np.float32)
    y = np.full((10, args.examples), -1.0, dtype=np.float32)
    y[rng.integers(0, 10, args.examples), np.arange(args.examples)] = 1.0
    contenders = {
        "ours_diag_lm": ours(diag_lm.DiagLM(), x, y, args.device),
        "ours_sgd": ours(diag_lm.SGD(0.01), x, y, args.device),
        "torch_sgd": torch_reference(x, y, args.device),
    }
    for run in contenders.values():  # warm up: allocations, lazy imports, index arrays
        run()
    seconds = {name: [] for name in contenders}
    for _ in range(args.repeats):  # interleaved, so that a busy moment hits all three
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    result = {
        "benchmark": "lenet1989 per-example training pass",
        "examples": args.examples,
        "repeats": args.repeats,
        "device": args.device,
        "machine": machine(),
        "microseconds_per_example": {name: 1e6 * t / args.examples for name, t in median.items()},
        "seconds_per_7291_example_pass": {name: t / args.examples * 7291 for name, t in median.items()},
        "ratio_torch_over_ours_diag_lm": median["torch_sgd"] / median["ours_diag_lm"],
        "ratio_torch_over_ours_sgd": median["torch_sgd"] / median["ours_sgd"],
    }
    result["at_least_twice_as_fast"] = result["ratio_torch_over_ours_diag_lm"] >= 2.0
    write(result, args.out)
    return result


if __name__ == "__main__":
    main()
