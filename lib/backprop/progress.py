"""A progress bar for long loops, imported only when one is asked for.

The core needs no tqdm: ``progress_bar(total, enabled=False)`` is a bar that
does nothing, and tqdm is imported (with a clear error if it is missing) only
when ``enabled`` is true.
"""

from __future__ import annotations


class _Silent:
    """The bar of a loop that shows none."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, enabled: bool = True, **options):
    """A tqdm bar over ``total`` steps (``options`` go to tqdm), or a silent one."""
    if not enabled:
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("a progress bar needs tqdm: `pip install tqdm` (it comes with the book's extra)") from None
    return tqdm(total=total, **options)
