"""Many seeds at once against one seed at a time: the speed-up of batched training.

    .venv/bin/python benchmarks/batched_seeds.py [--seeds N] [--device numpy] [--out FILE.json]

The 1986 reproductions train hundreds to thousands of small networks, one per
seed, as one program: the weights carry a leading seed axis and every matrix
product of :func:`backprop.train` is a batched one. This benchmark trains the
same networks (the same initial weights) both ways, in the same process:

1. **fixed**: every network trains for the same number of sweeps, so both ways
   do exactly the same arithmetic; the final weights are compared.
2. **until learned**: each network stops at the sweep at which every output is
   within 0.1 of its target, as in the notebooks. The loop then stops each
   network as early as it can, while the batch runs until its slowest network
   has finished (or the sweep limit), so this is the fair comparison for the
   notebooks' use.

``speedup = time of the loop / time of the batch``. Each case trains as many
networks as its notebook does (1,000 for XOR, 400 for symmetry; ``--seeds``
overrides both). The speed-up grows with the number of seeds while a sweep
costs about as much for one network as for hundreds (XOR, 4 patterns); on the
64 patterns of the symmetry task the batch is limited by arithmetic (the
logistic of every unit for every pattern and network), so its speed-up is
smaller.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, write  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.papers.rhw1986_pdp import tasks as tasks1986  # noqa: E402

CASES = [  # name, sizes, direct connections, task, eta, initial-weight range, comparison, sweeps (the limit "until learned"), seeds
    ("xor 2-1-1 with skips", [2, 1, 1], [(0, 2)], tasks1986.xor, 0.5, 0.5, "fixed", 200, 1000),
    ("xor 2-1-1 with skips", [2, 1, 1], [(0, 2)], tasks1986.xor, 0.5, 0.5, "until learned", 2000, 1000),
    ("symmetry 6-2-1", [6, 2, 1], [], lambda: tasks1986.symmetry(6), 0.1, 0.3, "fixed", 100, 400),
]


def batched(net, params, X, Y, eta, sweeps, until, backend):
    start = time.perf_counter()
    out, history = bp.train(net, params, X, Y, eta=eta, alpha=0.9, sweeps=sweeps, until=until)
    backend.synchronize()
    return time.perf_counter() - start, out, history.solved_at


def looped(net, params, X, Y, eta, sweeps, until, backend, n_seeds):
    start, outs, solved = time.perf_counter(), [], []
    for s in range(n_seeds):
        one = {k: v[s] for k, v in params.items()}        # the same network, without the seed axis
        out, history = bp.train(net, one, X, Y, eta=eta, alpha=0.9, sweeps=sweeps, until=until)
        outs.append(out)
        solved.append(int(history.solved_at[0]))
    backend.synchronize()
    stacked = {k: np.stack([bp.to_numpy(o[k]) for o in outs]) for k in outs[0]}
    return time.perf_counter() - start, stacked, np.array(solved)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, help="networks trained in every case (default: as many as the notebook trains)")
    parser.add_argument("--device", default="numpy", help="numpy, cpu, cuda or auto")
    parser.add_argument("--out", help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    backend = bp.get_backend(args.device)
    result = {"machine": machine(), "backend": repr(backend), "cases": {}}
    for name, sizes, skips, task, eta, init, mode, sweeps, seeds in CASES:
        seeds = args.seeds or seeds
        x, y = task()
        X, Y = backend.asarray(x), backend.asarray(y)
        net = bp.DenseNet(sizes, skips=skips)
        params = net.init_params(np.random.default_rng(0), scale=init, seeds=seeds, backend=backend)
        until = bp.all_within(0.1) if mode == "until learned" else None
        t_batch, p_batch, s_batch = batched(net, params, X, Y, eta, sweeps, until, backend)
        t_loop, p_loop, s_loop = looped(net, params, X, Y, eta, sweeps, until, backend, seeds)
        same = max(float(np.abs(bp.to_numpy(p_batch[k]) - p_loop[k]).max()) for k in p_loop)
        result["cases"][f"{name}, {mode}"] = {
            "seeds": seeds,
            "sweeps": sweeps,
            "batched_seconds": round(t_batch, 4),
            "looped_seconds": round(t_loop, 4),
            "speedup": round(t_loop / t_batch, 1),
            "max_weight_difference": same,
            "same_sweeps_to_criterion": bool(np.array_equal(s_batch, s_loop)),
        }
        print(f"{name:22s} {mode:14s} {seeds:5d} seeds  batch {t_batch:7.3f} s  loop {t_loop:7.2f} s  "
              f"speed-up {t_loop / t_batch:6.1f}x  (weights agree to {same:.1e})", file=sys.stderr, flush=True)
    result["min_speedup"] = min(c["speedup"] for c in result["cases"].values())
    write(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
