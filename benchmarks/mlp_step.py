"""The library's dense training step against the same model in PyTorch, and against the machine's GEMM.

    .venv/bin/python benchmarks/mlp_step.py [--quick] [--device numpy|cpu|cuda] [--out FILE.json]

1. One training step (forward, backward, 1986 momentum update) of the matrix-form
   library against the same network written idiomatically in PyTorch
   (nn.Linear + autograd + torch.optim.SGD with momentum), float32, for networks
   from XOR to 1024-wide layers and batch sizes 1 to 1024. On ``--device numpy``
   (the default) ours runs on numpy and the reference on torch's CPU; with
   ``--device cpu`` or ``cuda`` both run on torch there. ratio = torch time / our time: above 1
   means we are faster.
2. Achieved FLOP/s of a large dense training step against the FLOP/s of one
   large matrix product on the same machine (the practical limit).

Timing: wall-clock medians over interleaved rounds (both libraries use every
core), with a pause before each block of calls so that the other library's
worker threads have stopped spinning, and with the C allocator told to keep
freed memory (both libraries allocate through it); see ``backprop_book.timing``.
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
from backprop.optim import momentum_step  # noqa: E402
from backprop_book.timing import keep_freed_memory, per_call  # noqa: E402

NETWORKS = {
    "xor 2-2-1": [2, 2, 1],
    "nettalk 203-80-26": [203, 80, 26],
    "256 wide": [256, 256, 256, 10],
    "1024 wide": [1024, 1024, 1024, 10],
}
BATCHES = [1, 16, 128, 1024]


def ours(sizes, m, rng, backend):
    net = bp.DenseNet(sizes, activations="logistic")
    params = net.init_params(rng, dtype="float32", backend=backend)
    x = backend.asarray(rng.standard_normal((sizes[0], m)), "float32")
    y = backend.asarray(rng.uniform(size=(sizes[-1], m)), "float32")
    state = {"params": params, "velocity": None}

    def step():
        _, grads = bp.loss_and_grads(net, state["params"], x, y, check=False)
        state["params"], state["velocity"] = momentum_step(state["params"], grads, state["velocity"], 0.1, 0.9)
        backend.synchronize()

    return step


def reference(sizes, m, rng, backend):
    import torch

    device = "cpu" if backend.library == "numpy" else backend.device
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.as_tensor(rng.standard_normal((m, sizes[0])), dtype=torch.float32, device=device)  # rows: torch's habit
    y = torch.as_tensor(rng.uniform(size=(m, sizes[-1])), dtype=torch.float32, device=device)

    def step():
        opt.zero_grad()
        loss = 0.5 * ((model(x) - y) ** 2).sum()
        loss.backward()
        opt.step()
        backend.synchronize()

    return step


def step_flops(sizes, m) -> float:
    """Multiply-adds of forward and backward: 3 matrix products per layer (the first layer's input gradient is skipped)."""
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2 * m * macs * 3 - 2 * m * sizes[0] * sizes[1]


def gemm_flops(n: int, rng, backend, rounds: int) -> float:
    a = backend.asarray(rng.standard_normal((n, n)), "float32")
    b = backend.asarray(rng.standard_normal((n, n)), "float32")
    t = per_call({"gemm": lambda: (a @ b, backend.synchronize())}, rounds, time.perf_counter, seconds=0.2)["gemm"]
    return 2 * n**3 / float(np.median(t))


def _summary(t) -> dict:
    q25, q50, q75 = np.percentile(t, [25, 50, 75])
    return {"median": float(q50), "q25": float(q25), "q75": float(q75), "rounds": len(t)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (for a smoke check)")
    parser.add_argument("--device", default="numpy", choices=["numpy", "cpu", "cuda"],
                        help="numpy: ours on numpy against torch on the CPU; cpu or cuda: both on torch there")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    backend = bp.get_backend(args.device)
    tuned = keep_freed_memory()
    rng = np.random.default_rng(0)
    rounds, block, settle = (3, 0.02, 0.05) if args.quick else (7, 0.1, 0.2)
    rows = []
    for name, sizes in NETWORKS.items():
        for m in BATCHES:
            t = per_call({"ours": ours(sizes, m, rng, backend), "torch": reference(sizes, m, rng, backend)},
                         rounds, time.perf_counter, seconds=block, settle=settle)
            ratios = t["torch"] / t["ours"]  # within each round
            ratio = float(np.median(ratios))
            t_ours, t_ref = _summary(t["ours"]), _summary(t["torch"])
            rows.append({
                "network": name, "sizes": sizes, "batch": m, "ours_s": t_ours, "torch_s": t_ref,
                "speedup": ratio, "speedup_q25": float(np.percentile(ratios, 25)),
                "speedup_q75": float(np.percentile(ratios, 75)), "slower_than_reference": ratio < 1,
                "target_applies": max(sizes) <= 256,
            })
            print(f"{name:>20} batch {m:>5}: ours {t_ours['median'] * 1e6:9.1f} us, torch {t_ref['median'] * 1e6:9.1f} us, ratio {ratio:5.2f} ({np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f})", file=sys.stderr)
    big, m = NETWORKS["1024 wide"], 1024
    peak = gemm_flops(2048, rng, backend, rounds)
    achieved = step_flops(big, m) / next(r["ours_s"]["median"] for r in rows if r["network"] == "1024 wide" and r["batch"] == m)
    result = {
        "benchmark": "mlp_step",
        "machine": machine(),
        "device": backend.describe(),
        "allocator_keeps_freed_memory": tuned,
        "rows": rows,
        "flops": {"gemm_2048_float32": peak, "large_step": achieved, "fraction_of_gemm": achieved / peak, "target": 0.7},
        "flags": [f"{r['network']} batch {r['batch']}: slower than torch" for r in rows if r["slower_than_reference"] and r["target_applies"]]
        + ([f"large step reaches {achieved / peak:.0%} of GEMM FLOP/s (target 70%)"] if achieved / peak < 0.7 else []),
    }
    write(result, args.out)
    return result


if __name__ == "__main__":
    sys.exit(1 if main()["flags"] else 0)
