"""Runs a book notebook through papermill, with a cache that knows the library.

A notebook is MyST markdown (``notebooks/*.md``), read with jupytext and executed
by papermill with chosen parameters. The executed ``.ipynb`` and the metrics the
notebook writes (see :mod:`backprop_book.notebook`) are kept in a cache folder under
a key made of the notebook's text, the parameters, the source of the
library and the environment (the installed packages' versions, and what
``device="auto"`` resolves to on this machine): a change in any of them executes the notebook again (Jupyter
Book's own cache looks only at the notebook's code cells and would miss an edit
in ``lib/``); a notebook that reads other files (the scoreboard reads the
claims and the records) declares them in its front matter. An entry is complete only when its ``run.json`` exists, which is
written last, so an interrupted run is never mistaken for a finished one.

Non-goals: scheduling many notebooks in parallel; remote execution.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# The source a run depends on: the library (core and papers) and the book machinery.
LIBRARY_DIRS = (Path(__file__).resolve().parents[1] / "backprop", Path(__file__).resolve().parent)


class NotebookError(RuntimeError):
    """A notebook could not be run, or raised; the message names the notebook and the cell."""


class UnknownParameterError(ValueError):
    """A parameter was given that the notebook's ``parameters`` cell does not define."""


@dataclass
class Result:
    notebook: Path  # the executed .ipynb
    metrics: dict
    parameters: dict
    cached: bool
    seconds: float
    source: Path = field(default=None)

    def __repr__(self) -> str:
        how = "cached" if self.cached else f"ran in {self.seconds:.1f} s"
        return f"Result({self.source}, {how}, metrics={self.metrics})"


def _need(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"running notebooks needs {module}, which is not installed; "
            "install the book's environment with `make venv` or `pip install -e '.[book]'`"
        ) from None


def read_notebook(path: Path):
    """The notebook at ``path`` (MyST markdown or .ipynb) as an nbformat node."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    jupytext = _need("jupytext")
    try:
        return jupytext.read(path)
    except Exception as exc:
        raise NotebookError(f"{path}: cannot be read as a notebook: {exc}") from exc


def parameters_of(nb, path: Path | str = "notebook") -> dict:
    """The names and default values in the notebook's cell tagged ``parameters``."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise NotebookError(f"{path}: needs exactly one cell tagged 'parameters', found {len(cells)}")
    defaults = {}
    for stmt in ast.parse(cells[0].source).body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    defaults[target.id] = ast.literal_eval(stmt.value)
    return defaults


def source_hash(*dirs: Path) -> str:
    """A hash of every file below ``dirs`` (names and contents: code, style sheets, data tables)."""
    h = hashlib.sha256()
    for d in dirs:
        d = Path(d)
        for f in sorted(p for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(f.relative_to(d)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def declared_inputs(nb, path: Path) -> list[Path]:
    """Files or folders the notebook reads besides the library, declared in its front matter::

        backprop:
          inputs: [../reproductions]     # relative to the notebook

    They take part in the cache key, so the notebook runs again when they change.
    """
    inputs = [(path.parent / p).resolve() for p in nb.metadata.get("backprop", {}).get("inputs", [])]
    for p in inputs:
        if not p.exists():
            raise NotebookError(f"{path}: declares the input {p}, which does not exist")
    return inputs


@functools.lru_cache(maxsize=1)
def environment() -> str:
    """What a run depends on besides its sources, computed once per process: the version of
    every installed distribution (the locked ones of ``requirements/lock.txt`` among them;
    this package's own, being editable, is covered by the library's source hash) and the
    backend ``device="auto"`` resolves to here, so that a run cached on one machine or
    environment is not reused in another."""
    from backprop.backend import get_backend

    versions = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in importlib.metadata.distributions()})
    auto = get_backend("auto")
    return json.dumps({"python": sys.version.split()[0], "packages": versions, "auto": repr(auto)})


def _cache_key(path: Path, parameters: dict, library_dirs, inputs=()) -> str:
    h = hashlib.sha256()
    h.update(path.read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    h.update(environment().encode())
    h.update(source_hash(*library_dirs).encode())
    for p in inputs:
        h.update(p.read_bytes() if p.is_file() else source_hash(p).encode())
    return h.hexdigest()[:20]


def run_notebook(
    path: Path | str,
    parameters: dict | None = None,
    cache_dir: Path | str = "_build/executed",
    force: bool = False,
    library_dirs=LIBRARY_DIRS,
    log=sys.stderr,
) -> Result:
    """Execute ``path`` with ``parameters`` (or reuse an earlier identical run)."""
    path = Path(path).resolve()
    parameters = dict(parameters or {})
    nb = read_notebook(path)
    known = parameters_of(nb, path)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise UnknownParameterError(
            f"{path.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(sorted(known))}"
        )
    key = _cache_key(path, parameters, library_dirs, declared_inputs(nb, path))
    entry = Path(cache_dir).resolve() / f"{path.stem}-{key}"
    if (entry / "run.json").is_file() and not force:
        run = json.loads((entry / "run.json").read_text())
        print(f"reusing {path.name} ({_describe(parameters)}) from {entry}", file=log)
        return Result(entry / "notebook.ipynb", run["metrics"], parameters, True, run["seconds"], path)

    papermill = _need("papermill")
    shutil.rmtree(entry, ignore_errors=True)
    entry.mkdir(parents=True)
    given = dict(parameters)
    if "metrics_path" in known:
        given["metrics_path"] = str(entry / "metrics.json")
    print(f"running {path.name} ({_describe(parameters)}) ...", file=log, flush=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            nb, str(entry / "notebook.ipynb"), parameters=given, kernel_name="python3",
            cwd=str(path.parent), progress_bar=False,
        )
    except papermill.PapermillExecutionError as exc:
        first_line = (exc.source or "").strip().splitlines()[:1]
        raise NotebookError(
            f"{path}: cell {exc.cell_index} raised {exc.ename}: {exc.evalue}\n"
            f"    the cell begins: {first_line[0] if first_line else ''}\n"
            f"    the executed notebook, with the traceback, is {entry / 'notebook.ipynb'}"
        ) from None
    seconds = time.perf_counter() - start
    metrics = {}
    if "metrics_path" in known:
        if not (entry / "metrics.json").is_file():
            raise NotebookError(f"{path}: ran, but wrote no metrics to its metrics_path")
        metrics = json.loads((entry / "metrics.json").read_text())
    _tidy_injected_cell(entry / "notebook.ipynb")
    run = {"notebook": path.name, "parameters": parameters, "metrics": metrics, "seconds": seconds}
    (entry / "run.json").write_text(json.dumps(run, indent=2, sort_keys=True))  # last: marks the entry complete
    print(f"ran {path.name} in {seconds:.1f} s", file=log)
    return Result(entry / "notebook.ipynb", metrics, parameters, False, seconds, path)


def _describe(parameters: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(parameters.items())) or "defaults"


def _tidy_injected_cell(ipynb: Path) -> None:
    """Drop the machine-specific ``metrics_path`` line from papermill's injected cell,
    and fold its input away in the book (a reader can still unfold it)."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            lines = [ln for ln in cell.source.splitlines() if not ln.startswith("metrics_path")]
            cell.source = "\n".join(lines)
            cell.metadata["tags"] = sorted(set(cell.metadata["tags"]) | {"hide-input"})
    nbformat.write(nb, ipynb)
