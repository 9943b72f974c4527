"""Convolution as a matrix product (im2col), forward and backward, with a connection mask.

A convolutional layer with ``C_in`` input maps of ``H x H`` units, ``C_out``
output maps of ``Ho x Ho`` units, ``k x k`` kernels and a stride is a dense layer
whose weight matrix repeats one small kernel at every position. Written as a
matrix product:

    patches = im2col(a[l-1])                  (C_in k k, Ho Ho m): one column per position and example
    z[l]    = (W[l] * mask) @ patches + b[l]  W[l] as (C_out, C_in k k); reshaped to (C_out Ho Ho, m)

and backwards, from ``delta[l] = dC/dz[l]``,

    dC/dW[l]   = (delta[l] @ patches.T) * mask      summed over positions and examples: shared weights
    dC/db[l]   = delta[l] summed over the examples  one bias per unit (LeCun 1989 did not share biases)
    dC/da[l-1] = col2im(W[l].T @ delta[l])

**Examples are columns**, as in :mod:`backprop.dense`: ``a[l-1]`` has shape
``(C_in H H, m)``, each column one example's maps flattened channel by channel,
row by row. ``im2col`` is one gather with a precomputed index array; units
outside the map read a *padding* row that holds ``pad_value`` (the background:
LeCun 1989 padded the input with virtual background pixels). ``col2im``, the
transpose of that gather, is a gather too: each input unit sums the patch
entries that read it (at most ``ceil(k / stride)**2``, here 9), listed in a
second precomputed index array. Both are array-API ``take`` calls, so one code
path serves numpy and torch, CPU and GPU, with no scatter-add.

The ``mask`` (``C_out x C_in``, 1 = connected) gives partial connectivity between
maps: LeCun's H2 maps each see 8 of the 12 H1 maps. Masked weights are held at
zero and get a zero gradient, so they are not free parameters.

Non-goals: dilation, groups, non-square maps; speed on large images (the
index arrays are sized for the small maps of 1980s networks).
"""

from __future__ import annotations

import numpy as np

from backprop.backend import namespace


