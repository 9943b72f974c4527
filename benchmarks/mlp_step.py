"""The library's dense training step against the same model in PyTorch, and against the machine's GEMM.

    .venv/bin/python benchmarks/mlp_step.py [--quick] [--out FILE.json]

1. One training step (forward, backward, 1986 momentum update) of the matrix-form
   library on numpy against the same network written idiomatically in PyTorch
   (nn.Linear + autograd + torch.optim.SGD with momentum) on the CPU, float32,
   for networks from XOR to 1024-wide layers and batch sizes 1 to 1024.
   ratio = torch time / our time: above 1 means we are faster.
2. Achieved FLOP/s of a large dense training step against the FLOP/s of one
   large matrix product on the same machine (the practical limit).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, timeit, write  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.optim import momentum_step  # noqa: E402

NETWORKS = {
    "xor 2-2-1": [2, 2, 1],
    "nettalk 203-80-26": [203, 80, 26],
    "256 wide": [256, 256, 256, 10],
    "1024 wide": [1024, 1024, 1024, 10],
}
BATCHES = [1, 16, 128, 1024]


def ours(sizes, m, rng):
    net = bp.DenseNet(sizes, activations="logistic")
    params = net.init_params(rng, dtype="float32")
    x = rng.standard_normal((sizes[0], m)).astype(np.float32)
    y = rng.uniform(size=(sizes[-1], m)).astype(np.float32)
    state = {"params": params, "velocity": None}

    def step():
        _, grads = bp.loss_and_grads(net, state["params"], x, y, check=False)
        state["params"], state["velocity"] = momentum_step(state["params"], grads, state["velocity"], 0.1, 0.9)

    return step


def reference(sizes, m, rng):
    import torch

    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.as_tensor(rng.standard_normal((m, sizes[0])), dtype=torch.float32)  # rows: torch's habit
    y = torch.as_tensor(rng.uniform(size=(m, sizes[-1])), dtype=torch.float32)

    def step():
        opt.zero_grad()
        loss = 0.5 * ((model(x) - y) ** 2).sum()
        loss.backward()
        opt.step()

    return step


def step_flops(sizes, m) -> float:
    """Multiply-adds of forward and backward: 3 matrix products per layer (the first layer's input gradient is skipped)."""
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2 * m * macs * 3 - 2 * m * sizes[0] * sizes[1]


def gemm_flops(n: int, rng) -> float:
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    t = timeit(lambda: a @ b, repeats=5, min_seconds=0.2)["median"]
    return 2 * n**3 / t


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke check)")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    repeats, min_s = (3, 0.02) if args.quick else (7, 0.1)
    rows = []
    for name, sizes in NETWORKS.items():
        for m in BATCHES:
            t_ours = timeit(ours(sizes, m, rng), repeats, min_s)
            t_ref = timeit(reference(sizes, m, rng), repeats, min_s)
            ratio = t_ref["median"] / t_ours["median"]
            rows.append({
                "network": name, "sizes": sizes, "batch": m, "ours_s": t_ours, "torch_s": t_ref,
                "speedup": ratio, "slower_than_reference": ratio < 1,
                "target_applies": max(sizes) <= 256,
            })
            print(f"{name:>20} batch {m:>5}: ours {t_ours['median'] * 1e6:9.1f} us, torch {t_ref['median'] * 1e6:9.1f} us, ratio {ratio:5.2f}", file=sys.stderr)
    big, m = NETWORKS["1024 wide"], 1024
    peak = gemm_flops(2048, rng)
    achieved = step_flops(big, m) / next(r["ours_s"]["median"] for r in rows if r["network"] == "1024 wide" and r["batch"] == m)
    result = {
        "benchmark": "mlp_step",
        "machine": machine(),
        "rows": rows,
        "flops": {"gemm_2048_float32": peak, "large_step": achieved, "fraction_of_gemm": achieved / peak, "target": 0.7},
        "flags": [f"{r['network']} batch {r['batch']}: slower than torch" for r in rows if r["slower_than_reference"] and r["target_applies"]]
        + ([f"large step reaches {achieved / peak:.0%} of GEMM FLOP/s (target 70%)"] if achieved / peak < 0.7 else []),
    }
    write(result, args.out)
    return result


if __name__ == "__main__":
    sys.exit(1 if main()["flags"] else 0)
