"""The NETtalk corpus: Sejnowski & Rosenberg's letter-aligned dictionary and the 1000-word list.

Two files from the UCI Machine Learning Repository ("Connectionist Bench
(Nettalk Corpus)"):

``nettalk.data``  20,007 lines ``word<TAB>phonemes<TAB>stress<TAB>class``: one
                  phoneme symbol per letter (``-`` for a silent letter), one stress
                  symbol per letter (``0 1 2`` stress on a syllable's nucleus,
                  ``<`` ``>`` the side of the syllable boundary a letter lies on),
                  class 0 regular, 1 irregular, 2 foreign.
``nettalk.list``  Scott Fahlman's reconstruction of the "1000 most common English
                  words" list of the paper: upper-case words in one parenthesised
                  block after a prose note.

Licence: Copyright 1988 Terrence J. Sejnowski; permission is given to use the
data for non-commercial research purposes. The project never commits or
redistributes the files: they are read from a data folder (see
:mod:`backprop.datafiles`), or downloaded from UCI into the user's cache and
checked against the SHA-256 sums below.

Non-goals: the continuous-speech corpus of the paper (not distributed); any
encoding for the network (that is :mod:`backprop.papers.sejnowski1987.nettalk`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from backprop.datafiles import DataFile, DataFileError, DataFileMissing, locate, user_cache, verify

LICENCE = (
    "NETtalk corpus: Copyright 1988 Terrence J. Sejnowski. Permission is given to use the "
    "data for non-commercial research purposes only (UCI Machine Learning Repository, "
    "'Connectionist Bench (Nettalk Corpus)'). It is not redistributed with this project."
)
UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/undocumented/connectionist-bench/nettalk/"

# Checksums of the corpus as this project keeps it. UCI's nettalk.data starts with
# a copyright header, which the download drops before the check (the shared copy
# has none); nettalk.list is kept as distributed.
FILES = {
    "nettalk.data": DataFile("nettalk/nettalk.data", size=540_840, licence=LICENCE,
                             sha256="ef4ca3fb591ccccddd7d4236f0e4f12fe07dc404ea25e6c9ccee16771ae75f18"),
    "nettalk.list": DataFile("nettalk/nettalk.list", size=7_382, licence=LICENCE, url=UCI_URL + "nettalk.list",
                             sha256="07c47f92dba791e5525b757ee5797953bb42b50a7de5937dd3af5cb0e112b856"),
}
N_ENTRIES = 20007  # lines of nettalk.data
N_TOP = 1000  # words of nettalk.list

_LINE = re.compile(r"^([a-z]+)\t(\S+)\t([<>012]+)\t([012]) ?$")


class DataError(DataFileError):
    """A data file is truncated, corrupt or in an unexpected format; the message names it."""


@dataclass(frozen=True)
class Lexicon:
    """Letter-aligned pronunciations: ``phonemes[i]`` and ``stress[i]`` have one symbol per letter of ``words[i]``."""

    words: tuple
    phonemes: tuple
    stress: tuple
    source: str

    def __post_init__(self):
        for w, p, s in zip(self.words, self.phonemes, self.stress):
            if not len(w) == len(p) == len(s):
                raise DataError(f"{self.source}: {w!r} has {len(w)} letters but phonemes {p!r} and stress {s!r}")

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"Lexicon({len(self)} words, {self.n_letters()} letters, from {self.source})"

    def n_letters(self) -> int:
        return sum(len(w) for w in self.words)

    def __add__(self, other: "Lexicon") -> "Lexicon":
        return Lexicon(self.words + other.words, self.phonemes + other.phonemes, self.stress + other.stress,
                       self.source if other.source == self.source else f"{self.source} + {other.source}")

    def take(self, indices, source: str | None = None) -> "Lexicon":
        """The entries at ``indices``, in that order."""
        indices = list(indices)
        return Lexicon(tuple(self.words[i] for i in indices), tuple(self.phonemes[i] for i in indices),
                       tuple(self.stress[i] for i in indices), source or self.source)

    def lookup(self, words) -> "Lexicon":
        """The entries for ``words`` (each must be in the lexicon), in that order."""
        where = {w: i for i, w in reversed(list(enumerate(self.words)))}  # first entry wins
        missing = [w for w in words if w not in where]
        if missing:
            raise KeyError(f"{len(missing)} word(s) not in {self.source}: {', '.join(missing[:10])}")
        return self.take([where[w] for w in words])

    def without(self, words) -> "Lexicon":
        """Every entry whose word is not in ``words``."""
        drop = set(words)
        return self.take([i for i, w in enumerate(self.words) if w not in drop])


# --- finding and checking the files ----------------------------------------------------

def find_file(name: str, download: bool = True) -> Path:
    """The checked path of ``name`` ("nettalk.data" or "nettalk.list"): from a data folder
    (see :mod:`backprop.datafiles`), or else downloaded from UCI into the user cache."""
    if name not in FILES:
        raise ValueError(f"unknown NETtalk file {name!r}; known: {', '.join(FILES)}")
    datafile = FILES[name]
    try:
        return locate(datafile, download=download and name == "nettalk.list")
    except DataFileMissing as missing:
        if not download or name != "nettalk.data":
            raise DataFileMissing(f"{missing} ({LICENCE})") from None
    return _download_corpus(datafile)


def _download_corpus(datafile: DataFile) -> Path:
    """Fetch UCI's nettalk.data, drop its header, check the rest, keep it in the user cache."""
    target = user_cache() / datafile.name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    url = UCI_URL + "nettalk.data"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            text = response.read().decode("utf-8", errors="replace")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(_body(text))
        digest = hashlib.sha256(Path(tmp).read_bytes()).hexdigest()
        if digest != datafile.sha256:
            raise DataError(f"the download of {url} failed its check: the corpus lines have SHA-256 "
                            f"{digest}, expected {datafile.sha256}")
        shutil.move(tmp, target)
    except OSError as exc:
        if isinstance(exc, DataFileError):
            raise
        raise DataFileMissing(f"{datafile.name} is in no data folder and could not be downloaded from "
                              f"{url}: {exc}. Put the file in a data folder or set BACKPROP_DATA. {LICENCE}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target


def _body(text: str) -> str:
    """The corpus lines of ``nettalk.data`` (UCI's copyright header dropped)."""
    lines = text.splitlines(keepends=True)
    first = next((i for i, ln in enumerate(lines) if _LINE.match(ln.rstrip("\r\n"))), 0)
    return "".join(lines[first:])


def read_dictionary(path: Path | str | None = None, check: bool = True, unique: bool = True) -> Lexicon:
    """The letter-aligned dictionary (``nettalk.data``).

    ``unique=True`` keeps the first pronunciation of the 206 words listed twice
    (19,801 words); ``unique=False`` keeps all 20,007 entries.
    """
    path = Path(path) if path else find_file("nettalk.data")
    if check:
        verify(path, FILES["nettalk.data"])
    words, phonemes, stress, seen, n = [], [], [], set(), 0
    text = _body(path.read_text(encoding="utf-8", errors="replace"))
    for n, line in enumerate(text.splitlines(), start=1):
        m = _LINE.match(line)
        if not m:
            raise DataError(f"{path}, corpus line {n}: not 'word<TAB>phonemes<TAB>stress<TAB>class': {line[:80]!r}")
        w, p, s, _ = m.groups()
        if not len(w) == len(p) == len(s):
            raise DataError(f"{path}, corpus line {n}: {w!r} has {len(w)} letters, {len(p)} phonemes, {len(s)} stresses")
        if unique and w in seen:
            continue
        seen.add(w)
        words.append(w), phonemes.append(p), stress.append(s)
    if not check and n < N_ENTRIES:
        raise DataError(f"{path} has {n} entries, expected {N_ENTRIES}: the file is truncated")
    return Lexicon(tuple(words), tuple(phonemes), tuple(stress), "NETtalk dictionary")


def read_top1000(path: Path | str | None = None, check: bool = True) -> list[str]:
    """Fahlman's reconstruction of the paper's 1000 most common words, lower case, in order."""
    path = Path(path) if path else find_file("nettalk.list")
    if check:
        verify(path, FILES["nettalk.list"])
    text = path.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"\(([A-Z][A-Z\s]*)\)", text)
    words = m.group(1).split() if m else []
    if len(words) != N_TOP:
        raise DataError(f"{path}: found {len(words)} words in the parenthesised list, expected {N_TOP}")
    return [w.lower() for w in words]


def load(download: bool = True) -> tuple[Lexicon, list[str]]:
    """``(dictionary, top1000)``: the whole dictionary and the 1000-word training list."""
    return read_dictionary(find_file("nettalk.data", download)), read_top1000(find_file("nettalk.list", download))


def available() -> bool:
    """Whether both files are in a data folder already (no download needed).

    A file that is there but truncated or corrupt is an error, not a "no"."""
    try:
        for name in FILES:
            find_file(name, download=False)
    except DataFileMissing:
        return False
    return True
