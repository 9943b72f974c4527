"""Run records: what a full-scale run of a notebook measured, and on what.

A record is a small JSON file, ``reproductions/records/<paper>/<notebook>.json``::

    {"schema": 2, "paper": "rhw1986_pdp", "notebook": "notebooks/rhw1986_pdp_xor.md",
     "scale": "full", "parameters": {...}, "seeds": [0, 1, 2, 3, 4], "networks": 1000,
     "runs": [{"seed": 0, "metrics": {...}, "seconds": 26.1, "worker": "tcp://..."}, ...],
     "metrics": {...}, "spread": {"sweeps_p50": [402.0, 470.0], ...},
     "seconds": 130.4, "finished": "2026-11-28T10:00:00+00:00",
     "hardware": {"cpu": "AMD EPYC ...", "cores": 2, "gpu": null, "backend": "numpy on CPU"},
     "packages": {"python": "3.11.9", "numpy": "2.4.6", ...},
     "git": {"commit": "2a64452...", "dirty": true},
     "source_hash": "9f2c...", "backend": "numpy on CPU"}

Every seed is its own run (``runs``, one per seed, each with its own metrics); ``metrics`` is
their summary (:func:`summarise`: the median of a number over the seeds, the majority of a
boolean, a list element by element, or pooled for the metrics named so, such as a share
rule's counts per network) and ``spread`` each number's lowest and highest value over the
seeds. Schema 1 records (one seed, before issue 16) read as one run.

``source_hash`` is the hash of what a run's metrics depend on (:func:`metric_sources`: the
library modules the notebook imports, followed through their own imports, and the notebook
set-up; not the book's presentation code, nor modules the notebook never reaches): a record
whose hash differs from the tree's is stale (:func:`staleness`). ``backend`` is what actually
ran (the notebook's own metric ``backend`` when it records one, else the resolved
``device`` parameter), not merely what the machine has. Both are absent from records
written before they existed; such a record reads as "stale: unknown". A metric is
a finite number, a boolean, a string, or a list of them (the ``share`` rule reads a
list of counts, one per network).

:func:`read` checks every field and names the file and the field when one is
wrong. Non-goals: the verdicts (they are computed from the claims registry and
the metrics, so a changed rule needs no new run).
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import importlib.metadata
import statistics
import json
import math
import numbers
import os
import platform
import subprocess
from pathlib import Path

from backprop_book.claims import ClaimsError

SCHEMA = 2
PACKAGES = ("backprop-book", "numpy", "torch", "array-api-compat", "papermill", "matplotlib")
FIELDS = {  # field: the check its value must pass, described for the error message
    "schema": (lambda v: v in (1, SCHEMA), f"the number {SCHEMA} (or 1, a record of one seed)"),
    "paper": (lambda v: isinstance(v, str) and bool(v), "the claims file's stem"),
    "notebook": (lambda v: isinstance(v, str) and v.endswith(".md"), "a notebook path ending in .md"),
    "scale": (lambda v: v in ("smoke", "full"), "'smoke' or 'full'"),
    "parameters": (lambda v: isinstance(v, dict), "a mapping"),
    "networks": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0), "a positive integer or null"),
    "metrics": (lambda v: isinstance(v, dict), "a mapping of metric names to values"),
    "seconds": (lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool) and v >= 0, "a non-negative number"),
    "finished": (lambda v: isinstance(v, str) and _is_time(v), "an ISO 8601 time"),
    "hardware": (lambda v: isinstance(v, dict) and {"cpu", "cores", "gpu"} <= set(v), "a mapping with cpu, cores and gpu"),
    "packages": (lambda v: isinstance(v, dict) and "python" in v, "a mapping of package names to versions"),
    "git": (lambda v: isinstance(v, dict) and {"commit", "dirty"} <= set(v), "a mapping with commit and dirty"),
}
SEEDS_FIELDS = {  # schema 2; schema 1 has "seed" instead
    "seeds": (lambda v: isinstance(v, list) and v and all(_is_seed(s) for s in v) and len(set(v)) == len(v),
              "a non-empty list of distinct non-negative integers"),
    "runs": (lambda v: isinstance(v, list) and all(isinstance(r, dict) and {"seed", "metrics", "seconds"} <= set(r) for r in v),
             "a list of runs, each with seed, metrics and seconds"),
    "spread": (lambda v: isinstance(v, dict) and all(isinstance(x, list) and len(x) == 2 for x in v.values()),
               "a mapping of metric names to [lowest, highest]"),
}
SEED_FIELD = {"seed": (lambda v: _is_seed(v), "a non-negative integer")}
OPTIONAL_FIELDS = {  # absent from records written before them
    "source_hash": (lambda v: isinstance(v, str) and len(v) == 64, "a sha256 hex digest"),
    "backend": (lambda v: isinstance(v, str) and bool(v), "a non-empty string (what ran)"),
}


def _is_seed(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _is_scalar(x) -> bool:
    return isinstance(x, (bool, str)) or (isinstance(x, numbers.Real) and math.isfinite(x))


def _is_metric(x) -> bool:
    return _is_scalar(x) or (isinstance(x, list) and all(_is_scalar(v) for v in x))


def _is_time(text: str) -> bool:
    try:
        _dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    """The name of the CUDA GPU torch sees, or None (torch is not imported unless installed)."""
    from backprop.backend import cuda_available

    if not cuda_available():
        return None
    import torch

    return torch.cuda.get_device_name(0)


def hardware(backend: str | None = None) -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "gpu": gpu_name(), "backend": backend}


def packages() -> dict:
    """Versions of Python and of the packages a run depends on (those installed)."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def git_state(root: Path | str) -> dict:
    """The commit checked out at ``root`` and whether the working tree differs from it
    (the records themselves excepted: a run rewrites them as it goes)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!reproductions/records"))}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}


def _imported(source: str, package: str = "") -> set[str]:
    """The modules of the library that ``source`` imports (``from x import y`` names ``x.y`` too)."""
    found = set()
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell of IPython magics: nothing of ours to find
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m == "backprop" or m.startswith("backprop.")}


def metric_sources(notebook: Path | str) -> list[Path]:
    """The files a run's metrics depend on: every module of the library (``backprop``) that the
    notebook imports, and those they import in turn (with their packages' ``__init__``), and the
    notebook set-up ``backprop_book/notebook.py``. The book's presentation code, the runner and the
    modules the notebook never reaches are left out: an edit there changes no number of it."""
    import importlib.util

    from backprop_book.runner import read_notebook

    cells = [c.source for c in read_notebook(Path(notebook)).cells if c.cell_type == "code"]
    todo = set().union(*(_imported(c) for c in cells)) | {"backprop"}
    seen, files = set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue  # a name imported from a module, not a module
        files.add(Path(spec.origin).resolve())
        package = name if spec.submodule_search_locations else name.rpartition(".")[0]
        todo |= _imported(Path(spec.origin).read_text(), package)
        todo |= {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}  # the packages above it
    return sorted(files) + [Path(__file__).resolve().parent / "notebook.py"]


def _code_of(path: Path) -> bytes:
    """A Python file's code without its comments and docstrings (an edit of the prose changes no
    number); other files as they are."""
    if path.suffix != ".py":
        return path.read_bytes()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def tree_hash(notebook: Path | str) -> str:
    """The hash of the code of :func:`metric_sources` of ``notebook`` in this tree (what a fresh
    record carries); for a notebook that is not there, of the whole library."""
    import backprop

    base = Path(backprop.__file__).resolve().parents[1]
    if Path(notebook).is_file():
        files = metric_sources(notebook)
    else:
        files = sorted(p for p in (base / "backprop").rglob("*.py")) + [Path(__file__).resolve().parent / "notebook.py"]
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(base).as_posix().encode())
        h.update(_code_of(f))
    return h.hexdigest()


def backend_that_ran(metrics: dict, parameters: dict) -> str:
    """The notebook's own metric ``backend`` if it records one, else its ``device`` parameter resolved
    here (``"auto"`` when none was given), as :meth:`backprop.backend.Backend.describe` names it."""
    if isinstance(metrics.get("backend"), str) and metrics["backend"]:
        return metrics["backend"]
    from backprop.backend import get_backend

    device = parameters.get("device", "auto")
    try:
        return get_backend(device).describe()
    except (ValueError, RuntimeError, ImportError):  # the run used it, so this is unlikely; say what was asked
        return f"device={device}"


def staleness(record: dict | None, current: str | None = None, root: Path | str = ".") -> str | None:
    """``"current"``, ``"stale"`` (the record's source hash is not the tree's), ``"stale: unknown"``
    (a record from before source hashes), or None without a record. ``current``: :func:`tree_hash`
    of the record's notebook (found below ``root``)."""
    if record is None:
        return None
    if "source_hash" not in record:
        return "stale: unknown"
    if current is None:
        current = tree_hash(Path(root) / record["notebook"])
    return "current" if record["source_hash"] == current else "stale"


