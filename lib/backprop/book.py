"""Builds the executed book: run the notebooks, stage the sources, call Jupyter Book.

The table of contents (``_toc.yml``) says which pages exist. Pages under
``notebooks/`` are executed by :mod:`backprop.runner` (cached), and the
executed ``.ipynb`` files are staged, with the chapter pages of ``book/`` and the
configuration, into ``_build/source``; Jupyter Book then renders that folder
with execution off, ``-n -W --keep-going``: a warning or a broken reference
fails the build, and a notebook that raises has already stopped it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .runner import run_notebook

STAGED = ("_config.yml", "_toc.yml", "book", "references.bib", "_static")


def find_root(start: Path | str = ".") -> Path:
    """The book's root: the first folder upwards from ``start`` with ``_config.yml`` and ``_toc.yml``."""
    start = Path(start).resolve()
    for d in (start, *start.parents):
        if (d / "_config.yml").is_file() and (d / "_toc.yml").is_file():
            return d
    raise FileNotFoundError(f"no _config.yml and _toc.yml in {start} or above: run this inside the book's repository")


def toc_files(root: Path) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml``, in order."""
    import yaml

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield node[key]
            for value in node.values():
                if isinstance(value, (list, dict)):
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(walk(yaml.safe_load((root / "_toc.yml").read_text())))


def notebooks(root: Path) -> list[Path]:
    """The executable notebooks the book contains (``notebooks/*.md`` named in the toc)."""
    found = []
    for entry in toc_files(root):
        path = root / (entry if entry.endswith(".md") else entry + ".md")
        if path.parts[len(root.parts)] == "notebooks":
            if not path.is_file():
                raise FileNotFoundError(f"_toc.yml names {entry}, but {path} does not exist")
            found.append(path)
    return found


def build(root: Path | str = ".", scale: str = "full", output_root: Path | str | None = None, force: bool = False, log=sys.stderr) -> Path:
    """Execute every notebook at ``scale`` and build the HTML; returns the path of index.html.

    Everything is written below ``output_root/_build`` (``output_root`` defaults to the root).
    """
    root = find_root(root)
    build_dir = Path(output_root or root).resolve() / "_build"
    source = build_dir / "source"
    results = [run_notebook(nb, {"scale": scale}, build_dir / "executed", force=force, log=log) for nb in notebooks(root)]

    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for name in STAGED:
        if (root / name).is_dir():
            shutil.copytree(root / name, source / name)
        elif (root / name).is_file():
            shutil.copy2(root / name, source / name)
    (source / "notebooks").mkdir()
    for result in results:
        shutil.copy2(result.notebook, source / "notebooks" / (result.source.stem + ".ipynb"))

    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(source), "--path-output", str(build_dir.parent),
               "--builder", "html", "-n", "-W", "--keep-going"]
    print("building the HTML: " + " ".join(command), file=log, flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(done.stdout, file=log)
        raise RuntimeError(f"jupyter-book failed (exit {done.returncode}); its output is above")
    return build_dir / "html" / "index.html"
