"""Update rules: the 1986 momentum rule (plain gradient descent when alpha = 0).

Optimisers are pure functions of explicit state: they take ``params``, ``grads``
and their own state, and return new ones; nothing is changed in place.
"""

from __future__ import annotations


def momentum_step(params: dict, grads: dict, velocity: dict | None, eta: float, alpha: float = 0.0, decay: float = 0.0, mask=None):
    """One step of the rule of Rumelhart, Hinton & Williams (1986, eq. 9)::

        dw(t) = -eta * dE/dw + alpha * dw(t-1)
        w(t)  = (1 - decay) * w(t-1) + dw(t)

    ``decay`` shrinks every weight by that fraction per update (the family-trees
    net used 0.2%: ``decay=0.002``). ``velocity`` is dw(t-1) (``None`` at the
    start). ``mask``, broadcastable to the parameters (``(S, 1, 1)`` for S
    seeds), freezes the networks where it is 0. Returns ``(params, velocity)``.
    """
    if eta <= 0 or not 0 <= alpha < 1 or not 0 <= decay < 1:
        raise ValueError(f"need eta > 0, 0 <= alpha < 1 and 0 <= decay < 1; got eta={eta}, alpha={alpha}, decay={decay}")
    new_params, new_velocity = {}, {}
    for k, w in params.items():
        dw = grads[k] * -eta  # a fresh array: the in-place steps below touch nothing of the caller's
        if velocity is not None and alpha:
            dw += alpha * velocity[k]
        if mask is not None:
            dw *= mask
        if decay:
            w = w * (1 - decay * (1 if mask is None else mask))
        new_params[k] = w + dw
        new_velocity[k] = dw
    return new_params, new_velocity
