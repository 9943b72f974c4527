"""Self-play speed of the TD-Gammon toy: games per second, with and without playing games side by side.

    .venv/bin/python benchmarks/tdgammon_speed.py [--games N] [--batch 1,16,64] [--device D]
                                                   [--hidden H] [--outputs K] [--dtype T] [--out FILE.json]

For each batch size B, a fresh network (seed 0) plays ``N`` self-play games
against itself, learning by TD(lambda) as in the book
(:func:`backprop.papers.tesauro1992.selfplay.play`): B games in lockstep, all candidate
moves of all B games scored in one forward pass, one TD step for all B games.
B = 1 is the one-game-at-a-time baseline. Reported: games per second, moves
per second and the time per move.

A second, smaller measurement isolates the batched scoring: the candidate
positions of 64 games scored in one forward pass against one forward pass per
game.

Numbers depend on the machine and on how busy it is: compare rows of one run,
not runs on different days. numpy runs on one BLAS thread
(``OPENBLAS_NUM_THREADS=1`` unless set): the matrices are small, and on a
shared machine extra threads only wait for each other. ``--device cuda`` puts
the network and the traces on the GPU (move generation stays on the CPU).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py beside this file
from common import machine, write  # noqa: E402

from backprop import dense  # noqa: E402
from backprop.backend import get_backend, to_numpy  # noqa: E402
from backprop.papers.tesauro1992 import encoding, game, selfplay  # noqa: E402


def self_play_rate(settings: selfplay.Settings, games: int, backend) -> dict:
    net = settings.net()
    rng = np.random.default_rng(settings.seed)
    params = net.init_params(rng, scale=settings.init_scale, backend=backend, dtype=settings.dtype)
    params, _ = selfplay.play(net, params, min(games, 2 * settings.batch, 20), rng, settings, backend)  # warm up
    backend.synchronize()
    start = time.perf_counter()
    params, stats = selfplay.play(net, params, games, rng, settings, backend)
    backend.synchronize()
    seconds = time.perf_counter() - start
    return {
        "batch": settings.batch, "games": stats.games, "seconds": seconds,
        "games_per_second": stats.games / seconds, "moves_per_second": stats.plies / seconds,
        "microseconds_per_move": 1e6 * seconds / stats.plies, "moves_per_game": stats.plies / stats.games,
    }


def scoring_rate(settings: selfplay.Settings, backend, games: int = 64, repeats: int = 20) -> dict:
    """Candidates of ``games`` positions scored in one forward pass, against one pass per game."""
    rng = np.random.default_rng(1)
    net = settings.net()
    params = net.init_params(rng, scale=settings.init_scale, backend=backend, dtype=settings.dtype)
    boards = np.repeat(game.START[None], games, axis=0)
    for _ in range(12):  # a few random moves into the game, for typical positions
        c = game.afterstates(boards, game.roll(rng, games))
        boards = game.swap(c.after[c.start[:-1] + (rng.random(games) * np.diff(c.start)).astype(int)])
    c = game.afterstates(boards, game.roll(rng, games))
    x = encoding.encode(c.after, np.zeros(len(c.keys), dtype=int))
    xb = backend.asarray(x, settings.dtype)
    pieces = [backend.asarray(x[:, c.start[g] : c.start[g + 1]], settings.dtype) for g in range(games)]

    def one_pass():
        return to_numpy(dense.forward(net, params, xb, check=False)[0])

    def per_game():
        return [to_numpy(dense.forward(net, params, p, check=False)[0]) for p in pieces]

    timings = {}
    for name, fn in (("one_pass", one_pass), ("one_pass_per_game", per_game)):
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        timings[name] = (time.perf_counter() - start) / repeats
    return {
        "games": games, "candidates": len(c.keys),
        "microseconds_one_pass": 1e6 * timings["one_pass"],
        "microseconds_one_pass_per_game": 1e6 * timings["one_pass_per_game"],
        "speedup": timings["one_pass_per_game"] / timings["one_pass"],
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=200, help="self-play games timed per batch size (default 200)")
    parser.add_argument("--batch", default="1,16,64", help="batch sizes to compare, comma-separated (default 1,16,64)")
    parser.add_argument("--device", default="numpy", help="numpy, cpu (torch), cuda or auto (default numpy)")
    parser.add_argument("--hidden", type=int, default=40)
    parser.add_argument("--outputs", type=int, default=4, choices=encoding.OUTPUTS)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--out", default=None, help="also write the result as JSON to this file")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batch.split(",")]
    if args.games < 1 or min(batches) < 1:
        parser.error("--games and every --batch must be at least 1")
    if args.device != "numpy":
        import torch

        torch.set_num_threads(1)
    game.gnubg()  # fail early, with the install hint, if gnubg-nn is missing
    backend = get_backend(args.device)
    base = dict(hidden=args.hidden, outputs=args.outputs, dtype=args.dtype)
    rows = [self_play_rate(selfplay.Settings(batch=b, **base), args.games, backend) for b in batches]
    result = {
        "benchmark": "TD-Gammon toy self-play (TD(lambda) learning included)",
        "device": backend.describe(),
        "network": repr(selfplay.Settings(**base).net()),
        "dtype": args.dtype,
        "machine": machine(),
        "self_play": rows,
        "best_games_per_second": max(r["games_per_second"] for r in rows),
        "scoring": scoring_rate(selfplay.Settings(**base), backend),
    }
    write(result, args.out)
    return result


if __name__ == "__main__":
    main()
