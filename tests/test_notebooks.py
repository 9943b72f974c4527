"""Every notebook of the book runs through papermill at smoke scale; the book builds from them."""

from __future__ import annotations

import pytest

from backprop_book import build as book
from backprop_book.runner import read_notebook, run_notebook

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_book_lists_every_notebook():
    listed = {p.name for p in book.notebooks(ROOT)}
    assert "rhw1986_pdp_xor.md" in listed
    assert listed == {p.name for p in (ROOT / "notebooks").glob("*.md")}


def test_xor_reproduction_learns_and_looks_inside_one_network(cache_dir):
    # the parameters of the claims test and of the book's own build, so that all three share one run
    result = run_notebook(ROOT / "notebooks" / "rhw1986_pdp_xor.md", {"scale": "smoke"}, cache_dir / "_build" / "executed")
    m = result.metrics
    assert m["n_networks"] == 64 and m["max_sweeps"] == 2000
    assert m["skip_learned_most"] is True and m["skip_solved_fraction"] >= 0.5
    assert 0 < m["skip_sweeps_p10"] <= m["skip_sweeps_p50"] <= m["skip_sweeps_p90"] < m["max_sweeps"]
    assert m["stuck_fraction_eta05"] < 0.5  # most 2-2-1 networks learn at eta = 0.5
    executed = read_notebook(result.notebook)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "hidden 1  hidden 2   output" in printed  # the table of one trained network's hidden units


def test_the_book_builds_at_smoke_scale(smoke_book):
    assert (smoke_book / "index.html").is_file()
    page = (smoke_book / "notebooks" / "rhw1986_pdp_xor.html").read_text()
    assert "Decision surface" in page and "Traceback" not in page
    assert "networks" in page and "<img" in page
