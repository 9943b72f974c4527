"""Every notebook of the book runs through papermill at smoke scale; the book builds from them."""

from __future__ import annotations

import pytest

from backprop_book import build as book
from backprop_book.runner import run_notebook

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_book_lists_every_notebook():
    listed = {p.name for p in book.notebooks(ROOT)}
    assert "xor.md" in listed
    assert listed == {p.name for p in (ROOT / "notebooks").glob("*.md")}


def test_xor_notebook_learns_all_four_patterns(cache_dir):
    result = run_notebook(ROOT / "notebooks" / "xor.md", {"scale": "smoke", "device": "numpy"}, cache_dir / "_build" / "executed")
    m = result.metrics
    assert m["all_four_classified"] is True
    assert m["n_nets"] == 32 and m["max_sweeps"] == 3000
    assert m["fraction_solved"] >= 0.5
    assert 0 < m["p10_sweeps"] <= m["median_sweeps"] <= m["p90_sweeps"] < m["max_sweeps"]


def test_the_book_builds_at_smoke_scale(smoke_book):
    assert (smoke_book / "index.html").is_file()
    page = (smoke_book / "notebooks" / "xor.html").read_text()
    assert "Decision surface" in page and "Traceback" not in page
    assert "networks" in page and "<img" in page
