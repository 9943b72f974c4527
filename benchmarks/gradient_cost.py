"""Benchmark: what a gradient costs in reverse mode, in units of one forward pass.

    .venv/bin/python benchmarks/gradient_cost.py [--quick] [--out FILE.json] [--device numpy]

For dense networks 32-h-h-10 (tanh, softmax cross-entropy, 64 examples) of
growing width h, it times, like with like:

- the engine (``backprop.autodiff.reverse``): the program evaluated on plain arrays (one
  forward pass) against ``graph.value_and_grad`` (trace + backward sweep);
- the matrix form (``backprop.dense``): ``dense.loss`` against ``dense.loss_and_grads``;
- the reference, where torch is installed: the same program in PyTorch, evaluated
  under ``torch.no_grad()`` against autograd's forward and backward (a mature
  general engine, measured in the same rounds; it is reported, not flagged).

Each ratio is the median, over interleaved rounds, of reverse/forward within a
round (timeit with the garbage collector off; the clock is the process's CPU
time, so that other programs on a shared machine do not count). Any size whose ratio is above 3
is flagged. Then chains v <- sin(v) of 1,000 to 10,000 operations are traced
and differentiated: the time per operation of the longest chain must stay
within 2x that of the shortest (linear time) and no RecursionError may occur.

The exit status is 1 if any flag is raised. This is a measurement, not a unit
test: the unit tests never assert on timings. It runs on one thread (set
before numpy is imported) so that library threading does not blur the ratios,
and asks the C allocator to keep freed memory (see ``keep_freed_memory``).
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.backend import torch_available  # noqa: E402
from backprop import dense  # noqa: E402
from backprop.autodiff import programs  # noqa: E402
from backprop.autodiff import reverse as g  # noqa: E402
from backprop_book.timing import clock, keep_freed_memory, per_call  # noqa: E402

TARGET = 3.0  # reverse mode at most 3 forward passes
LINEARITY = 2.0  # the longest chain may cost at most 2x per operation what the shortest does
M = 64  # examples per batch


C = programs.softmax_net  # the program of notebooks/gradient_cost.md


def problem(h: int, backend, seed: int = 0):
    return programs.softmax_problem(h, backend, m=M, seed=seed)


def autograd_reference(params, x, y, backend):
    """The same program in PyTorch: ``(forward, reverse)``, a plain evaluation and one
    with autograd's backward. PyTorch's autograd is the reference general engine; it
    runs on torch's CPU (one thread, like ours) when ours runs on numpy."""
    import torch

    device = "cpu" if backend.library == "numpy" else backend.device
    p = {k: torch.as_tensor(bp.to_numpy(v), device=device) for k, v in params.items()}
    leaves = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    xt, yt = (torch.as_tensor(bp.to_numpy(a), device=device) for a in (x, y))

    def program(q):
        a = xt
        for l in (1, 2):
            a = torch.tanh(q[f"W{l}"] @ a + q[f"b{l}"])
        z = q["W3"] @ a + q["b3"]
        return -(yt * (z - torch.logsumexp(z, dim=0, keepdim=True))).sum()

    def forward():
        with torch.no_grad():
            return program(p)

    def reverse():
        for v in leaves.values():
            v.grad = None
        program(leaves).backward()

    return forward, reverse


