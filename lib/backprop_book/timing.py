"""Timing small computations honestly on a shared machine (a measurement tool, outside the core).

- :func:`clock`: the process's CPU time on the CPU (other programs on a shared
  machine do not count); wall-clock time on a GPU, whose work the CPU only waits for.
- :func:`per_call`: seconds per call of several functions, measured in
  interleaved rounds, so that a slow patch of the machine hits all of them alike.
- :func:`keep_freed_memory`: ask glibc's allocator to keep freed memory for
  reuse. Otherwise every large array freed is unmapped and the next one faults
  its pages back in, which on virtual machines costs more than the arithmetic
  of a mid-sized network and penalises whichever computation allocates more.
"""

from __future__ import annotations

import ctypes
import time
import timeit

import numpy as np


def clock(backend):
    return time.perf_counter if backend.device.startswith("cuda") else time.process_time


def per_call(functions: dict, rounds: int, timer, seconds: float = 0.01, settle: float = 0.0) -> dict:
    """``{name: array of seconds per call, one per round}``; each function warmed up first.

    ``settle`` seconds of idleness before each block of calls let the worker
    threads of the previous block's library (OpenBLAS, OpenMP) stop spinning, so
    that two multi-threaded libraries timed side by side do not slow each other
    down on a machine with few cores; the pause itself is not timed.
    """
    number = {}
    for name, fn in functions.items():
        fn()  # warm up
        once = timeit.Timer(fn, timer=timer).timeit(1)
        number[name] = max(1, int(seconds / max(once, 1e-7)))
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            if settle:
                time.sleep(settle)
                fn()  # back in cache after the pause
            times[name].append(timeit.Timer(fn, timer=timer).timeit(number[name]) / number[name])
    return {name: np.array(t) for name, t in times.items()}


def keep_freed_memory() -> bool:
    """glibc only (M_TRIM_THRESHOLD 1 GiB, M_MMAP_THRESHOLD 32 MiB); False elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # another C library (macOS, Windows): left as it is
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 25))
