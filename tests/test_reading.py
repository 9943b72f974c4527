"""Pages open on the story: prose first, the plotting and bookkeeping code folded away.

Checked on the notebooks' sources (``notebooks/*.md``): each page starts with its title
and prose; the ``parameters`` cell and the ``record(...)`` cell are folded (tag
``hide-input``: the reader can unfold them) or removed; so is every cell that draws a
figure, except the few whose figure is first of all a call of the library, listed here
with the reason. The cells that call the library stay in view.
"""

from __future__ import annotations

import re

import pytest

from backprop_book import build as book

from .conftest import ROOT

FOLDED = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
# figures whose cell shows a computation of the library the page is about
SHOWN_FIGURES = {
    ("adjoint_graph", "adjoint = g.backward(C)"): "the adjoint graph is the page's subject",
    ("learning_through_time", "adjoint = g.backward(C_small)"): "the unfolded adjoint graph is the page's subject",
    ("lecun1989", "theta = net.layout.flatten(params)"): "computes the step sizes it draws",
    ("tesauro1992", "x0 = encoding.encode("): "computes the encoding it draws",
}
NOTEBOOKS = [p for p in book.notebooks(ROOT)]


def cells(path):
    import jupytext

    return jupytext.read(path).cells


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_page_starts_with_prose(path):
    first = cells(path)[0]
    lines = [ln for ln in first.source.splitlines() if ln.strip()]
    assert first.cell_type == "markdown" and lines[0].startswith("# "), f"{path.name} does not start with its title"
    assert len(lines) > 1 and not lines[1].startswith(("#", "```", ":::", "$$", "|")), f"{path.name}: no prose after the title"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plotting_and_bookkeeping_code_is_folded(path):
    open_cells = []
    for c in cells(path):
        tags = set(c.metadata.get("tags", []))
        if c.cell_type != "code" or tags & FOLDED:
            continue
        source = c.source.strip()
        what = ("the parameters cell" if "parameters" in tags else
                "the record cell" if re.search(r"^(metrics = )?record\(", source, re.M) else
                "a figure" if "plt.show()" in source and not any(path.stem == stem and source.startswith(start)
                                                                 for stem, start in SHOWN_FIGURES) else None)
        if what:
            open_cells.append(f"{what}: {source.splitlines()[0][:70]}")
    assert not open_cells, f"{path.name}: cells to fold with the tag hide-input:\n" + "\n".join(open_cells)


def test_the_cells_that_call_the_library_stay_in_view():
    shown = sum(1 for p in NOTEBOOKS for c in cells(p)
                if c.cell_type == "code" and not set(c.metadata.get("tags", [])) & FOLDED)
    assert shown >= len(NOTEBOOKS), "hardly any code is left in view"
    for (stem, start), why in SHOWN_FIGURES.items():
        matching = [c for c in cells(ROOT / "notebooks" / f"{stem}.md") if c.cell_type == "code" and c.source.strip().startswith(start)]
        assert matching, f"{stem}: no cell starts with {start!r} any more ({why}): update SHOWN_FIGURES"
