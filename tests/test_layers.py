"""The three layers: the core and the papers import no book machinery, and every
claims file has its paper package.

Each import check runs in a fresh interpreter, so that what another test imported
cannot hide what a module pulls in.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import backprop
import backprop.papers

from .conftest import ROOT

# What only the book machinery (backprop_book) may import.
BOOK_ONLY = ("backprop_book", "yaml", "jupytext", "nbformat", "papermill", "matplotlib", "tqdm", "myst_nb", "IPython")

CORE = sorted(m.name for m in pkgutil.walk_packages(backprop.__path__, "backprop.") if ".papers" not in m.name)
PAPERS = sorted(m.name for m in pkgutil.walk_packages(backprop.__path__, "backprop.") if ".papers" in m.name)


def imported_by(module: str, then: str = "") -> list[str]:
    """The top-level packages of BOOK_ONLY loaded by importing ``module`` (and running
    the statement ``then``), in a fresh interpreter."""
    code = (
        "import json, sys\n"
        f"import {module}\n"
        f"{then}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(BOOK_ONLY)!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_module_lists_are_not_empty():
    assert "backprop.dense" in CORE and "backprop.autodiff.reverse" in CORE
    assert "backprop.papers.lecun1989.lenet" in PAPERS


@pytest.mark.parametrize("module", ["backprop", *CORE, *PAPERS])
def test_core_and_papers_import_no_book_machinery(module):
    assert imported_by(module) == [], f"importing {module} loads book machinery"


def test_the_check_sees_a_lazy_import_once_it_happens():
    # The progress bar imports tqdm only when a bar is shown: the check must see it then.
    assert imported_by("backprop.progress", "backprop.progress.progress_bar(1, enabled=False).close()") == []
    shown = "import io; backprop.progress.progress_bar(1, enabled=True, file=io.StringIO()).close()"
    assert imported_by("backprop.progress", shown) == ["tqdm"]


def test_every_claims_file_has_its_paper_package_and_notebooks():
    stems = sorted(p.stem for p in (ROOT / "reproductions").glob("*.yaml"))
    assert stems, "no claims files found"
    packages = {m.name for m in pkgutil.iter_modules(backprop.papers.__path__)}
    assert set(stems) <= packages, f"claims files without a package in backprop/papers: {sorted(set(stems) - packages)}"
    for stem in stems:
        text = (ROOT / "reproductions" / f"{stem}.yaml").read_text()
        notebooks = {line.split("notebook:", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("notebook:")}
        assert notebooks, f"{stem}.yaml names no notebook"
        for nb in notebooks:
            name = nb.rsplit("/", 1)[-1]
            assert name.startswith(stem), f"{stem}.yaml names {nb}, whose name does not start with the stem {stem}"

