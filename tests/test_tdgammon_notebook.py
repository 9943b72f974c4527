"""The TD-Gammon notebook runs through papermill at smoke scale and records what the claims registry reads."""

from __future__ import annotations

import pytest

pytest.importorskip("gnubg_nn")

from backprop_book.runner import run_notebook  # noqa: E402

from .conftest import ROOT  # noqa: E402

pytestmark = pytest.mark.slow


def test_tdgammon_notebook_smoke(cache_dir):
    # the same parameters and cache as the book build, so that the build reuses this run
    result = run_notebook(ROOT / "notebooks" / "tesauro1992.md", {"scale": "smoke"}, cache_dir / "_build" / "executed")
    m = result.metrics
    assert m["games_trained"] == 300 and m["resumed_from"] == 0 and m["checkpoints"] == 4
    assert m["selfplay_games_per_second"] > 0 and m["selfplay_seconds"] > 0
    for name in ("random", "pubeval", "gnubg"):
        assert 0 <= m[f"win_rate_{name}_low_pct"] <= m[f"win_rate_{name}_pct"] <= m[f"win_rate_{name}_high_pct"] <= 100
    assert m["games_vs_pubeval"] == 60 and m["hidden_units"] == 40
    assert isinstance(m["beats_random"], bool) and isinstance(m["beats_pubeval"], bool)
    page = result.notebook.read_text()
    assert "Traceback" not in page and "image/png" in page
