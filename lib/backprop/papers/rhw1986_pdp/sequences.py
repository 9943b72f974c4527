"""The sequence experiments of PDP ch. 8's last section (recurrent nets unfolded in time), and
the loop that trains recurrent nets on them.

Every task is data with **time first and examples as columns**: ``xs`` of shape ``(T, I, m)``,
``targets`` of shape ``(T, O, m)`` with 0/1 values, and ``mask`` (broadcastable to the targets)
that is 1 where a target counts. Where the chapter gives a size, it is an assert here.

- :func:`letter_sequences`  the 5-30-3 experiment: 25 sequences, two letters of A-E given,
  four numbers of 1-3 to produce (pp. 358-359). The chapter's 25 continuations are not in
  our notes: the rule that makes them is **our assumption**, drawn reproducibly (see there).
- :func:`completion_split`  20 of the 25 sequences to train on, 5 to complete unseen (ours).
- :func:`shift_register`  a bit stream in, the last ``n_cells`` bits out (our own set-up).
- :func:`train_recurrent`  full-batch momentum descent (``backprop.optim.momentum_step``) on
  the unfolded net, S networks at once, each frozen when it meets the criterion.

Non-goals: the BPTT mathematics (``backprop.recurrent``) and plotting (the notebook).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from backprop import recurrent
from backprop.backend import namespace, to_numpy
from backprop.optim import momentum_step
from backprop.train import History, SolvedSeeds

LETTERS = "ABCDE"  # the 5 input units, one per letter (p. 358)
NUMBERS = "123"  # the 3 output units, one per number
N_GIVEN = 2  # letters shown at the start of every sequence
N_TO_COMPLETE = 4  # numbers the network produces after them (our assumption: T = 6)


class Sequences(NamedTuple):
    """A sequence task: ``xs`` (T, I, m), ``targets`` (T, O, m), ``mask`` (T, O or 1, m or 1),
    and ``names`` (one string per sequence, e.g. ``"AB1321"``)."""

    xs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    names: tuple


def continuation_rule(rule_seed: int = 1986) -> np.ndarray:
    """Our assumption for the chapter's unknown continuations: ``(2, 5, 2)`` number indices.

    ``rule[0, a]`` are the two numbers that follow first letter ``a`` (steps 3-4), ``rule[1, b]``
    those that follow second letter ``b`` (steps 5-6). Each position draws five *different*
    number pairs out of the nine (so all 25 sequences differ) with
    ``np.random.default_rng(rule_seed)``: reproducible, and the same for every run of the book.
    """
    rng = np.random.default_rng(rule_seed)
    pairs = np.array(list(itertools.product(range(len(NUMBERS)), repeat=2)))  # (9, 2)
    return np.stack([pairs[rng.choice(len(pairs), size=len(LETTERS), replace=False)] for _ in range(N_GIVEN)])


def letter_sequences(rule_seed: int = 1986) -> Sequences:
    """The 25 sequences of the 5-30-3 experiment (PDP pp. 358-359), one per pair of first letters.

    Step 1 shows the first letter, step 2 the second (one-hot over A-E), steps 3-6 show nothing;
    the targets at steps 3-6 are the four numbers (one-hot over 1-3) given by
    :func:`continuation_rule`, and only those steps count (``mask``). Shapes: ``xs (6, 5, 25)``,
    ``targets (6, 3, 25)``, ``mask (6, 1, 1)``; sequence ``5 a + b`` starts with letters a, b.
    """
    rule = continuation_rule(rule_seed)
    n_letters, n_numbers, T = len(LETTERS), len(NUMBERS), N_GIVEN + N_TO_COMPLETE
    first, second = np.divmod(np.arange(n_letters**N_GIVEN), n_letters)  # (25,), (25,)
    m = first.size
    assert m == 25, "the chapter's 25 sequences"
    xs = np.zeros((T, n_letters, m))
    xs[0, first, np.arange(m)] = 1
    xs[1, second, np.arange(m)] = 1
    numbers = np.concatenate([rule[0, first], rule[1, second]], axis=1)  # (25, 4) number indices
    targets = np.zeros((T, n_numbers, m))
    for k in range(N_TO_COMPLETE):
        targets[N_GIVEN + k, numbers[:, k], np.arange(m)] = 1
    mask = np.zeros((T, 1, 1))
    mask[N_GIVEN:] = 1
    names = tuple(LETTERS[a] + LETTERS[b] + "".join(NUMBERS[i] for i in row) for a, b, row in zip(first, second, numbers))
    assert len(set(names)) == m, "25 different sequences"
    return Sequences(xs, targets, mask, names)


def completion_split(task: Sequences, shift: int = 2) -> tuple[Sequences, Sequences]:
    """Our completion experiment: hold out the 5 sequences whose letters are ``(a, a + shift mod 5)``.

    Every first letter and every second letter appears once among the held-out sequences and
    four times among the 20 training ones, so a network that has learned what each letter in
    each position implies can complete an unseen pair. Returns ``(train, test)``.
    """
    n = len(LETTERS)
    first, second = np.divmod(np.arange(task.xs.shape[-1]), n)
    test = second == (first + shift) % n

    def pick(columns):
        return Sequences(task.xs[..., columns], task.targets[..., columns], task.mask, tuple(np.array(task.names)[columns]))

    return pick(~test), pick(test)


def shift_register(n_cells: int = 2, T: int = 6) -> Sequences:
    """Our shift register: one input line carries a bit per step; output ``j`` must hold the bit
    seen ``j + 1`` steps earlier (``y_j[t] = x[t - 1 - j]``), counted from step ``j + 1`` on.

    Every one of the ``2**T`` bit streams is a sequence: ``xs (T, 1, 2**T)``,
    ``targets (T, n_cells, 2**T)``, ``mask (T, n_cells, 1)``.
    """
    if not 1 <= n_cells < T:
        raise ValueError(f"need 1 <= n_cells < T, got n_cells={n_cells}, T={T}")
    bits = np.array(list(itertools.product((0.0, 1.0), repeat=T))).T  # (T, m): one stream per column
    xs = bits[:, None, :]
    targets = np.zeros((T, n_cells, bits.shape[1]))
    mask = np.zeros((T, n_cells, 1))
    for j in range(n_cells):
        targets[j + 1 :, j] = bits[: T - 1 - j]
        mask[j + 1 :, j] = 1
    names = tuple("".join(str(int(b)) for b in bits[:, i]) for i in range(bits.shape[1]))
    return Sequences(xs, targets, mask, names)


def worst_error(ys, targets, mask):
    """The largest ``|y - target|`` over the steps and outputs that count, per sequence:
    ``(m,)``, or ``(S, m)`` for S networks."""
    xp = namespace(ys)
    return xp.max(xp.abs(ys - targets) * mask, axis=(-3, -2))


def train_recurrent(
    net: recurrent.RecurrentNet,
    params: dict,
    xs,
    targets,
    mask=None,
    *,
    eta: float,
    alpha: float = 0.0,
    decay: float = 0.0,
    sweeps: int = 1000,
    tolerance: float = 0.5,
):
    """Train ``params`` on whole sequences, one weight change per sweep; returns ``(params, History)``.

    Each sweep unfolds the net over all T steps of all m sequences (``recurrent.forward``),
    takes the gradient of the cost summed over them, only where ``mask`` is 1
    (``recurrent.cost_and_delta`` and ``recurrent.backward``: one forward pass serves both
    the stopping check and the gradient), and applies the 1986 momentum rule. A network has learned when every output that counts is within
    ``tolerance`` of its 0/1 target (0.5: on the right side of one half); checked at the start
    of every sweep, it is then frozen, so ``History.solved_at`` is the sweeps it needed (-1: not
    within ``sweeps``). ``xs``, ``targets`` and ``mask`` are arrays of the params' backend.
    """
    recurrent.check_inputs(net, params, xs, targets, mask)
    seeded = params["W_hh"].ndim == 3
    n_seeds = params["W_hh"].shape[0] if seeded else 1
    solved = SolvedSeeds(n_seeds)
    errors, velocity, frozen = [], None, None
    for t in range(sweeps):
        ys, cache = recurrent.forward(net, params, xs, check=False)  # ys: (S, T, O, m)
        C, delta_y = recurrent.cost_and_delta(net, cache, targets, mask)
        C_now = np.atleast_1d(to_numpy(C)).astype(float)
        if not np.all(np.isfinite(C_now)):
            raise FloatingPointError(f"training diverged at sweep {t}: the cost is {C_now}; try a smaller eta (now {eta})")
        errors.append(C_now)
        worst = namespace(ys).max(worst_error(ys, targets, 1.0 if mask is None else mask), axis=-1)  # (S,)
        if solved.record(t, worst < tolerance):
            break
        if seeded:
            frozen = solved.training(params["W_hh"])[:, None, None]  # (S, 1, 1): learned nets take no step
        grads = recurrent.backward(net, params, cache, delta_y)
        params, velocity = momentum_step(params, grads, velocity, eta, alpha, decay, frozen)
    history = History(error=np.array(errors) if seeded else np.array(errors)[:, 0], solved_at=solved.solved_at, sweeps=len(errors))
    return params, history


def hidden_states(net: recurrent.RecurrentNet, params: dict, xs) -> np.ndarray:
    """The hidden activations over time as numpy: ``(T, H, m)``, or ``(S, T, H, m)`` for S networks."""
    _, cache = recurrent.forward(net, params, xs)
    return to_numpy(cache["h"][..., 1:, :, :])  # h[0] of the cache is h0
