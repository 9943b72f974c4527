"""Looking up a named object of the library (an activation, a cost) by its name."""

from __future__ import annotations


def lookup(registry: dict, item, cls: type, kind: str, hint: str = ""):
    """``item`` itself if it is a ``cls``, else ``registry[item]``; an unknown name is a
    ``ValueError`` that lists the known ones (and ``hint``, how to make a new one)."""
    if isinstance(item, cls):
        return item
    try:
        return registry[item]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {kind} {item!r}; known: {', '.join(sorted(registry))}{hint}") from None
