"""The TD-Gammon notebook runs through papermill at smoke scale and records what the claims registry reads."""

from __future__ import annotations

import pytest

from backprop_book.notebook import published
from backprop_book.runner import run_notebook

from .conftest import ROOT, need

need("gnubg_nn", "GNU Backgammon's neural nets, the notebook's opponent")

pytestmark = pytest.mark.slow


def test_tdgammon_notebook_smoke(cache_dir):
    # the same parameters and cache as the book build, so that the build reuses this run
    result = run_notebook(ROOT / "notebooks" / "tesauro1992.md", {"scale": "smoke"}, cache_dir / "_build" / "executed")
    m = result.metrics
    assert m["games_trained"] == 300 and m["resumed_from"] == 0 and m["checkpoints"] == 4
    assert m["selfplay_games_per_second"] == pytest.approx(m["games_trained"] / m["selfplay_seconds"])
    for name in ("random", "pubeval", "gnubg"):
        assert 0 <= m[f"win_rate_{name}_low_pct"] <= m[f"win_rate_{name}_pct"] <= m[f"win_rate_{name}_high_pct"] <= 100
    assert m["games_vs_pubeval"] == 60 and m["hidden_units"] == 40
    # the verdicts are the notebook's stated tests of the recorded intervals
    assert m["beats_random"] == (m["win_rate_random_low_pct"] > 50)
    assert m["beats_pubeval"] == (m["win_rate_pubeval_low_pct"] > published("tesauro1992.vs_pubeval"))
    page = result.notebook.read_text()
    assert "Traceback" not in page and "image/png" in page