def runs_of(record: dict) -> list[dict]:
    """The record's runs, one per seed (a schema 1 record is one run)."""
    if "runs" in record:
        return record["runs"]
    return [{"seed": record["seed"], "metrics": record["metrics"], "seconds": record["seconds"]}]


def _median(values):
    m = statistics.median(values)
    return int(m) if all(isinstance(v, int) for v in values) and float(m).is_integer() else float(m)


def summarise(runs: list[dict], pooled=()) -> tuple[dict, dict]:
    """The summary of the runs' metrics and each number's ``[lowest, highest]`` over them.

    A number: its median over the seeds. A boolean: true when it is true in more than half
    of them. A string: its value when every seed agrees, else the distinct values joined by
    " / ". A list: element by element as above when every seed's has the same length, except
    the metrics named in ``pooled`` (one value per network, e.g. a share rule's counts), which
    are joined into one list of every seed's networks. A metric every run must have.
    """
    if not runs:
        raise ValueError("no runs to summarise")
    names = list(runs[0]["metrics"])
    for r in runs[1:]:
        if set(r["metrics"]) != set(names):
            odd = sorted(set(r["metrics"]) ^ set(names))
            raise ClaimsError(f"seed {r['seed']} has other metrics than seed {runs[0]['seed']}: {', '.join(odd)}")
    summary, spread = {}, {}

    def one(values):
        if all(isinstance(v, bool) for v in values):
            return sum(values) > len(values) / 2
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            return _median(values)
        distinct = list(dict.fromkeys(map(str, values)))
        return values[0] if len(distinct) == 1 else " / ".join(distinct)

    for name in names:
        values = [r["metrics"][name] for r in runs]
        if all(isinstance(v, list) for v in values):
            if name in pooled or len({len(v) for v in values}) > 1:
                summary[name] = [x for v in values for x in v]
            else:
                summary[name] = [one(list(column)) for column in zip(*values)]
            continue
        summary[name] = one(values)
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
            spread[name] = [min(values), max(values)]
    return summary, spread


