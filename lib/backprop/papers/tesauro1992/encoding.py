"""What the network sees and what it predicts: Tesauro's raw 198-unit input, and the outcome.

**Input** (Tesauro 1992, "raw" board description; the layout as Sutton and
Barto describe TD-Gammon 0.0). Colours are absolute: White and Black, not "me"
and "the opponent". For each colour and each of the 24 points, four units
encode the number ``n`` of that colour's checkers there, in truncated unary:

    n = 0: 0 0 0 0     n = 1: 1 0 0 0     n = 2: 1 1 0 0
    n = 3: 1 1 1 0     n > 3: 1 1 1 (n - 3) / 2

then one unit for that colour's checkers on the bar (``n / 2``) and one for its
checkers borne off (``n / 15``): ``2 * (24 * 4 + 2) = 196`` units. The last two
units say whose turn it is (White to move, Black to move). The unit order here
is ours (White's 98 units, Black's 98, then the two turn units); a fully
connected network is indifferent to it. Points are numbered from White's side:
Black's checkers on Black's point ``p`` sit on White's point ``25 - p``.

**Output.** ``outputs=1``: one logistic unit, the probability that White wins
(as Sutton and Barto describe TD-Gammon 0.0). ``outputs=4``: Tesauro's 1992
four-unit outcome vector, here read as (White wins, White wins a gammon or
better, Black wins, Black wins a gammon or better); a backgammon counts as a
gammon, as in 1992. A position is worth ``equity`` points to White.

Examples are columns, as everywhere in the library: ``x`` is ``(198, n)``.
"""

from __future__ import annotations

import numpy as np

from backprop.papers.tesauro1992.game import CHECKERS, POINTS

N_INPUTS = 2 * (POINTS * 4 + 2) + 2
assert N_INPUTS == 198  # Tesauro's raw encoding
OUTPUTS = (1, 4)
WHITE, BLACK = 0, 1


def _colour_units(rows: np.ndarray) -> np.ndarray:
    """The 98 units of one colour from its rows ``(n, 25)``, indexed by White's points."""
    n = rows[:, :POINTS].astype(np.float64)  # (n, 24)
    unary = np.stack([n >= 1, n >= 2, n >= 3, np.maximum(n - 3, 0) / 2], axis=-1)  # (n, 24, 4)
    bar = rows[:, POINTS : POINTS + 1] / 2
    off = (CHECKERS - rows.sum(axis=1, keepdims=True)) / CHECKERS
    return np.concatenate([unary.reshape(len(rows), -1), bar, off], axis=1)  # (n, 98)


def encode(after: np.ndarray, mover: np.ndarray) -> np.ndarray:
    """Tesauro's 198 inputs ``(198, n)`` for positions ``after`` ``(n, 2, 25)`` that the
    player of colour ``mover[j]`` (0 White, 1 Black) has just produced (row 1 is the
    mover's); the opponent is to move."""
    after = np.asarray(after)
    mover = np.broadcast_to(np.asarray(mover), after.shape[:1])
    black_moved = (mover == BLACK)[:, None]
    white = np.where(black_moved, after[:, 0], after[:, 1])  # each row from its owner's side
    black = np.where(black_moved, after[:, 1], after[:, 0])
    black = np.concatenate([black[:, POINTS - 1 :: -1], black[:, POINTS:]], axis=1)  # White's numbering
    to_move = np.concatenate([black_moved, ~black_moved], axis=1)  # [White to move, Black to move]
    x = np.concatenate([_colour_units(white), _colour_units(black), to_move], axis=1)
    return np.ascontiguousarray(x.T)  # (198, n): one column per position


def outcome(white_points: np.ndarray, outputs: int) -> np.ndarray:
    """The target ``z`` ``(outputs, n)`` for finished games worth ``white_points`` to White
    (+1, +2, +3 when White wins a single game, gammon, backgammon; negative when Black wins)."""
    p = np.asarray(white_points)
    if outputs == 1:
        return (p > 0)[None].astype(np.float64)
    if outputs == 4:
        return np.stack([p > 0, p >= 2, p < 0, p <= -2]).astype(np.float64)
    raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs}")


def equity(y, outputs: int):
    """Expected points for White from the network's outputs ``y`` ``(outputs, n)``
    (any array library): ``2 y - 1`` for one output; ``W + Wg - B - Bg`` for four."""
    if outputs == 1:
        return 2 * y[0] - 1
    if outputs == 4:
        return y[0] + y[1] - y[2] - y[3]
    raise ValueError(f"outputs must be one of {OUTPUTS}, got {outputs}")
