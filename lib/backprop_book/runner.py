"""Runs a book notebook through papermill, with a cache that knows the library.

A notebook is MyST markdown (``notebooks/*.md``), read with jupytext and executed
by papermill with chosen parameters. The executed ``.ipynb`` and the metrics the
notebook writes (see :mod:`backprop_book.notebook`) are kept in a cache folder under
a key made of the notebook's code, the parameters, the library code the notebook
reaches (the ``backprop`` modules it imports, followed through theirs, without
comments and docstrings: :func:`backprop_book.records.tree_hash`), the claims files
that name it and the environment (the installed packages' versions, and what
``device="auto"`` resolves to on this machine): a change in any of them executes the
notebook again (Jupyter Book's own cache looks only at the notebook's code cells and
would miss an edit in ``lib/``). The book's presentation code (how a table is drawn)
is not part of the key: ``--force`` redraws. A notebook that reads other files (the
scoreboard reads the claims and the records) declares them in its front matter. An entry is complete only when its ``run.json`` exists, which is
written last, so an interrupted run is never mistaken for a finished one.

The key holds the notebook's **code** only (:func:`code_fingerprint`): an edit of its prose or
of a cell's tags reuses the run and shows the new text. Runs are planned (:func:`plan`),
executed anywhere (:func:`execute`, which returns the executed notebook as bytes, so that a
remote worker needs no shared file system) and stored by the caller (:func:`store`);
:func:`run_notebook` does the three here, and :mod:`backprop_book.executor` fans many runs
out over Dask workers.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import threading
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


def code_fingerprint(nb) -> str:
    """What of a notebook decides its outputs: its code cells (their sources, in order) and the tag
    that marks the parameters cell. Prose, headings and cell tags such as ``hide-input`` are not
    part of it: an edit there reuses the run and shows the new text (:func:`_with_current_text`)."""
    cells = [(c.source, "parameters" in c.get("metadata", {}).get("tags", [])) for c in nb.cells if c.cell_type == "code"]
    return json.dumps({"cells": cells, "kernel": nb.metadata.get("kernelspec", {}).get("name")})


def _claims_files(path: Path) -> list[Path]:
    """The claims files that name the notebook: its page shows their published values and verdicts."""
    from backprop_book.build import find_root

    try:
        folder = find_root(path.parent) / "reproductions"
    except FileNotFoundError:
        return []
    rel = path.relative_to(folder.parent).as_posix() if path.is_relative_to(folder.parent) else path.name
    return sorted(f for f in folder.glob("*.yaml") if rel in f.read_text())


def _cache_key(path: Path, parameters: dict, library_dirs=None, inputs=(), nb=None) -> str:
    """The key of a run: the notebook's code, the parameters, the environment, the library code the
    notebook reaches (:func:`backprop_book.records.tree_hash`; or every file of ``library_dirs``),
    the claims files that name it and its declared inputs."""
    from backprop_book.records import tree_hash

    h = hashlib.sha256()
    h.update(code_fingerprint(nb if nb is not None else read_notebook(path)).encode())
    h.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    h.update(environment().encode())
    h.update((source_hash(*library_dirs) if library_dirs is not None else tree_hash(path)).encode())
    for p in [*_claims_files(path), *inputs]:
        h.update(p.read_bytes() if p.is_file() else source_hash(p).encode())
    return h.hexdigest()[:20]


@dataclass
class Planned:
    """A run worked out before anything executes: the checked parameters and its cache entry."""

    path: Path  # the notebook (MyST markdown)
    parameters: dict  # as asked for (the cache key's)
    entry: Path  # the cache folder of this run
    takes_metrics: bool  # the notebook has a metrics_path parameter
    nb: object = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.entry.name

    def cached(self) -> Result | None:
        """The earlier identical run, with the notebook's current prose, or None."""
        if not (self.entry / "run.json").is_file():
            return None
        run = json.loads((self.entry / "run.json").read_text())
        _with_current_text(self.entry / "notebook.ipynb", self.nb)
        return Result(self.entry / "notebook.ipynb", run["metrics"], self.parameters, True, run["seconds"], self.path)


