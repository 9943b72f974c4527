"""Counting the arithmetic of a program: the floating-point operations of its matrix products.

A matrix product of an (n, k) by a (k, m) matrix costs ``2 n k m`` operations
(a multiply and an add per term), and in a dense network these products are
almost all of the work. :func:`matmul_flops` counts them while a program runs on
torch tensors (the ``"cpu"`` or ``"cuda"`` backend), with PyTorch's
``FlopCounterMode``: every product torch performs is counted, whichever
library code (the engine, the matrix form, autograd) asks for it.

Non-goals: elementwise steps, reductions and memory traffic (not counted);
numpy programs (run them on a torch backend to count them); timing (see
``backprop_book.timing``). torch is imported only when a count is asked for.
"""

from __future__ import annotations

from typing import Callable


def matmul_flops(fn: Callable[[], object]) -> int:
    """The floating-point operations of the matrix products (and convolutions) that ``fn()`` runs on torch tensors.

    ``fn`` takes no arguments; its result is discarded. ``2 n k m`` per (n, k) @ (k, m)
    product, batched products counted once per batch entry.
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())