def measure_sizes(widths, rounds: int, backend) -> list[dict]:
    rows = []
    for h in widths:
        net, params, x, y = problem(h, backend)
        grad_C = g.value_and_grad(C)
        sync = backend.synchronize
        functions = {
            "forward": lambda: (C(params, x, y), sync()),
            "reverse": lambda: (grad_C(params, x, y), sync()),
            "matrix_forward": lambda: (dense.loss(net, params, x, y, check=False), sync()),
            "matrix_reverse": lambda: (dense.loss_and_grads(net, params, x, y, check=False), sync()),
        }
        if torch_available():
            t_forward, t_reverse = autograd_reference(params, x, y, backend)
            functions["autograd_forward"] = lambda: (t_forward(), sync())
            functions["autograd_reverse"] = lambda: (t_reverse(), sync())
        t = per_call(functions, rounds, clock(backend))
        row = {
            "width": h,
            "n_params": net.n_params(),
            **{f"seconds_{k}": float(np.median(v)) for k, v in t.items()},
            "ratio_engine": float(np.median(t["reverse"] / t["forward"])),
            "ratio_matrix": float(np.median(t["matrix_reverse"] / t["matrix_forward"])),
        }
        if "autograd_forward" in t:
            row["ratio_autograd"] = float(np.median(t["autograd_reverse"] / t["autograd_forward"]))
        row["flags"] = [f"{which} ratio {row[f'ratio_{which}']:.2f} > {TARGET:g}"
                        for which in ("engine", "matrix") if row[f"ratio_{which}"] > TARGET]
        rows.append(row)
        print(f"h={h:>4}  P={row['n_params']:>7,}  engine {row['seconds_forward'] * 1e6:9.1f} us -> "
              f"{row['seconds_reverse'] * 1e6:9.1f} us  ratio {row['ratio_engine']:5.2f}   "
              f"matrix {row['seconds_matrix_forward'] * 1e6:9.1f} us -> {row['seconds_matrix_reverse'] * 1e6:9.1f} us  "
              f"ratio {row['ratio_matrix']:5.2f}   torch autograd ratio {row.get('ratio_autograd', float('nan')):5.2f}  "
              f"{'FLAG: ' + '; '.join(row['flags']) if row['flags'] else 'ok'}",
              flush=True)
    return rows


def measure_chain(lengths, repeats: int, backend) -> dict:
    x0 = {"x": backend.asarray(np.full((1, 1), 0.5))}
    grad_chain = g.grad(programs.sine_chain)
    seconds, flags = [], []
    for n in lengths:
        try:
            timer = timeit.Timer(lambda: (grad_chain(x0, n), backend.synchronize()), timer=clock(backend))
            s = float(np.median(timer.repeat(repeats, 1)))
        except RecursionError:
            flags.append(f"a chain of {n} operations hit the recursion limit")
            s = float("nan")
        seconds.append(s)
        print(f"chain of {n:>6} operations: {s * 1e3:8.1f} ms, {s / n * 1e6:6.2f} us per operation", flush=True)
    per_op = np.array(seconds) / np.array(lengths)
    growth = float(per_op[-1] / per_op[0])
    if not growth <= LINEARITY:
        flags.append(f"time per operation grew {growth:.2f}x from {lengths[0]} to {lengths[-1]} operations (limit {LINEARITY:g}x)")
    print(f"time per operation, longest / shortest chain: {growth:.2f} "
          f"(t({lengths[-1]}) / t({lengths[0]}) = {seconds[-1] / seconds[0]:.2f} for {lengths[-1] / lengths[0]:.0f}x the length)")
    return {"lengths": list(lengths), "seconds": seconds, "per_op_growth": growth,
            "recursion_limit": sys.getrecursionlimit(), "flags": flags}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and rounds (about 10 seconds)")
    parser.add_argument("--out", type=str, default="", help="write the results as JSON to this file")
    parser.add_argument("--device", default="numpy", help="numpy, cpu (torch) or cuda")
    args = parser.parse_args(argv)

    backend = bp.get_backend(args.device)
    tuned = keep_freed_memory()
    widths = (2, 16, 128) if args.quick else (2, 4, 8, 16, 32, 64, 128, 256)
    rounds = 7 if args.quick else 21
    lengths = (1000, 2000, 5000, 10000)
    print(f"{backend.describe()}, {os.environ['OPENBLAS_NUM_THREADS']} BLAS thread(s), "
          f"allocator keeps freed memory: {tuned}; median of {rounds} interleaved rounds per size", flush=True)
    sizes = measure_sizes(widths, rounds, backend)
    chain = measure_chain(lengths, 3 if args.quick else 5, backend)
    flags = [f"P={row['n_params']}: {f}" for row in sizes for f in row["flags"]] + chain["flags"]
    result = {"machine": machine(), "device": backend.describe(), "blas_threads": os.environ["OPENBLAS_NUM_THREADS"],
              "allocator_keeps_freed_memory": tuned, "target": TARGET, "sizes": sizes, "chain": chain, "flags": flags}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
        print(f"wrote {args.out}")
    if flags:
        print(f"\n{len(flags)} flag(s) raised:")
        for flag in flags:
            print("  " + flag)
        return 1
    print("\nno flags: reverse mode within 3 forward passes at every size, and linear in depth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
