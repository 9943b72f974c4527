"""Shared pieces of the benchmarks: the machine description and JSON output.

Timings themselves use :mod:`backprop_book.timing` (interleaved rounds, CPU-time clocks).

Benchmarks compare ratios measured in one run on one machine (ours against a
reference); they are never timed unit tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from backprop_book.records import hardware, packages


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
