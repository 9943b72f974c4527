"""Players: given a roll in each of ``n`` games, pick one of each game's legal results.

Every player answers the same question for a batch of games at once::

    player.choose(boards, dice, mover, candidates) -> (n,) index into each game's candidates

``boards`` ``(n, 2, 25)`` are the positions before the move (row 1: the player on
roll), ``dice`` ``(n, 2)``, ``mover`` ``(n,)`` the colour on roll (0 White, 1
Black; only the network uses it) and ``candidates`` a :class:`~.game.Candidates`.

- :class:`RandomPlayer`: any legal move, uniformly.
- :class:`PubevalPlayer`: Tesauro's public evaluator pubeval (a linear function with
  separate contact and race weights), the customary benchmark opponent.
- :class:`GnubgPlayer`: GNU Backgammon's neural networks at 0-ply (no look-ahead).
- :class:`NetworkPlayer`: our network; it scores the candidates of all ``n`` games
  in **one** batched forward pass and takes the best for the side on roll.
"""

from __future__ import annotations

import numpy as np

from backprop import dense
from backprop.backend import like, to_numpy
from backprop.papers.tesauro1992 import encoding
from backprop.papers.tesauro1992 import game


def _index(candidates: game.Candidates, g: int, key: str, who: str) -> int:
    keys = candidates.keys[candidates.start[g] : candidates.start[g + 1]]
    try:
        return keys.index(key)
    except ValueError:
        raise RuntimeError(f"{who} chose position {key}, which is not among the legal results {keys}") from None


class RandomPlayer:
    """Picks uniformly among the legal results of the roll."""

    name = "random"

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def __repr__(self) -> str:
        return "RandomPlayer()"

    def choose(self, boards, dice, mover, candidates):
        sizes = np.diff(candidates.start)
        return (self.rng.random(len(sizes)) * sizes).astype(int)


def apply_pubeval_move(board: np.ndarray, move) -> np.ndarray:
    """The position after ``pub_best_move``'s answer, a flat list ``[from, to, from, to, ...]``
    of 0-based places (24 the bar, -1 borne off), seen by the player who moved."""
    after = board.copy()
    for src, dst in zip(move[0::2], move[1::2]):
        after[1, src] -= 1
        if dst >= 0:
            after[1, dst] += 1
            if after[0, 23 - dst] == 1:  # a blot of the opponent's is hit and goes to the bar
                after[0, 23 - dst] = 0
                after[0, game.BAR] += 1
    return after


class _EnginePlayer:
    """A player that asks GNU Backgammon's engine for its move, one game at a time."""

    name = "engine"

    def key_after(self, g, board: np.ndarray, d1: int, d2: int) -> str:
        """The position key after this player's move, seen by the player who moved."""
        raise NotImplementedError

    def choose(self, boards, dice, mover, candidates):
        g = game.gnubg()
        out = np.empty(len(boards), dtype=int)
        for i, (board, (d1, d2)) in enumerate(zip(boards, dice.tolist())):
            out[i] = _index(candidates, i, self.key_after(g, board, d1, d2), self.name)
        return out


class PubevalPlayer(_EnginePlayer):
    """Tesauro's pubeval, through ``gnubg_nn.pub_best_move``."""

    name = "pubeval"

    def __repr__(self) -> str:
        return "PubevalPlayer()"

    def key_after(self, g, board, d1, d2):
        return game.key_of(apply_pubeval_move(board, g.pub_best_move(board.tolist(), d1, d2)))


class GnubgPlayer(_EnginePlayer):
    """GNU Backgammon's evaluation at 0-ply (its networks, no look-ahead)."""

    name = "gnubg 0-ply"

    def __repr__(self) -> str:
        return "GnubgPlayer(plies=0)"

    def key_after(self, g, board, d1, d2):
        _, key = g.best_move(board.tolist(), d1, d2, 0, b=1)  # key: the result seen by the opponent
        return game.key_of(game.swap(game.boards_from_keys([key])[0]))


def best_in_each_game(values: np.ndarray, candidates: game.Candidates) -> np.ndarray:
    """For each game, the index (within the game) of its candidate with the largest value."""
    order = np.lexsort((-values, candidates.game))  # by game, then best first
    return order[candidates.start[:-1]] - candidates.start[:-1]


class NetworkPlayer:
    """Plays the move whose result the network values most for the side on roll.

    ``net`` is a :class:`~backprop.dense.DenseNet` with 198 inputs and 1 or 4
    outputs (see :mod:`.encoding`); ``params`` may live on any backend.
    """

    def __init__(self, net: dense.DenseNet, params: dict, name: str = "network"):
        if net.sizes[0] != encoding.N_INPUTS or net.sizes[-1] not in encoding.OUTPUTS:
            raise ValueError(f"{net!r} must have {encoding.N_INPUTS} inputs and one of {encoding.OUTPUTS} outputs")
        self.net, self.params, self.name = net, params, name

    def __repr__(self) -> str:
        return f"NetworkPlayer({self.net!r})"

    def white_equity(self, after: np.ndarray, mover: np.ndarray) -> np.ndarray:
        """What positions ``after`` (just made by colour ``mover``) are worth to White."""
        x = encoding.encode(after, mover)
        x = like(x, self.params["W1"])  # on the weights' library and device
        y, _ = dense.forward(self.net, self.params, x, check=False)  # (outputs, N)
        return to_numpy(encoding.equity(y, self.net.sizes[-1])).astype(np.float64)

    def choose(self, boards, dice, mover, candidates):
        mover_of = np.asarray(mover)[candidates.game]
        e = self.white_equity(candidates.after, mover_of)
        return best_in_each_game(np.where(mover_of == encoding.WHITE, e, -e), candidates)