class Conv2D:
    """The geometry of one convolutional layer and its im2col index arrays (no weights).

    Weights are ``W: (C_out, C_in, k, k)`` and biases ``b: (C_out Ho Ho, 1)``,
    one per unit. ``pad`` units of ``pad_value`` surround the input on the top
    and left; as many as the stride needs on the bottom and right.
    """

    def __init__(self, in_maps: int, in_size: int, out_maps: int, kernel: int, stride: int = 1,
                 pad: int = 0, pad_value: float = 0.0, mask=None):
        for name, v, low in (("in_maps", in_maps, 1), ("in_size", in_size, 1), ("out_maps", out_maps, 1),
                             ("kernel", kernel, 1), ("stride", stride, 1), ("pad", pad, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
        self.in_maps, self.in_size, self.out_maps = int(in_maps), int(in_size), int(out_maps)
        self.kernel, self.stride, self.pad, self.pad_value = int(kernel), int(stride), int(pad), float(pad_value)
        self.out_size = (self.in_size + 2 * self.pad - self.kernel) // self.stride + 1
        if self.out_size < 1:
            raise ValueError(f"a {kernel}x{kernel} kernel does not fit a {in_size}x{in_size} map padded by {pad}")
        self.mask = _check_mask(mask, self.out_maps, self.in_maps)
        self.masked = not self.mask.all()  # a full mask needs no multiplication
        self._gather, self._scatter = _im2col_indices(self.in_maps, self.in_size, self.kernel, self.stride,
                                                      self.pad, self.out_size)
        self._on_device = {}  # index arrays and mask per (library, device)

    # sizes --------------------------------------------------------------------
    @property
    def n_in(self) -> int:
        return self.in_maps * self.in_size**2

    @property
    def n_out(self) -> int:
        """Units in the layer: C_out Ho Ho."""
        return self.out_maps * self.out_size**2

    @property
    def fan_in(self) -> int:
        """Weighted inputs of one unit (connected maps x k x k); the bias not counted."""
        return int(self.mask.sum(axis=1).max()) * self.kernel**2

    def param_shapes(self) -> dict:
        return {"W": (self.out_maps, self.in_maps, self.kernel, self.kernel), "b": (self.n_out, 1)}

    def n_params(self) -> int:
        """Free parameters: the unmasked kernel weights (shared) plus one bias per unit."""
        return int(self.mask.sum()) * self.kernel**2 + self.n_out

    def n_connections(self) -> int:
        """Connections, as LeCun counts them: every input line of every unit, the bias included."""
        per_map = self.mask.sum(axis=1) * self.kernel**2 + 1  # (C_out,)
        return int(per_map.sum()) * self.out_size**2

    def __repr__(self) -> str:
        masked = "" if self.mask.all() else f", mask {int(self.mask.sum())}/{self.mask.size} map pairs"
        return (f"Conv2D({self.in_maps}x{self.in_size}x{self.in_size} -> {self.out_maps}x{self.out_size}x{self.out_size}, "
                f"{self.kernel}x{self.kernel} kernels, stride {self.stride}, pad {self.pad} with {self.pad_value:g}{masked})")

    # arrays on the device -----------------------------------------------------
    def arrays(self, like):
        """``(gather, scatter, mask)`` as arrays of the library, device and dtype of ``like`` (cached)."""
        key = (type(like), like.device, like.dtype)
        if key not in self._on_device:
            xp, device = namespace(like), like.device
            self._on_device[key] = (
                xp.asarray(self._gather, device=device),
                xp.asarray(self._scatter, device=device),
                xp.asarray(self.mask[:, :, None, None], dtype=like.dtype, device=device),
            )
        return self._on_device[key]


def _check_mask(mask, out_maps: int, in_maps: int) -> np.ndarray:
    if mask is None:
        return np.ones((out_maps, in_maps), dtype=bool)
    m = np.asarray(mask)
    if m.shape != (out_maps, in_maps):
        raise ValueError(
            f"the connection mask has shape {m.shape}, but the layer has {out_maps} output maps and "
            f"{in_maps} input maps: it needs shape ({out_maps}, {in_maps}), one row per output map"
        )
    if not np.isin(m, (0, 1)).all():
        raise ValueError("the connection mask must hold only 0/1 (or False/True)")
    m = m.astype(bool)
    if not m.any(axis=1).all():
        empty = [int(i) for i in np.flatnonzero(~m.any(axis=1))]
        raise ValueError(f"the connection mask leaves output map(s) {empty} with no input map")
    return m


def _im2col_indices(C: int, H: int, k: int, s: int, pad: int, Ho: int):
    """Index arrays for the gather ``patches = a_ext[gather]`` and its transpose.

    ``a_ext`` is the input with one extra row (index ``C H H``) holding the padding
    value. ``gather`` has ``C k k Ho Ho`` entries, row ``(c, dy, dx)`` then position
    ``(y, x)``. ``scatter`` is ``(r, C H H)``: column ``i`` lists the positions in
    ``gather`` that read input unit ``i``, padded with ``len(gather)`` (a zero row
    appended to the patch gradient). Summing over its first axis adds whole
    contiguous rows, which is several times faster than a sum over the last.
    """
    c, dy, dx, y, x = np.meshgrid(np.arange(C), np.arange(k), np.arange(k), np.arange(Ho), np.arange(Ho), indexing="ij")
    row, col = y * s + dy - pad, x * s + dx - pad  # the input unit each kernel tap reads
    inside = (row >= 0) & (row < H) & (col >= 0) & (col < H)
    gather = np.where(inside, (c * H + row) * H + col, C * H * H).ravel()
    n_in = C * H * H
    reads = np.bincount(gather, minlength=n_in + 1)[:n_in]
    r = max(int(reads.max()), 1)
    order = np.argsort(gather, kind="stable")
    start = np.concatenate([[0], np.cumsum(reads)])
    scatter = np.full((r, n_in), gather.size, dtype=np.int64)
    for i in range(n_in):  # runs once per layer, at construction
        scatter[: reads[i], i] = order[start[i] : start[i + 1]]
    return gather.astype(np.int64), scatter.ravel()


def im2col(layer: Conv2D, a_prev, gather):
    """``a_prev: (C_in H H, m)`` -> patches ``(C_in k k, Ho Ho m)``, padding read as ``pad_value``."""
    xp = namespace(a_prev)
    m = a_prev.shape[-1]
    pad_row = xp.full((1, m), layer.pad_value, dtype=a_prev.dtype, device=a_prev.device)
    a_ext = xp.concat([a_prev, pad_row], axis=0)  # (C_in H H + 1, m)
    return xp.take(a_ext, gather, axis=0).reshape(-1, layer.out_size**2 * m)


def forward(layer: Conv2D, W, b, a_prev):
    """``z[l] = (W * mask) @ im2col(a[l-1]) + b``: returns ``(z: (C_out Ho Ho, m), patches)``."""
    gather, _, mask = layer.arrays(W)
    m = a_prev.shape[-1]
    patches = im2col(layer, a_prev, gather)  # (C_in k k, Ho Ho m)
    Wm = (W * mask if layer.masked else W).reshape(layer.out_maps, -1)  # (C_out, C_in k k)
    z = (Wm @ patches).reshape(layer.n_out, m) + b  # (C_out Ho Ho, m)
    return z, patches


def backward(layer: Conv2D, W, patches, delta, input_grad: bool = True):
    """From ``delta[l]: (C_out Ho Ho, m)``: ``(dW, db, dC/da[l-1] or None)``.

    Called with ``W**2``, ``patches**2`` and the second derivatives ``d2C/dz[l]^2``
    in place of ``delta``, the same lines give LeCun's diagonal second derivatives
    (see :func:`backprop.papers.lecun1989.lenet.curvature`).
    """
    xp = namespace(delta, W)
    _, scatter, mask = layer.arrays(W)
    m = delta.shape[-1]
    d = delta.reshape(layer.out_maps, -1)  # (C_out, Ho Ho m)
    dW = (d @ patches.mT).reshape(W.shape)  # shared weights: summed over positions and examples
    if layer.masked:
        dW = dW * mask
    db = xp.sum(delta, axis=-1, keepdims=True)  # one bias per unit
    if not input_grad:
        return dW, db, None
    Wm = (W * mask if layer.masked else W).reshape(layer.out_maps, -1)
    dpatches = (Wm.mT @ d).reshape(-1, m)  # (C_in k k Ho Ho, m)
    zero_row = xp.zeros((1, m), dtype=delta.dtype, device=delta.device)
    dpatches = xp.concat([dpatches, zero_row], axis=0)
    da_prev = xp.sum(xp.take(dpatches, scatter, axis=0).reshape(-1, layer.n_in, m), axis=0)  # col2im
    return dW, db, da_prev


def dense_matrix(layer: Conv2D, W) -> np.ndarray:
    """The layer's full ``(C_out Ho Ho, C_in H H)`` weight matrix (numpy), padding dropped.

    For tests and pictures only: it is what the im2col product computes implicitly.
    """
    from backprop.backend import to_numpy

    Wm = (to_numpy(W) * layer.mask[:, :, None, None]).reshape(layer.out_maps, -1)
    K, P = Wm.shape[1], layer.out_size**2
    gather = layer._gather.reshape(K, P)
    full = np.zeros((layer.out_maps, P, layer.n_in + 1))
    for kk in range(K):
        full[:, np.arange(P), gather[kk]] += Wm[:, kk : kk + 1]
    return full[:, :, : layer.n_in].reshape(layer.n_out, layer.n_in)


def padding_input(layer: Conv2D, W) -> np.ndarray:
    """What the padding contributes to each unit's ``z`` (numpy, ``(C_out Ho Ho,)``), for tests."""
    from backprop.backend import to_numpy

    Wm = (to_numpy(W) * layer.mask[:, :, None, None]).reshape(layer.out_maps, -1)
    K, P = Wm.shape[1], layer.out_size**2
    reads_pad = (layer._gather.reshape(K, P) == layer.n_in).astype(float)  # (K, P)
    return (layer.pad_value * (Wm @ reads_pad)).reshape(-1)


__all__ = ["Conv2D", "backward", "dense_matrix", "forward", "im2col", "padding_input"]
