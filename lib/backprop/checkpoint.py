"""Checkpoints that are safe to load: plain arrays and a JSON header, never pickled objects.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays) holding the
parameters and one more array, ``__header__``: UTF-8 JSON with the format
version, the network's architecture, a SHA-256 of the arrays and whatever the
caller adds (games played, a generator's state, a history). It is read with
``numpy.load(..., allow_pickle=False)``, so a file that would unpickle objects,
and with them run arbitrary code, is refused rather than executed.

Writing is atomic: the file is written under a temporary name in the same
folder, flushed to disk and renamed, so a run killed mid-write leaves the
previous checkpoint intact and never half a file. Loading raises
:class:`CheckpointError` for a file that is not a readable, intact checkpoint
and :class:`ArchitectureMismatch` for one made by a different network.

Non-goals: optimiser state beyond what the caller puts in the header; cloud
storage; keeping only the last few files (they are small).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import zipfile
from pathlib import Path

import numpy as np

from backprop.backend import to_numpy
from backprop.dense import DenseNet

FORMAT = "backprop-checkpoint"
VERSION = 1
HEADER = "__header__"


class CheckpointError(ValueError):
    """The file is not a readable, intact checkpoint."""


class ArchitectureMismatch(CheckpointError):
    """The checkpoint holds the weights of a different network."""


def architecture(net: DenseNet, **extra) -> dict:
    """What must match for weights to fit ``net``: sizes, activations, direct connections
    (and ``extra``, such as the input encoding)."""
    return {
        "sizes": list(net.sizes),
        "activations": [f.name for f in net.activations[1:]],
        "skips": [list(s) for s in net.skips],
        **extra,
    }


def _digest(arrays: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(path, params: dict, arch: dict, **info) -> Path:
    """Write ``params`` (any backend) with the architecture ``arch`` and JSON-able ``info``."""
    path = Path(path)
    arrays = {k: np.asarray(to_numpy(v)) for k, v in params.items()}
    if HEADER in arrays:
        raise ValueError(f"{HEADER!r} is reserved for the header")
    header = {"format": FORMAT, "version": VERSION, "architecture": arch, "sha256": _digest(arrays), **info}
    text = json.dumps(header, sort_keys=True, allow_nan=False)  # raises on values JSON cannot hold
    arrays[HEADER] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # same folder: same disk
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see the old file or the new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path, arch: dict | None = None) -> tuple[dict, dict]:
    """``(params, header)`` from a checkpoint; with ``arch``, refuse weights of another architecture."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04":  # every .npz is a zip archive
        if head[:1] == b"\x80":
            raise CheckpointError(
                f"{path} is a Python pickle; it is refused because unpickling can run arbitrary code. "
                "A checkpoint holds only plain numeric arrays (.npz)."
            )
        raise CheckpointError(f"{path} is not a checkpoint: not a .npz (zip) archive")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except ValueError as exc:
        if "pickle" in str(exc):
            raise CheckpointError(
                f"{path} holds pickled Python objects; they are refused because unpickling can run "
                "arbitrary code. A checkpoint holds only plain numeric arrays."
            ) from None
        raise CheckpointError(f"{path} is not a readable checkpoint: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise CheckpointError(f"{path} is corrupt or truncated ({type(exc).__name__}: {exc})") from None

    if HEADER not in arrays:
        raise CheckpointError(f"{path} has no {HEADER!r}: it was not written by backprop.checkpoint.save")
    try:
        header = json.loads(arrays.pop(HEADER).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: its header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a {FORMAT} file")
    if header.get("version") != VERSION:
        raise CheckpointError(f"{path} has format version {header.get('version')}; this library reads version {VERSION}")
    if header.get("sha256") != _digest(arrays):
        raise CheckpointError(f"{path} is corrupt: its arrays do not match the checksum in its header")
    if arch is not None and header.get("architecture") != arch:
        raise ArchitectureMismatch(_differences(path, header.get("architecture"), arch))
    return arrays, header


def _differences(path: Path, found: dict, wanted: dict) -> str:
    found = found or {}
    keys = sorted(set(found) | set(wanted))
    diffs = [f"{k}: checkpoint has {found.get(k)!r}, expected {wanted.get(k)!r}" for k in keys if found.get(k) != wanted.get(k)]
    return f"{path} holds a different network ({'; '.join(diffs)})"


def load_params(path, net: DenseNet, **extra) -> tuple[dict, dict]:
    """Load weights for ``net`` (checked against its architecture and parameter shapes)."""
    params, header = load(path, architecture(net, **extra))
    shapes = net.param_shapes()
    if set(params) != set(shapes) or any(tuple(params[k].shape) != s for k, s in shapes.items()):
        got = {k: tuple(v.shape) for k, v in params.items()}
        raise ArchitectureMismatch(f"{path}: parameter shapes {got} do not fit {net!r}, which needs {shapes}")
    return params, header


def numbered(directory, stem: str) -> list[tuple[int, Path]]:
    """Checkpoints ``{stem}-{n}.npz`` in ``directory``, sorted by ``n``."""
    pattern = re.compile(rf"{re.escape(stem)}-(\d+)\.npz")
    found = []
    for p in Path(directory).glob(f"{stem}-*.npz"):
        match = pattern.fullmatch(p.name)
        if match:
            found.append((int(match.group(1)), p))
    return sorted(found)
