"""Automatic differentiation in general: the adjoint graph and its transpose.

- ``reverse``  the reverse-mode engine: trace a program, sweep its adjoint graph backwards
- ``rules``    each primitive's forward function with its VJP and JVP rules side by side
- ``forward``  forward mode with dual numbers: Jacobian-vector products

The matrix-form backward pass of :mod:`backprop.dense` is one special case of
``reverse``; the chapter "The adjoint graph" checks that the two agree.
"""

from backprop.autodiff import forward, reverse, rules

__all__ = ["forward", "reverse", "rules"]
