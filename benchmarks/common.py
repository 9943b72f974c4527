"""Shared pieces of the benchmarks: timing by medians, machine description, JSON output.

Benchmarks compare ratios measured in one run on one machine (ours against a
reference); they are never timed unit tests.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from backprop_book.records import hardware, packages


def timeit(fn, repeats: int = 7, min_seconds: float = 0.05) -> dict:
    """Median and spread of the time of one call of ``fn`` (seconds).

    Each repeat calls ``fn`` enough times to last at least ``min_seconds``.
    """
    fn()  # warm up: first-call allocations, lazy imports
    n, t = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - start
        if t >= min_seconds:
            break
        n *= 2 if t == 0 else max(2, int(min_seconds / t * 1.2))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n)
    q = statistics.quantiles(samples, n=4) if len(samples) >= 2 else [samples[0]] * 3
    return {"median": statistics.median(samples), "q25": q[0], "q75": q[2], "calls_per_repeat": n}


def machine() -> dict:
    """The machine a benchmark ran on: CPU, cores, GPU, package versions, BLAS/torch threads."""
    info = {**hardware(), "packages": packages()}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def write(result: dict, out: str | None) -> None:
    text = json.dumps(result, indent=2, sort_keys=True)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    print(text)
