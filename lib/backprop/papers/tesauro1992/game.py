"""The rules of backgammon, borrowed from GNU Backgammon through the ``gnubg-nn`` package.

A position is a ``(2, 25)`` integer array seen by the player **on roll**
(gnubg's own layout): row 1 holds the checkers of the player on roll, row 0
those of the opponent, and in each row index ``i < 24`` is that row's owner's
point ``i + 1`` (they bear off from point 1), index 24 is the bar. A checker on
my point ``p`` sits on the opponent's point ``25 - p``. Checkers not on the
board have been borne off: ``15 - row.sum()``.

Positions are stacked on a leading axis, ``(n, 2, 25)``, and a roll of the dice
for ``n`` games is an ``(n, 2)`` array. :func:`afterstates` lists every legal
result of a roll (gnubg merges move orders that end in the same position) as
``(2, 25)`` arrays still seen by the player who moved; :func:`swap` turns such a
position round for the opponent, who is on roll next.

Non-goals: the doubling cube, match scores, the Crawford rule (every game here
is a cubeless money game), and any move generation of our own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

CHECKERS = 15
POINTS = 24
BAR = 24  # index of the bar in a row
START = np.zeros((2, 25), dtype=np.int8)
START[:, [5, 7, 12, 23]] = [5, 3, 5, 2]  # 6-point, 8-point, mid-point, back checkers
assert (START.sum(axis=1) == CHECKERS).all()


def gnubg():
    """The ``gnubg_nn`` module, imported on first use, with a clear error if it is missing."""
    try:
        return importlib.import_module("gnubg_nn")
    except ImportError:
        raise ImportError(
            "backprop.papers.tesauro1992 needs GNU Backgammon's engine from the PyPI package gnubg-nn "
            "(GPL-2); install it with `pip install gnubg-nn==1.1.0a11`"
        ) from None


def swap(board: np.ndarray) -> np.ndarray:
    """The same position(s) seen by the other player: the two rows exchanged."""
    return board[..., ::-1, :].copy()


def borne_off(board: np.ndarray) -> np.ndarray:
    """Checkers borne off, per row: ``(..., 2)``."""
    return CHECKERS - board.sum(axis=-1)


def key_of(board: np.ndarray) -> str:
    """gnubg's 20-letter position key of one ``(2, 25)`` position."""
    return gnubg().key_of_board(board.tolist())


def boards_from_keys(keys) -> np.ndarray:
    """Decode gnubg position keys into positions ``(n, 2, 25)``, all at once.

    A key packs the position into 80 bits, two letters ``A``..``P`` per byte
    (high half first), least significant bit first: for row 0 then row 1, for
    each of the 25 places, one 1-bit per checker followed by a 0-bit.
    """
    keys = list(keys)
    if not keys:
        return np.zeros((0, 2, 25), dtype=np.int8)
    letters = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8).reshape(len(keys), 20) - 65
    packed = (letters[:, 0::2] << 4 | letters[:, 1::2]).astype(np.uint8)  # (n, 10)
    bits = np.unpackbits(packed, axis=1, bitorder="little")  # (n, 80)
    place = np.cumsum(1 - bits, axis=1, dtype=np.int32) - (1 - bits)  # zeros before each bit: its place
    ones = bits.astype(bool)
    flat = (np.arange(len(keys), dtype=np.int32)[:, None] * 50 + place)[ones]  # one entry per checker
    counts = np.bincount(flat, minlength=50 * len(keys))
    return counts.reshape(len(keys), 2, 25).astype(np.int8)


def roll(rng: np.random.Generator, n: int, opening: bool = False) -> np.ndarray:
    """``n`` rolls of two dice, ``(n, 2)``. An opening roll is never a double (each
    player throws one die and the higher one moves first with both)."""
    dice = rng.integers(1, 7, size=(n, 2))
    if opening:
        while (same := dice[:, 0] == dice[:, 1]).any():
            dice[same] = rng.integers(1, 7, size=(int(same.sum()), 2))
    return dice


@dataclass
class Candidates:
    """Every legal result of a roll, for ``n`` games at once.

    ``after[start[g]:start[g+1]]`` are game ``g``'s candidate positions, seen by
    the player who moved; ``keys`` are their gnubg keys in the same order and
    ``game[j]`` is the game that candidate ``j`` belongs to. A player with no
    legal move has one candidate: the position unchanged.
    """

    keys: list
    after: np.ndarray  # (N, 2, 25)
    game: np.ndarray  # (N,)
    start: np.ndarray  # (n + 1,)

    def __len__(self) -> int:
        return len(self.start) - 1

    def __repr__(self) -> str:
        return f"Candidates({len(self)} games, {len(self.keys)} positions)"

    def of(self, g: int) -> np.ndarray:
        return self.after[self.start[g] : self.start[g + 1]]


def afterstates(boards: np.ndarray, dice: np.ndarray) -> Candidates:
    """The legal results of rolling ``dice[g]`` in position ``boards[g]`` for every game ``g``."""
    g = gnubg()
    keys, sizes = [], []
    for board, (d1, d2) in zip(boards.tolist(), dice.tolist()):
        found = g.moves(board, d1, d2)
        if not found:  # no legal move: the turn passes with the position unchanged
            found = (g.key_of_board(board),)
        keys.extend(found)
        sizes.append(len(found))
    start = np.concatenate([[0], np.cumsum(sizes)])
    return Candidates(keys, boards_from_keys(keys), np.repeat(np.arange(len(sizes)), sizes), start)


def finished(after: np.ndarray) -> np.ndarray:
    """Whether the player who just moved has borne off every checker (and won)."""
    return after[..., 1, :].sum(axis=-1) == 0


def points_won(after: np.ndarray) -> np.ndarray:
    """What a finished game is worth to its winner, the player who just moved (row 1):
    1 for a single game, 2 for a gammon (the loser has borne off no checker), 3 for a
    backgammon (a gammon with a losing checker on the bar or in the winner's home board,
    which is the loser's points 19..24)."""
    loser = after[..., 0, :]
    gammon = loser.sum(axis=-1) == CHECKERS
    backgammon = gammon & (loser[..., POINTS - 6 :].sum(axis=-1) > 0)  # indexes 18..24: home board and bar
    return 1 + gammon.astype(int) + backgammon.astype(int)
