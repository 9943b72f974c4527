"""A progress bar for long loops, imported only when one is asked for.

The core needs no tqdm: ``progress_bar(total, enabled=False)`` is a bar that
does nothing, and tqdm is imported (with a clear error if it is missing) only
when ``enabled`` is true.

Inside a notebook that the book's runner executes, the environment variable
``BACKPROP_PROGRESS_FILE`` names a file: the bar then writes its state there
(``{"desc", "n", "total", "seconds"}``, at most once a second) for the runner to show
in the terminal of the person waiting, and nothing goes into the page.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class _Silent:
    """The bar of a loop that shows none."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class _FileBar:
    """A bar that reports to the runner through a small JSON file instead of drawing itself."""

    def __init__(self, path: str, total: int, desc: str = "", initial: int = 0, **_options):
        self.path, self.total, self.desc, self.n = Path(path), int(total), desc, int(initial)
        self.start, self.written = time.monotonic(), 0.0
        self._write()

    def _write(self) -> None:
        state = {"desc": self.desc, "n": self.n, "total": self.total, "seconds": time.monotonic() - self.start}
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(state))
            tmp.replace(self.path)
        except OSError:  # progress is a courtesy: never fail a run for it
            pass
        self.written = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.monotonic() - self.written >= 1.0 or self.n >= self.total:
            self._write()

    def close(self) -> None:
        self._write()


def progress_bar(total: int, enabled: bool = True, **options):
    """A tqdm bar over ``total`` steps (``options`` go to tqdm), or a silent one."""
    if not enabled:
        return _Silent()
    if os.environ.get("BACKPROP_PROGRESS_FILE"):
        return _FileBar(os.environ["BACKPROP_PROGRESS_FILE"], total, **options)
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("a progress bar needs tqdm: `pip install tqdm` (it comes with the book's extra)") from None
    return tqdm(total=total, **options)
