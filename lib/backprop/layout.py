"""Parameter dicts against their shapes: checking them, and laying them out as one flat vector.

Every network in the library keeps its weights in a dict of named arrays whose
shapes the architecture fixes (``net.param_shapes()``): ``W1: (30, 192)``,
``b1: (30, 1)``, a convolution's ``(12, 8, 5, 5)`` kernels. Two things depend on
nothing but those shapes, and live here once:

- :func:`check_params`: the dict has exactly those names and shapes (an error
  that names the first misfit);
- :class:`Layout`: the arrays concatenated into one vector ``w`` of ``P``
  entries, in the order of the shapes, and back. Levenberg-Marquardt needs it
  for its ``P x P`` solve; per-example training for few, whole-vector updates.

Either may allow leading "seed" axes (S networks stacked in front of every
array); a flat vector is then ``(S, P)``.

Non-goals: nested parameter trees; anything about what the parameters mean.
"""

from __future__ import annotations

import math

from backprop.backend import namespace


def check_params(shapes: dict, params: dict, owner, seeds: bool = True) -> None:
    """Raise a ``ValueError`` naming the problem unless ``params`` has exactly the names and
    shapes of ``shapes``; with ``seeds``, leading axes in front of every shape are allowed.

    ``owner`` (usually the network) is named in the message.
    """
    missing, extra = sorted(set(shapes) - set(params)), sorted(set(params) - set(shapes))
    if missing or extra:
        raise ValueError(f"params do not fit {owner!r}: missing {missing}, unexpected {extra}")
    for k, s in shapes.items():
        shape = tuple(params[k].shape)
        fits = shape[len(shape) - len(s):] == s if seeds else shape == s
        if len(shape) < len(s) or not fits:
            expected = "(..., " + ", ".join(map(str, s)) + ")" if seeds else str(s)
            raise ValueError(f"params[{k!r}] has shape {shape}, expected {expected}")


class Layout:
    """Where each named array sits in one flat vector: ``w[..., start:stop]``, reshaped.

    Built once from the shapes (the offsets are precomputed: per-example training
    flattens and unflattens several times per example).
    """

    def __init__(self, shapes: dict):
        self.shapes = {k: tuple(s) for k, s in shapes.items()}
        self.slices, start = [], 0
        for k, s in self.shapes.items():
            self.slices.append((k, start, start + math.prod(s), s))
            start += math.prod(s)
        self.size = start  # P
        first = next(iter(self.shapes))
        self._first, self._first_ndim = first, len(self.shapes[first])

    def __repr__(self) -> str:
        return f"Layout({len(self.shapes)} arrays, {self.size:,} entries)"

    def flatten(self, tree: dict):
        """The arrays of ``tree`` (params, grads, ...) as one vector ``(..., P)``, in the order of the shapes.

        ``...`` are the leading axes that every array carries in front of its shape.
        """
        ref = tree[self._first]
        xp = namespace(ref)
        if ref.ndim == self._first_ndim:  # the per-example case: no leading axes to keep
            return xp.concat([tree[k].reshape(-1) for k in self.shapes])
        lead = tuple(ref.shape[: ref.ndim - self._first_ndim])
        return xp.concat([tree[k].reshape(lead + (-1,)) for k in self.shapes], axis=-1)

    def unflatten(self, w) -> dict:
        """The inverse of :meth:`flatten`: views into ``w`` ``(..., P)``, shaped like the params."""
        if w.ndim == 1:  # the per-example case: plain slices, the cheapest indexing there is
            return {k: w[start:stop].reshape(s) for k, start, stop, s in self.slices}
        lead = tuple(w.shape[:-1])
        return {k: w[..., start:stop].reshape(lead + s) for k, start, stop, s in self.slices}