def plan(path: Path | str, parameters: dict | None = None, cache_dir: Path | str = "_build/executed",
         library_dirs=None) -> Planned:
    """Check ``parameters`` against the notebook's parameters cell and find its cache entry."""
    path = Path(path).resolve()
    parameters = dict(parameters or {})
    nb = read_notebook(path)
    known = parameters_of(nb, path)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise UnknownParameterError(
            f"{path.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(sorted(known))}"
        )
    key = _cache_key(path, parameters, library_dirs, declared_inputs(nb, path), nb)
    return Planned(path, parameters, Path(cache_dir).resolve() / f"{path.stem}-{key}", "metrics_path" in known, nb)


# Every kernel computes with one BLAS thread: the numbers then do not depend on how many
# threads a machine offers, and workers side by side do not fight over the cores.
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@contextlib.contextmanager
def _environment(**variables):
    old = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(planned: Planned, workdir: Path | str, on_cell=None) -> dict:
    """Execute the planned run in ``workdir`` (which it fills); returns ``{"metrics", "seconds", "ipynb"}``
    (the executed notebook's bytes), whatever machine this is: the caller stores it.

    ``on_cell(index, count, source)`` is called as each code cell starts; the notebook's own long
    loops (:func:`backprop.progress.progress_bar`) report to ``on_cell`` too, through a file named
    by ``BACKPROP_PROGRESS_FILE``, instead of filling the page with a progress bar.
    """
    papermill = _need("papermill")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path, given = planned.path, dict(planned.parameters)
    if planned.takes_metrics:
        given["metrics_path"] = str(workdir / "metrics.json")
    progress_file = workdir / "progress.json"
    start = time.perf_counter()
    with _environment(**ONE_THREAD, BACKPROP_PROGRESS_FILE=str(progress_file)), _cell_reports(on_cell, progress_file), \
            tempfile.TemporaryDirectory(prefix="bpk-") as sockets:
        try:
            papermill.execute_notebook(
                planned.nb, str(workdir / "notebook.ipynb"), parameters=given, kernel_name="python3",
                cwd=str(path.parent), progress_bar=False, engine_name=_engine(), config=_ipc(sockets),
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # the kernel's own log is not the reader's
            )
        except papermill.PapermillExecutionError as exc:
            first_line = (exc.source or "").strip().splitlines()[:1]
            raise NotebookError(
                f"{path}: cell {exc.cell_index} raised {exc.ename}: {exc.evalue}\n"
                f"    the cell begins: {first_line[0] if first_line else ''}\n"
                f"    the executed notebook, with the traceback, is {workdir / 'notebook.ipynb'}"
            ) from None
    seconds = time.perf_counter() - start
    metrics = {}
    if planned.takes_metrics:
        if not (workdir / "metrics.json").is_file():
            raise NotebookError(f"{path}: ran, but wrote no metrics to its metrics_path")
        metrics = json.loads((workdir / "metrics.json").read_text())
    _tidy_injected_cell(workdir / "notebook.ipynb", path)
    return {"metrics": metrics, "seconds": seconds, "ipynb": (workdir / "notebook.ipynb").read_bytes()}


def store(planned: Planned, done: dict, **extra) -> Result:
    """Write a finished run into its cache entry atomically (a folder renamed into place, ``run.json``
    inside it): an interrupted run never leaves a half entry that looks complete."""
    entry = planned.entry
    tmp = entry.with_name(entry.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "notebook.ipynb").write_bytes(done["ipynb"])
    if planned.takes_metrics:
        (tmp / "metrics.json").write_text(json.dumps(done["metrics"], indent=2, sort_keys=True))
    run = {"notebook": planned.path.name, "parameters": planned.parameters, "metrics": done["metrics"],
           "seconds": done["seconds"], **extra}
    (tmp / "run.json").write_text(json.dumps(run, indent=2, sort_keys=True))
    shutil.rmtree(entry, ignore_errors=True)
    tmp.replace(entry)
    return Result(entry / "notebook.ipynb", done["metrics"], planned.parameters, False, done["seconds"], planned.path)


