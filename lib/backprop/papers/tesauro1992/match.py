"""Matches: N cubeless games between two players, many games at once.

Games alternate who moves first (player A in games 0, 2, 4, ...); the player
who moves first plays White, so each player has each colour half the time.
The games of a match are played in lockstep, ``batch`` at a time: each step
rolls the dice in every unfinished game, asks each player to choose in all the
games where it is on roll (one call, so a network scores every candidate of
those games in one forward pass), and starts a new game wherever one ended.

A game counts 1 point (single game), 2 (gammon) or 3 (backgammon) to its
winner; there is no doubling cube. The result reports player A's win rate
with a Wilson 95% interval, and points per game with a normal 95% interval.

Non-goals: the cube, match play to N points, variance reduction by duplicate dice.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from backprop.papers.tesauro1992 import game

Z95 = 1.959963984540054  # the 97.5% point of the standard normal


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k / n``."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact at the ends, where rounding would
    high = 1.0 if k == n else min(1.0, centre + half)  # put p itself outside the interval
    return low, high


@dataclass
class MatchResult:
    """The outcome of a match, from player A's side."""

    a: str
    b: str
    points: np.ndarray  # (games,): points won by A in each game (negative: lost)
    plies: np.ndarray  # (games,): moves made in each game, both sides
    seconds: float

    @property
    def games(self) -> int:
        return len(self.points)

    @property
    def wins(self) -> int:
        return int((self.points > 0).sum())

    @property
    def win_rate(self) -> float:
        return self.wins / self.games

    @property
    def win_rate_ci(self) -> tuple[float, float]:
        return wilson(self.wins, self.games)

    @property
    def ppg(self) -> float:
        """Points per game won by A."""
        return float(self.points.mean())

    @property
    def ppg_ci(self) -> tuple[float, float]:
        half = Z95 * float(self.points.std(ddof=1)) / math.sqrt(self.games) if self.games > 1 else math.inf
        return self.ppg - half, self.ppg + half

    def count(self, points: int) -> tuple[int, int]:
        """Games won by A and by B worth exactly ``points`` (2: gammons, 3: backgammons)."""
        return int((self.points == points).sum()), int((self.points == -points).sum())

    def summary(self) -> dict:
        lo, hi = self.win_rate_ci
        plo, phi = self.ppg_ci
        return {
            "games": self.games, "win_rate": self.win_rate, "win_rate_low": lo, "win_rate_high": hi,
            "ppg": self.ppg, "ppg_low": plo, "ppg_high": phi, "seconds": self.seconds,
        }

    def __repr__(self) -> str:
        lo, hi = self.win_rate_ci
        plo, phi = self.ppg_ci
        (ga, gb), (ba, bb) = self.count(2), self.count(3)
        return (
            f"{self.a} vs {self.b}: {self.games} games, {self.a} wins {self.win_rate:.1%} "
            f"[{lo:.1%}, {hi:.1%}], {self.ppg:+.3f} points/game [{plo:+.3f}, {phi:+.3f}]; "
            f"gammons {ga}:{gb}, backgammons {ba}:{bb}; {self.seconds:.1f} s"
        )


def play_match(a, b, games: int, rng: np.random.Generator, batch: int = 500, max_plies: int = 5000) -> MatchResult:
    """Play ``games`` cubeless games between players ``a`` and ``b`` (see :mod:`.players`)."""
    if games < 1:
        raise ValueError(f"a match needs at least one game, got {games}")
    start_time = time.perf_counter()
    players = (a, b)
    points = np.zeros(games, dtype=int)
    plies_of = np.zeros(games, dtype=int)
    m = min(batch, games)
    gid = np.arange(m)  # the game in each slot
    boards = np.repeat(game.START[None], m, axis=0)  # seen by the player on roll
    on_roll = gid % 2  # 0: A, 1: B; A starts the even games
    colour = np.zeros(m, dtype=int)  # colour on roll: the first mover is White
    plies = np.zeros(m, dtype=int)
    active = np.ones(m, dtype=bool)
    started = m
    while active.any():
        if plies.max() > max_plies:
            raise RuntimeError(f"a game between {a!r} and {b!r} ran past {max_plies} moves")
        after = np.empty_like(boards)
        for p, player in enumerate(players):
            idx = np.flatnonzero(active & (on_roll == p))
            if idx.size == 0:
                continue
            dice = game.roll(rng, idx.size)
            first = plies[idx] == 0
            if first.any():
                dice[first] = game.roll(rng, int(first.sum()), opening=True)
            cands = game.afterstates(boards[idx], dice)
            pick = np.asarray(player.choose(boards[idx], dice, colour[idx], cands))
            after[idx] = cands.after[cands.start[:-1] + pick]
        done = active & game.finished(after)
        if done.any():
            won = game.points_won(after[done])
            points[gid[done]] = np.where(on_roll[done] == 0, won, -won)
            plies_of[gid[done]] = plies[done] + 1
        boards[active] = game.swap(after[active])
        on_roll[active] ^= 1
        colour[active] ^= 1
        plies[active] += 1
        for s in np.flatnonzero(done):  # a new game in each slot that finished, while any are left
            if started < games:
                gid[s], boards[s], on_roll[s], colour[s], plies[s] = started, game.START, started % 2, 0, 0
                started += 1
            else:
                active[s] = False
    return MatchResult(_name(a), _name(b), points, plies_of, time.perf_counter() - start_time)


def opponent(name: str, rng: np.random.Generator):
    """A benchmark opponent by name: ``"random"``, ``"pubeval"`` or ``"gnubg"`` (0-ply)."""
    from backprop.papers.tesauro1992.players import GnubgPlayer, PubevalPlayer, RandomPlayer

    makers = {"random": lambda: RandomPlayer(rng), "pubeval": PubevalPlayer, "gnubg": GnubgPlayer}
    if name not in makers:
        raise ValueError(f"unknown opponent {name!r}; choose one of {sorted(makers)}")
    return makers[name]()


def ladder(player, games: dict, rng: np.random.Generator, batch: int = 500) -> dict:
    """``player`` against each opponent named in ``games`` (name -> number of games):
    ``{name: MatchResult}``."""
    return {name: play_match(player, opponent(name, rng), n, rng, batch=batch) for name, n in games.items()}


def _name(player) -> str:
    return getattr(player, "name", type(player).__name__)
