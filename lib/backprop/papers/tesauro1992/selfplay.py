"""Self-play: the network plays itself and learns from every move by TD(lambda).

:func:`play` plays ``games`` games of the network against itself, ``batch``
of them side by side in lockstep. At each step it rolls the dice in every
game, scores all candidate results of all games in **one** forward pass, plays
the best for the side on roll (White maximises the equity, Black minimises
it; no exploration, as in TD-Gammon), and makes one TD(lambda) step
(:mod:`backprop.td_lambda`) from the positions just reached. A game that ends
is replaced at once by a new one, so the batch stays full until the last games.

:func:`train` runs :func:`play` in intervals of ``every`` games and, after
each, evaluates the network (a function the caller passes) and writes a
checkpoint: weights, the random generator's state and the history so far. A
run that is killed resumes from its last checkpoint, losing at most one
interval, and then continues exactly as if it had never stopped. The step
size may drop once, to ``Settings.alpha_late`` from ``alpha_late_from`` games
on (a checkpoint is written there).

Non-goals: exploration, look-ahead search, the doubling cube.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from backprop import checkpoint
from backprop import td_lambda
from backprop.backend import Backend, get_backend, to_numpy
from backprop.dense import DenseNet, forward
from backprop.progress import progress_bar
from backprop.papers.tesauro1992 import encoding
from backprop.papers.tesauro1992 import game
from backprop.papers.tesauro1992.players import NetworkPlayer, best_in_each_game

STEM = "tdgammon"


@dataclass(frozen=True)
class Settings:
    """Everything that decides a training run; a checkpoint resumes only the same settings."""

    hidden: int = 40  # Tesauro 1992: 10, 20 and 40 hidden units
    outputs: int = 4  # 1: P(White wins); 4: Tesauro's 1992 outcome vector (see .encoding)
    alpha: float = 0.1  # step size
    lam: float = 0.7  # trace decay lambda
    alpha_late: float | None = None  # a smaller step size from alpha_late_from games on (None: constant)
    alpha_late_from: int = 0
    batch: int = 64  # games played side by side
    init_scale: float = 0.1  # initial weights uniform in [-init_scale, init_scale]
    dtype: str = "float64"
    seed: int = 0

    def net(self) -> DenseNet:
        return DenseNet([encoding.N_INPUTS, self.hidden, self.outputs], activations="logistic")

    def alpha_at(self, games_played: int) -> float:
        """The step size for games that start after ``games_played`` games."""
        late = self.alpha_late is not None and games_played >= self.alpha_late_from
        return self.alpha_late if late else self.alpha


@dataclass
class SelfPlayStats:
    games: int
    plies: int
    white_wins: int
    seconds: float

    def __repr__(self) -> str:
        return (f"SelfPlayStats({self.games} games, {self.plies / max(self.games, 1):.1f} moves a game, "
                f"White won {self.white_wins / max(self.games, 1):.1%}, {self.games / self.seconds:.1f} games/s)")


def _start(colour_on_roll: np.ndarray) -> np.ndarray:
    """The inputs for the opening position with ``colour_on_roll`` to move: ``(198, n)``."""
    return encoding.encode(np.repeat(game.START[None], len(colour_on_roll), axis=0), 1 - colour_on_roll)


def play(net: DenseNet, params: dict, games: int, rng: np.random.Generator, settings: Settings,
         backend: Backend | str = "numpy", on_games: Callable[[int], None] | None = None,
         alpha: float | None = None):
    """Play ``games`` self-play games, learning as they go: ``(params, SelfPlayStats)``.

    The step size is ``alpha`` if given, else ``settings.alpha``."""
    alpha = settings.alpha if alpha is None else alpha
    backend = get_backend(backend) if isinstance(backend, str) else backend

    def to(a):  # a numpy array onto the network's backend and dtype
        return backend.asarray(a, settings.dtype)

    K = settings.outputs
    t0 = time.perf_counter()
    m = min(settings.batch, games)
    boards = np.repeat(game.START[None], m, axis=0)  # each seen by the player on roll
    colour = rng.integers(0, 2, size=m)  # colour on roll; who opens is random
    plies = np.zeros(m, dtype=int)
    active = np.ones(m, dtype=bool)
    started, finished, total_plies, white_wins = m, 0, 0, 0
    traces = td_lambda.begin(net, params, to(_start(colour)))
    while active.any():
        idx = np.flatnonzero(active)
        dice = game.roll(rng, idx.size)
        first = plies[idx] == 0
        if first.any():
            dice[first] = game.roll(rng, int(first.sum()), opening=True)
        cands = game.afterstates(boards[idx], dice)
        mover = colour[idx][cands.game]
        X = encoding.encode(cands.after, mover)  # (198, N): every candidate of every game
        Y = to_numpy(forward(net, params, to(X), check=False)[0])  # (K, N): one forward pass
        e = encoding.equity(Y, K)
        chosen = cands.start[:-1] + best_in_each_game(np.where(mover == encoding.WHITE, e, -e), cands)
        after = cands.after[chosen]

        x_next = np.zeros((encoding.N_INPUTS, m))
        y_next, z = np.zeros((K, m)), np.zeros((K, m))
        x_next[:, idx], y_next[:, idx] = X[:, chosen], Y[:, chosen]
        ended = game.finished(after)
        done = np.zeros(m, dtype=bool)
        done[idx[ended]] = True
        white_points = game.points_won(after[ended]) * np.where(colour[idx[ended]] == encoding.WHITE, 1, -1)
        z[:, idx[ended]] = encoding.outcome(white_points, K)
        finished += int(ended.sum())
        white_wins += int((white_points > 0).sum())
        total_plies += int(plies[idx[ended]].sum() + ended.sum())

        taking_part = active.astype(float)
        boards[idx], colour[idx], plies[idx] = game.swap(after), colour[idx] ^ 1, plies[idx] + 1
        for s in np.flatnonzero(done):  # a new game in each finished slot, while any are left
            if started < games:
                boards[s], colour[s], plies[s] = game.START, rng.integers(0, 2), 0
                x_next[:, s] = _start(colour[s : s + 1])[:, 0]
                started += 1
            else:
                active[s] = False
        params, traces, _ = td_lambda.step(net, params, traces, to(x_next), to(y_next), to(z), to(done.astype(float)),
                                           alpha, settings.lam, active=to(taking_part))
        if on_games is not None and ended.any():
            on_games(int(ended.sum()))
    return params, SelfPlayStats(finished, total_plies, white_wins, time.perf_counter() - t0)


@dataclass
class Training:
    """A finished (or resumed and finished) training run."""

    net: DenseNet
    params: dict
    history: list  # one dict per checkpoint: games, seconds, and the evaluation's numbers
    games: int
    seconds: float  # self-play seconds, summed over every session of the run
    resumed_from: int  # games in the checkpoint this session started from (0: a fresh run)
    directory: Path

    def player(self, name: str = "TD net") -> NetworkPlayer:
        return NetworkPlayer(self.net, self.params, name)

    def __repr__(self) -> str:
        return (f"Training({self.net!r}, {self.games} games in {self.seconds:.0f} s of self-play, "
                f"{len(self.history)} evaluations, resumed from {self.resumed_from})")


def _described(settings: Settings) -> dict:
    """What the architecture's sizes do not say: what the inputs and outputs mean."""
    meaning = {1: "P(White wins)", 4: "White wins, White gammons, Black wins, Black gammons"}
    return {"encoding": "tesauro198", "outputs_meaning": meaning[settings.outputs]}


