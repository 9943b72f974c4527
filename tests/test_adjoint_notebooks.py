"""The adjoint-graph and gradient-cost notebooks run at smoke scale and measure what they claim."""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_book.runner import run_notebook

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _run(name, cache_dir):
    # the same parameters as the book build, so that it reuses these runs
    return run_notebook(ROOT / "notebooks" / name, {"scale": "smoke"}, cache_dir / "_build" / "executed").metrics


def test_adjoint_graph_notebook_cross_checks_agree(cache_dir):
    m = _run("adjoint_graph.md", cache_dir)
    assert m["adjoint_graph_delta_gap"] <= 1e-12  # the adjoints of z are the deltas of the matrix form
    assert m["adjoint_graph_weight_gap"] <= 1e-12
    assert m["adjoint_graph_networks_checked"] == 4
    for exact in ("engine", "forward_mode", "autograd"):
        assert m[f"adjoint_graph_max_rel_{exact}"] <= 1e-10, exact
    assert 0 < m["adjoint_graph_max_rel_differences"] <= 1e-5
    assert m["adjoint_graph_newton_gap"] <= 1e-10
    assert m["adjoint_graph_taylor_derivative_gap"] <= 1e-12
    assert m["adjoint_graph_within_bound"] >= 0.95  # Linnainmaa's first-order bound holds


def test_gradient_cost_notebook_records_a_ratio_per_size(cache_dir):
    m = _run("gradient_cost.md", cache_dir)
    P = np.array(m["gradient_cost_n_params"])
    assert m["gradient_cost_widths"] == [2, 8, 32] and list(P) == [102, 426, 2442]
    for key in ("ratio_engine", "ratio_matrix", "passes_forward_mode", "passes_differences", "seconds_forward"):
        values = m[f"gradient_cost_{key}"]
        assert len(values) == len(P) and all(math.isfinite(v) and v > 0 for v in values), key
    # arithmetic is deterministic: reverse mode within 3 forward passes, forward mode proportional to P
    assert all(1 < r < 3 for r in m["gradient_cost_flop_ratio_engine"])
    assert all(1 < r < 3 for r in m["gradient_cost_flop_ratio_matrix"])
    slope = np.polyfit(np.log(P), np.log(m["gradient_cost_flop_passes_forward_mode"]), 1)[0]
    assert 0.95 < slope < 1.1
    # in time, at the largest size, forward mode costs far more forward passes than reverse mode
    assert m["gradient_cost_passes_forward_mode"][-1] > 10 * m["gradient_cost_ratio_engine"][-1]
    assert m["gradient_cost_sizes_over_3_engine"] == sum(r > 3 for r in m["gradient_cost_ratio_engine"])
    assert m["gradient_cost_chain_lengths"] == [250, 500, 1000]
    assert all(s > 0 for s in m["gradient_cost_chain_seconds"])
