"""What an executable notebook of the book calls: its set-up and its metrics.

Every notebook starts with a cell tagged ``parameters``::

    scale = "smoke"      # "smoke": seconds, for the tests; "full": the real run
    seed = 0
    device = "auto"      # see backprop.backend
    metrics_path = ""    # where to write the metrics as JSON ("" = nowhere)

then calls ``run = setup(scale, seed, device)``, and ends with
``record(metrics_path, name=value, ...)``, which writes the metrics for the
runner and glues each one for the text (``{glue:text}`name```), so that every
number in the prose comes from the run.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop.backend import Backend, get_backend

SCALES = ("smoke", "full")


@dataclass(frozen=True)
class Run:
    """A notebook run's settings: its scale, a seeded generator and a backend."""

    scale: str
    seed: int
    backend: Backend
    rng: np.random.Generator

    def pick(self, smoke, full):
        """The value for this run's scale."""
        return smoke if self.scale == "smoke" else full

    def __repr__(self) -> str:
        return f"Run(scale={self.scale!r}, seed={self.seed}, backend={self.backend!r})"


def setup(scale: str = "smoke", seed: int = 0, device: str = "auto") -> Run:
    """Check a notebook's parameters and turn them into a :class:`Run`."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {SCALES}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return Run(scale, int(seed), get_backend(device), np.random.default_rng(int(seed)))


def _plain(name: str, value):
    """``value`` as plain JSON (numpy scalars and arrays converted), refusing NaN."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise ValueError(f"metric {name!r} is {value}: a metric must be a finite number")
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(name, v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    raise TypeError(f"metric {name!r} has type {type(value).__name__}; use numbers, booleans, strings or lists")


def record(metrics_path: str | os.PathLike, **metrics) -> dict:
    """Write ``metrics`` as JSON to ``metrics_path`` (unless it is empty) and glue each one."""
    plain = {name: _plain(name, value) for name, value in metrics.items()}
    if metrics_path:
        path = Path(metrics_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(plain, indent=2, sort_keys=True))
        tmp.replace(path)  # atomic: a reader never sees half a file
    try:
        from myst_nb import glue
    except ImportError:  # outside the book's environment there is nothing to glue into
        return plain
    for name, value in plain.items():
        if not isinstance(value, list):
            glue(name, value, display=False)
    return plain


def published(full_id: str, field: str = "published"):
    """A registered claim's published value (or another of its fields), read from the registry.

    ``full_id`` is ``"<stem>.<id>"`` (``"rhw1986_pdp.xor_skip_sweeps"``): the value comes
    from ``reproductions/<stem>.yaml`` of the book this notebook belongs to, so that a
    notebook never types a paper's number in again (the registry is the one source of
    truth, and a test looks for such literals in the notebooks' code).
    """
    import yaml

    from backprop_book.build import find_root

    stem, _, claim_id = full_id.partition(".")
    path = find_root(".") / "reproductions" / f"{stem}.yaml"
    if not claim_id or not path.is_file():
        raise KeyError(f"no claim {full_id!r}: expected '<stem>.<id>' with reproductions/<stem>.yaml present")
    for claim in (yaml.safe_load(path.read_text()) or {}).get("claims", []):
        if claim.get("id") == claim_id:
            if field not in claim:
                raise KeyError(f"claim {full_id!r} has no field {field!r}")
            return claim[field]
    raise KeyError(f"{path.name} registers no claim {claim_id!r}")


def checkpoint_folder(kind: str, settings: Mapping, scale: str) -> Path:
    """The folder where a run with these ``settings`` keeps its checkpoints.

    At ``scale == "smoke"`` a fresh temporary folder (a test never finds a previous
    run's checkpoints). Otherwise ``<book root>/_build/checkpoints/<kind>-<key>``,
    created if missing, where ``<key>`` is the first 12 hex digits of the SHA-256 of
    ``json.dumps(settings, sort_keys=True)``: a rerun with the same settings finds
    the same folder and continues from it, other settings get another one. The key
    follows the settings only, not the library's source, so an edit of the code
    does not throw a long training run away (the notebook checks what it loads).
    ``settings`` must be plain JSON (numbers, strings, booleans, lists, dicts).
    """
    if not kind or "/" in kind or kind.startswith("."):
        raise ValueError(f"checkpoint kind must be a plain folder name, got {kind!r}")
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {SCALES}")
    if scale == "smoke":
        return Path(tempfile.mkdtemp(prefix=f"{kind}-"))
    try:
        text = json.dumps(dict(settings), sort_keys=True)
    except TypeError as err:
        raise TypeError(f"checkpoint settings must be plain JSON: {err}") from None
    from backprop_book.build import find_root

    folder = find_root(".") / "_build" / "checkpoints" / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
