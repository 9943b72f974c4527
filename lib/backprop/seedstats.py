"""Statistics of many networks trained at once: how many sweeps each one needed.

A batched run (:func:`backprop.train` with a leading seed axis) gives, per
network, the sweep at which it met the criterion, or -1 if it never did within
the sweep limit. Such data are *censored*: a network that is still training at
the limit needed more sweeps than the limit, not none. Every statistic here
counts those networks as slower than every network that finished.

Non-goals: plotting (notebooks do that) and significance tests.
"""

from __future__ import annotations

import numpy as np


def sweeps_needed(solved_at) -> np.ndarray:
    """Sweeps to the criterion per network, ``inf`` for those that never met it."""
    s = np.asarray(solved_at, dtype=float)
    return np.where(s < 0, np.inf, s)


def percentiles(solved_at, qs=(10, 50, 90), limit: int | None = None) -> list[float]:
    """Percentiles of the sweeps needed, over *all* networks (unfinished ones count as slowest).

    The percentiles are order statistics (no interpolation), so a percentile that
    falls on an unfinished network is reported as ``limit`` (the sweep limit), a
    lower bound of the true value; without ``limit`` it is ``inf``.
    """
    s = sweeps_needed(solved_at)
    if s.size == 0:
        raise ValueError("no networks: solved_at is empty")
    values = np.quantile(s, np.asarray(qs) / 100, method="inverted_cdf")
    if limit is not None:
        values = np.minimum(values, limit)
    return [float(v) for v in values]


def rank_of(value: float, solved_at) -> float:
    """The fraction of networks that met the criterion in fewer than ``value`` sweeps.

    This is where a published number falls in our distribution: 0.5 means half of
    our networks were faster than the paper's.
    """
    s = sweeps_needed(solved_at)
    return float(np.mean(s < value))