def train(directory, settings: Settings, games: int, every: int,
          evaluate: Callable[[NetworkPlayer, int], dict] | None = None,
          backend: Backend | str = "numpy", progress: bool = True) -> Training:
    """Train for ``games`` self-play games in total, resuming from ``directory`` if it holds checkpoints.

    After every ``every`` games (and once before the first), ``evaluate(player, games)``
    returns a dict of numbers for the history, and a checkpoint is written. The run
    resumes from the last checkpoint with at most ``games`` games, so a longer run
    continues a shorter one, and a shorter one reuses a longer one's early checkpoint.
    """
    backend = get_backend(backend) if isinstance(backend, str) else backend
    directory = Path(directory)
    net = settings.net()
    arch = checkpoint.architecture(net, **_described(settings))
    found = [(n, p) for n, p in checkpoint.numbered(directory, STEM) if n <= games]  # a longer run's early ones too
    if found:
        done, path = found[-1]
        params, header = checkpoint.load_params(path, net, **_described(settings))
        if header.get("settings") != asdict(settings):
            raise checkpoint.CheckpointError(
                f"{path} was trained with settings {json.dumps(header.get('settings'))}; this run asks for "
                f"{json.dumps(asdict(settings))}. Use another checkpoint folder, or the same settings."
            )
        params = backend.tree(params, settings.dtype)
        rng = np.random.default_rng()
        rng.bit_generator.state = header["rng"]
        history, seconds, resumed_from = header["history"], header["seconds"], done
    else:
        done, seconds, resumed_from, history = 0, 0.0, 0, []
        rng = np.random.default_rng(settings.seed)
        params = net.init_params(rng, scale=settings.init_scale, backend=backend, dtype=settings.dtype)

    def checkpoint_now(stats: dict):
        history.append({"games": done, "selfplay_seconds": seconds, **stats})
        checkpoint.save(directory / f"{STEM}-{done:09d}.npz", params, arch, games=done, seconds=seconds,
                        settings=asdict(settings), rng=rng.bit_generator.state, history=history)

    def measure() -> dict:
        if evaluate is None:
            return {}
        t = time.perf_counter()
        out = evaluate(NetworkPlayer(net, params, "TD net"), done)
        return {**out, "eval_seconds": time.perf_counter() - t}

    if not found:
        checkpoint_now(measure())
    bar = progress_bar(games, enabled=progress, initial=done, unit="game", desc="self-play", mininterval=5.0, smoothing=0.05)
    try:
        while done < games:
            n = min(every, games - done)
            if settings.alpha_late is not None and done < settings.alpha_late_from:
                n = min(n, settings.alpha_late_from - done)  # a checkpoint where the step size changes
            params, stats = play(net, params, n, rng, settings, backend, on_games=bar.update if progress else None,
                                 alpha=settings.alpha_at(done))
            done += n
            seconds += stats.seconds
            checkpoint_now({"games_per_second": stats.games / stats.seconds, "moves_per_game": stats.plies / stats.games,
                            "alpha": settings.alpha_at(done - n), **measure()})
    finally:
        bar.close()
    return Training(net, params, history, done, seconds, resumed_from, directory)

