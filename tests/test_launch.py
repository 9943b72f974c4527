"""The repository's address comes from a build setting; with it the pages get their buttons.

``BACKPROP_BOOK_REPOSITORY_URL`` (see README.md) is staged into the book's ``_config.yml``
by :func:`backprop_book.build.stage_config`. A small book (the real configuration and
Sphinx hook, one chapter page and one executed notebook page) is built with a dummy
address and without one: with it, a notebook page has its repository, source, issue and
Binder buttons, Binder opening the notebook's MyST source (which ``binder/`` sets up
JupyterLab to open as a notebook); without it, none of them. ``binder/requirements.txt``
is checked against the book's dependencies.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from backprop_book import build as book

from .conftest import ROOT

URL = "https://github.com/example-owner/example-repo"


def test_the_repository_url_comes_from_the_environment(tmp_path):
    committed = (ROOT / "_config.yml").read_text()
    assert yaml.safe_load(committed)["repository"]["url"] == "", "the committed _config.yml names a repository"
    assert book.stage_config(ROOT, tmp_path / "plain.yml", environ={})["url"] == ""
    assert (tmp_path / "plain.yml").read_text() == committed  # unset: copied as it is
    staged = book.stage_config(ROOT, tmp_path / "set.yml", environ={book.REPOSITORY_URL: URL + ".git/",
                                                                   book.REPOSITORY_BRANCH: "trunk"})
    assert staged["url"] == URL and staged["branch"] == "trunk"
    config = yaml.safe_load((tmp_path / "set.yml").read_text())
    assert config["repository"]["url"] == URL and config["sphinx"] == yaml.safe_load(committed)["sphinx"]
    for wrong in ("github.com/owner/repo", "https://example.org/owner/repo", "https://github.com/owner"):
        with pytest.raises(ValueError, match=book.REPOSITORY_URL):
            book.stage_config(ROOT, tmp_path / "wrong.yml", environ={book.REPOSITORY_URL: wrong})


def _small_book(folder: Path, environ: dict) -> Path:
    """A book of one chapter and one executed notebook, staged as :func:`book.build` stages, built; its HTML folder."""
    import nbformat

    source = folder / "source"
    (source / "book").mkdir(parents=True)
    (source / "notebooks").mkdir()
    book.stage_config(ROOT, source / "_config.yml", environ=environ)
    shutil.copy2(ROOT / "references.bib", source / "references.bib")
    (source / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/demo\n")
    (source / "book" / "intro.md").write_text("# Intro\n\nA chapter page.\n")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo\n\nA notebook page."),
                nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])]
    nbformat.write(nb, source / "notebooks" / "demo.ipynb")
    markdown = source / book.EXTRA / "_sources" / "notebooks" / "demo.md"
    markdown.parent.mkdir(parents=True)
    markdown.write_text("# Demo\n")
    book.stage_mathjax(ROOT, source / book.EXTRA / "_static" / "mathjax")
    shutil.copytree(ROOT / book.STATIC, source / "_static")
    done = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "--path-output", str(folder),
                           "--builder", "html", "-n", "-W", "--keep-going"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return folder / "_build" / "html"


@pytest.mark.slow
def test_launch_buttons_follow_the_setting(tmp_path):
    with_url = (_small_book(tmp_path / "with", {book.REPOSITORY_URL: URL}) / "notebooks" / "demo.html").read_text()
    links = set(re.findall(r'href="(https://[^"]+)"', with_url))
    expected = {
        "repository": URL,
        "source": f"{URL}/blob/main/notebooks/demo.md?plain=1",
        "Binder": f"https://mybinder.org/v2/gh/example-owner/example-repo/main?urlpath=lab/tree/notebooks/demo.md",
    }
    for what, link in expected.items():
        assert link in links, f"no {what} button ({link}) among {sorted(links)}"
    assert any(link.startswith(f"{URL}/issues/new?") for link in links), f"no issue button among {sorted(links)}"
    assert not any("colab" in link for link in links), "a Colab button, which cannot open a MyST notebook"
    without = (_small_book(tmp_path / "without", {}) / "notebooks" / "demo.html").read_text()
    assert not re.findall(r'href="https://(github\.com|mybinder\.org)[^"]*"', without), "buttons without a repository"
    assert "launch-buttons" not in without


def test_binder_installs_what_the_book_needs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {re.split(r"[<>=!\[ ]", d)[0].lower() for d in
              project["dependencies"] + project["optional-dependencies"]["torch"] + project["optional-dependencies"]["book"]}
    listed = {ln.strip().lower() for ln in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
              if ln.strip() and not ln.startswith(("#", "-"))}
    assert listed == needed, f"binder/requirements.txt lacks {sorted(needed - listed)}, has extra {sorted(listed - needed)}"
    assert "-c ../requirements/lock.txt" in (ROOT / "binder" / "requirements.txt").read_text()  # the pinned versions
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post and "binder/lab/settings/overrides.json" in post
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