def make(paper: str, notebook: str, scale: str, parameters: dict, runs: list[dict], root: Path | str, pooled=()) -> dict:
    """A record of the runs of one notebook, one per seed (``{"seed", "metrics", "seconds", ...}``
    each), with their summary and the hardware, package versions, commit and source hash here."""
    runs = sorted(runs, key=lambda r: r["seed"])
    summary, spread = summarise(runs, pooled)
    networks = summary.get("n_networks")
    record = {
        "schema": SCHEMA, "paper": paper, "notebook": notebook, "scale": scale,
        "parameters": dict(parameters), "seeds": [r["seed"] for r in runs],
        "networks": int(networks) if isinstance(networks, int) and not isinstance(networks, bool) else None,
        "runs": [{**r, "seconds": round(float(r["seconds"]), 2)} for r in runs],
        "metrics": summary, "spread": spread, "seconds": round(sum(float(r["seconds"]) for r in runs), 2),
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(summary.get("backend") if isinstance(summary.get("backend"), str) else None),
        "packages": packages(), "git": git_state(root),
        "source_hash": tree_hash(Path(root) / notebook), "backend": backend_that_ran(summary, parameters),
    }
    check(record, "the new record")
    return record


def check(record, source) -> dict:
    """Raise a :class:`~backprop_book.claims.ClaimsError` naming ``source`` and the field if ``record`` is malformed."""
    if not isinstance(record, dict):
        raise ClaimsError(f"{source}: a record must be a JSON object")
    required = {**FIELDS, **(SEED_FIELD if record.get("schema") == 1 else SEEDS_FIELDS)}
    missing = [k for k in required if k not in record]
    if missing:
        raise ClaimsError(f"{source}: missing field(s) {', '.join(missing)}")
    extra = [k for k in record if k not in required and k not in OPTIONAL_FIELDS]
    if extra:
        raise ClaimsError(f"{source}: unknown field(s) {', '.join(extra)}")
    for name, (ok, what) in {**required, **OPTIONAL_FIELDS}.items():
        if name in record and not ok(record[name]):
            raise ClaimsError(f"{source}: field {name!r} must be {what}, got {record[name]!r}")
    for where, metrics in [("metrics", record["metrics"])] + [(f"runs[{i}].metrics", r["metrics"]) for i, r in enumerate(record.get("runs", []))]:
        for name, value in metrics.items():
            if not _is_metric(value):
                raise ClaimsError(f"{source}: {where}.{name}: must be a finite number, a boolean, a string or a list of them, got {value!r}")
    if "runs" in record and [r["seed"] for r in record["runs"]] != record["seeds"]:
        raise ClaimsError(f"{source}: runs: their seeds {[r['seed'] for r in record['runs']]} are not the record's seeds {record['seeds']}")
    return record


def path_for(root: Path | str, paper: str, notebook: str) -> Path:
    return Path(root) / "reproductions" / "records" / paper / f"{Path(notebook).stem}.json"


def write(path: Path | str, record: dict) -> Path:
    path = Path(path)
    check(record, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def read(path: Path | str) -> dict:
    """The record at ``path``, checked."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ClaimsError(f"{path}: not valid JSON: {exc}") from None
    return check(record, path)


def read_if_any(path: Path | str) -> dict | None:
    path = Path(path)
    return read(path) if path.is_file() else None
