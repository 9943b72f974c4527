"""Finding a data file: a data folder, a shared pre-filled cache, or a checked download.

A :class:`DataFile` names a file by its place under a data root
(``"usps/usps.h5"``), its checksum and, if it can be fetched, a URL. :func:`locate`
looks for it, in order, in

1. ``$BACKPROP_DATA/<name>``              a folder the user points at
2. ``<repository>/../shared/data/<name>``  a pre-filled cache beside the checkout
3. ``~/.cache/backprop/<name>``           the user cache (``$XDG_CACHE_HOME/backprop``)

and otherwise downloads it into the user cache. Every file it returns has the
expected size and checksum; a file that is there but wrong is an error naming
the file (truncated: the size is wrong; corrupt: the checksum is), never
silently skipped or replaced. Downloads go to a temporary name and are renamed
only once their checksum is right, so an interrupted download leaves nothing
that looks complete.

Non-goals: archives and unpacking (a loader reads what it needs from the file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ENV = "BACKPROP_DATA"


@dataclass(frozen=True)
class DataFile:
    """A data file: its path under a data root, its checksum, and where to fetch it.

    ``sha256`` is the hex SHA-256 of the file. Where only an MD5 is published
    (and the SHA-256 could not be computed from a trusted copy), give ``md5``.
    """

    name: str
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    url: str | None = None
    licence: str = ""

    def __post_init__(self):
        if not (self.sha256 or self.md5):
            raise ValueError(f"{self.name}: a data file needs a sha256 (or md5) checksum")

    def __repr__(self) -> str:
        check = f"sha256={self.sha256[:12]}..." if self.sha256 else f"md5={self.md5}"
        return f"DataFile({self.name!r}, {check})"


class DataFileError(OSError):
    """A data file is missing, truncated or corrupt; the message names the file."""


class DataFileMissing(DataFileError, FileNotFoundError):
    """A data file is in none of the places looked in, and could not be downloaded."""


def repository_root() -> Path | None:
    """The checkout this library was installed from (editable install), if any."""
    for d in Path(__file__).resolve().parents:
        if (d / "pyproject.toml").is_file() and (d / "lib" / "backprop").is_dir():
            return d
    return None


def user_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "backprop"


def search_path() -> list[Path]:
    """The data roots :func:`locate` looks in, in order (the user cache last)."""
    roots = []
    if os.environ.get(ENV):
        roots.append(Path(os.environ[ENV]).expanduser())
    root = repository_root()
    if root is not None:
        roots.append(root.parent / "shared" / "data")
    roots.append(user_cache())
    return roots


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path | str, datafile: DataFile) -> Path:
    """``path`` if it has the size and checksum of ``datafile``; a :class:`DataFileError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DataFileMissing(f"{path}: no such file")
    size = path.stat().st_size
    if datafile.size is not None and size != datafile.size:
        what = "truncated" if size < datafile.size else "too long"
        raise DataFileError(f"{path} is {what}: {size:,} bytes, expected {datafile.size:,}. "
                            f"Delete it and run again to fetch a fresh copy.")
    algorithm, expected = ("sha256", datafile.sha256) if datafile.sha256 else ("md5", datafile.md5)
    actual = _digest(path, algorithm)
    if actual != expected.lower():
        raise DataFileError(f"{path} is corrupt: its {algorithm} is {actual}, expected {expected}. "
                            f"Delete it and run again to fetch a fresh copy.")
    return path


def locate(datafile: DataFile, download: bool = True) -> Path:
    """The path of a verified copy of ``datafile`` (see the module docstring for where it looks)."""
    roots = search_path()
    for root in roots:
        candidate = root / datafile.name
        if candidate.exists():
            return verify(candidate, datafile)
    looked = ", ".join(str(r / datafile.name) for r in roots)
    if not download or not datafile.url:
        how = f"set {ENV} to a folder that holds {datafile.name}"
        if datafile.url:
            how += " or allow the download"
        raise DataFileMissing(f"{datafile.name} not found (looked in {looked}); {how}")
    return fetch(datafile, user_cache() / datafile.name)


def fetch(datafile: DataFile, target: Path) -> Path:
    """Download ``datafile.url`` to ``target``, checked before it gets its final name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(datafile.url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        verify(tmp, datafile)
        os.replace(tmp, target)
    except DataFileError as exc:
        raise DataFileError(f"the download of {datafile.url} failed its check: {exc}") from None
    except OSError as exc:  # network errors are OSErrors too
        raise DataFileError(f"{datafile.name}: could not download {datafile.url}: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
