"""Run records: what a full-scale run of a notebook measured, and on what.

A record is a small JSON file, ``reproductions/records/<paper>/<notebook>.json``::

    {"schema": 1, "paper": "rhw1986_pdp", "notebook": "notebooks/rhw1986_pdp_xor.md",
     "scale": "full", "parameters": {...}, "seed": 0, "networks": 1000,
     "metrics": {...}, "seconds": 41.2, "finished": "2026-11-28T10:00:00+00:00",
     "hardware": {"cpu": "AMD EPYC ...", "cores": 2, "gpu": null, "backend": "numpy on CPU"},
     "packages": {"python": "3.11.9", "numpy": "2.4.6", ...},
     "git": {"commit": "2a64452...", "dirty": true},
     "source_hash": "9f2c...", "backend": "numpy on CPU"}

``source_hash`` is the hash of the library and the book machinery the run used
(:func:`backprop_book.runner.source_hash` over ``LIBRARY_DIRS``): a record whose hash
differs from the tree's is stale (:func:`staleness`). ``backend`` is what actually
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

import datetime as _dt
import importlib.metadata
import json
import math
import numbers
import os
import platform
import subprocess
from pathlib import Path

from backprop_book.claims import ClaimsError

SCHEMA = 1
PACKAGES = ("backprop-book", "numpy", "torch", "array-api-compat", "papermill", "matplotlib")
FIELDS = {  # field: the check its value must pass, described for the error message
    "schema": (lambda v: v == SCHEMA, f"the number {SCHEMA}"),
    "paper": (lambda v: isinstance(v, str) and bool(v), "the claims file's stem"),
    "notebook": (lambda v: isinstance(v, str) and v.endswith(".md"), "a notebook path ending in .md"),
    "scale": (lambda v: v in ("smoke", "full"), "'smoke' or 'full'"),
    "parameters": (lambda v: isinstance(v, dict), "a mapping"),
    "seed": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "a non-negative integer"),
    "networks": (lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0), "a positive integer or null"),
    "metrics": (lambda v: isinstance(v, dict), "a mapping of metric names to values"),
    "seconds": (lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool) and v >= 0, "a non-negative number"),
    "finished": (lambda v: isinstance(v, str) and _is_time(v), "an ISO 8601 time"),
    "hardware": (lambda v: isinstance(v, dict) and {"cpu", "cores", "gpu"} <= set(v), "a mapping with cpu, cores and gpu"),
    "packages": (lambda v: isinstance(v, dict) and "python" in v, "a mapping of package names to versions"),
    "git": (lambda v: isinstance(v, dict) and {"commit", "dirty"} <= set(v), "a mapping with commit and dirty"),
}
OPTIONAL_FIELDS = {  # absent from records written before them
    "source_hash": (lambda v: isinstance(v, str) and len(v) == 64, "a sha256 hex digest"),
    "backend": (lambda v: isinstance(v, str) and bool(v), "a non-empty string (what ran)"),
}


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


def tree_hash() -> str:
    """The source hash of the library and book machinery in this tree (what a fresh record carries)."""
    from backprop_book.runner import LIBRARY_DIRS, source_hash

    return source_hash(*LIBRARY_DIRS)


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


def staleness(record: dict | None, current: str | None = None) -> str | None:
    """``"current"``, ``"stale"`` (the record's source hash is not the tree's), ``"stale: unknown"``
    (a record from before source hashes), or None without a record. ``current``: :func:`tree_hash`."""
    if record is None:
        return None
    if "source_hash" not in record:
        return "stale: unknown"
    return "current" if record["source_hash"] == (current or tree_hash()) else "stale"


def make(paper: str, notebook: str, scale: str, parameters: dict, metrics: dict, seconds: float, root: Path | str, seed: int = 0) -> dict:
    """A record of one run, with the hardware, package versions, commit and source hash of this machine."""
    networks = metrics.get("n_networks")
    record = {
        "schema": SCHEMA, "paper": paper, "notebook": notebook, "scale": scale,
        "parameters": dict(parameters), "seed": int(seed),
        "networks": int(networks) if isinstance(networks, int) and not isinstance(networks, bool) else None,
        "metrics": dict(metrics), "seconds": round(float(seconds), 2),
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(metrics.get("backend") if isinstance(metrics.get("backend"), str) else None),
        "packages": packages(), "git": git_state(root),
        "source_hash": tree_hash(), "backend": backend_that_ran(metrics, parameters),
    }
    check(record, "the new record")
    return record


def check(record, source) -> dict:
    """Raise a :class:`~backprop_book.claims.ClaimsError` naming ``source`` and the field if ``record`` is malformed."""
    if not isinstance(record, dict):
        raise ClaimsError(f"{source}: a record must be a JSON object")
    missing = [k for k in FIELDS if k not in record]
    if missing:
        raise ClaimsError(f"{source}: missing field(s) {', '.join(missing)}")
    extra = [k for k in record if k not in FIELDS and k not in OPTIONAL_FIELDS]
    if extra:
        raise ClaimsError(f"{source}: unknown field(s) {', '.join(extra)}")
    for name, (ok, what) in {**FIELDS, **OPTIONAL_FIELDS}.items():
        if name in record and not ok(record[name]):
            raise ClaimsError(f"{source}: field {name!r} must be {what}, got {record[name]!r}")
    for name, value in record["metrics"].items():
        if not _is_metric(value):
            raise ClaimsError(f"{source}: metrics.{name}: must be a finite number, a boolean, a string or a list of them, got {value!r}")
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