def run_notebook(
    path: Path | str,
    parameters: dict | None = None,
    cache_dir: Path | str = "_build/executed",
    force: bool = False,
    library_dirs=None,
    log=sys.stderr,
    on_cell=None,
) -> Result:
    """Execute ``path`` with ``parameters`` here, in this process (or reuse an earlier identical run).
    Many runs at once, on a cluster: :func:`backprop_book.executor.run_all`."""
    planned = plan(path, parameters, cache_dir, library_dirs)
    if not force and (result := planned.cached()) is not None:
        print(f"reusing {planned.path.name} ({_describe(planned.parameters)}) from {planned.entry}", file=log)
        return result
    print(f"running {planned.path.name} ({_describe(planned.parameters)}) ...", file=log, flush=True)
    work = planned.entry.with_name(planned.entry.name + ".running")  # kept when the notebook fails: its traceback
    shutil.rmtree(work, ignore_errors=True)
    done = execute(planned, work, on_cell=on_cell)
    result = store(planned, done)
    shutil.rmtree(work, ignore_errors=True)
    print(f"ran {planned.path.name} in {done['seconds']:.1f} s", file=log)
    return result


@contextlib.contextmanager
def _cell_reports(on_cell, progress_file: Path):
    """While a notebook runs: ``on_cell`` hears of each code cell (through the engine below) and,
    every second, of the loop progress the notebook writes to ``progress_file``."""
    global _ON_CELL
    if on_cell is None:
        yield
        return
    _ON_CELL, stop = on_cell, threading.Event()

    def poll():
        while not stop.wait(1.0):
            try:
                loop = json.loads(progress_file.read_text())
            except (OSError, ValueError):
                continue
            on_cell(None, None, loop)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        _ON_CELL = None


_ON_CELL = None


def _ipc(folder: str):
    """Kernel sockets as files in ``folder`` rather than TCP ports: a local kernel needs no port,
    and then prints no warning that its TCP traffic is unencrypted. (A socket's path has at most
    107 characters: with a longer temporary folder, TCP it is.)"""
    from traitlets.config import Config

    if len(str(Path(folder) / "kernel-999")) > 100:
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "kernel")}})


@functools.lru_cache(maxsize=1)
def _engine() -> str:
    """Papermill's nbclient engine, with a hook at each code cell's start."""
    from papermill.engines import NBClientEngine, papermill_engines

    class Engine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
            start = nb_man.cell_start
            code = [i for i, c in enumerate(nb_man.nb.cells) if c.cell_type == "code"]

            def cell_start(cell, cell_index=None, **kw):
                if _ON_CELL is not None and cell.cell_type == "code":
                    _ON_CELL(code.index(cell_index) + 1, len(code), cell.source)
                return start(cell, cell_index, **kw)

            nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register("backprop", Engine)
    return "backprop"


def _with_current_text(ipynb: Path, nb) -> None:
    """Give a cached executed notebook the current notebook's prose and cell tags (its code is the
    same, or the cache key would differ), keeping the outputs and papermill's injected cell."""
    import nbformat

    if nb is None:
        return
    done = nbformat.read(ipynb, as_version=4)
    injected = [c for c in done.cells if "injected-parameters" in c.metadata.get("tags", [])]
    ran = [c for c in done.cells if c.cell_type == "code" and c not in injected]
    current = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    if len(ran) != sum(c.cell_type == "code" for c in current.cells):
        return  # not the same code after all: leave the entry as it was run
    outputs, cells = iter(ran), []
    for cell in current.cells:
        if cell.cell_type == "code":
            old = next(outputs)
            cell.outputs, cell.execution_count = old.outputs, old.execution_count
            cell.metadata = {**old.metadata, **cell.metadata, "tags": cell.metadata.get("tags", [])}
        cells.append(cell)
        if "parameters" in cell.metadata.get("tags", []):
            cells += injected
    done.cells = cells
    done.metadata.update({k: v for k, v in current.metadata.items() if k != "papermill"})
    if nbformat.writes(done) != ipynb.read_text():
        tmp = ipynb.with_suffix(".tmp")
        nbformat.write(done, tmp)
        tmp.replace(ipynb)


def _describe(parameters: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(parameters.items())) or "defaults"


def _tidy_injected_cell(ipynb: Path, source: Path | None = None) -> None:
    """Drop the machine-specific ``metrics_path`` line from papermill's injected cell,
    and fold its input away in the book (a reader can still unfold it); papermill's record
    of its input is the notebook's name (given a notebook object, it keeps a whole copy)."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    if source is not None and "papermill" in nb.metadata:
        nb.metadata.papermill["input_path"] = Path(source).name
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            lines = [ln for ln in cell.source.splitlines() if not ln.startswith("metrics_path")]
            cell.source = "\n".join(lines)
            cell.metadata["tags"] = sorted(set(cell.metadata["tags"]) | {"hide-input"})
    nbformat.write(nb, ipynb)
