"""Backgammon through gnubg-nn: positions, legal moves, results, the 198 inputs, players, matches, self-play."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from .conftest import need

need("gnubg_nn", "GNU Backgammon's neural nets, the opponent and the move generator")

from backprop import checkpoint  # noqa: E402
from backprop.papers.tesauro1992 import encoding, game, match, selfplay  # noqa: E402
from backprop.papers.tesauro1992 import players as P  # noqa: E402


def random_positions(rng, n_games=16, plies=40):
    """Positions reached by random play (seen by the player on roll), with the rolls that follow."""
    boards = np.repeat(game.START[None], n_games, axis=0)
    seen = []
    for _ in range(plies):
        dice = game.roll(rng, n_games)
        seen.append((boards.copy(), dice))
        c = game.afterstates(boards, dice)
        after = c.after[c.start[:-1] + (rng.random(n_games) * np.diff(c.start)).astype(int)]
        boards = game.swap(after)
        boards[game.finished(after)] = game.START
    return seen


def test_start_position_and_keys_agree_with_gnubg():
    g = game.gnubg()
    assert (game.START == np.array(g.board_from_position_id("4HPwATDgc/ABMA"))).all()
    assert game.key_of(game.START) == "OAHDPAABDAOAHDPAABDA"
    assert (game.borne_off(game.START) == 0).all()


def test_keys_decode_like_gnubg(rng):
    g = game.gnubg()
    for boards, dice in random_positions(rng)[::5]:
        c = game.afterstates(boards, dice)
        expected = np.array([g.board_from_position_key(k) for k in c.keys])
        assert (c.after == expected).all()


def test_opening_three_one_has_sixteen_results_and_a_blocked_player_passes():
    c = game.afterstates(game.START[None], np.array([[3, 1]]))
    assert len(c.keys) == 16 and len(set(c.keys)) == 16
    assert (c.after.sum(axis=2) == 15).all()
    assert (c.after[:, 0] == game.START[0]).all()  # the opponent's checkers do not move
    blocked = np.zeros((2, 25), dtype=np.int8)
    blocked[0, :6], blocked[0, 23] = 2, 3  # the opponent has closed its home board ...
    blocked[1, game.BAR], blocked[1, 5] = 1, 14  # ... and we are on the bar
    c = game.afterstates(blocked[None], np.array([[6, 5]]))
    assert len(c.keys) == 1 and (c.after[0] == blocked).all()


def test_rolls_are_dice_and_openings_are_not_doubles(rng):
    d = game.roll(rng, 5000)
    assert d.min() == 1 and d.max() == 6 and abs((d[:, 0] == d[:, 1]).mean() - 1 / 6) < 0.03
    o = game.roll(rng, 5000, opening=True)
    assert (o[:, 0] != o[:, 1]).all()


def test_single_game_gammon_and_backgammon():
    after = np.zeros((4, 2, 25), dtype=np.int8)  # the mover (row 1) has borne off everything
    after[0, 0, 0] = 1  # the loser has borne off 14: a single game
    after[1, 0, 5] = 15  # none borne off, all in its own home board: a gammon
    after[2, 0, 5], after[2, 0, 20] = 14, 1  # one still in the winner's home board: a backgammon
    after[3, 0, 5], after[3, 0, game.BAR] = 14, 1  # one on the bar: a backgammon
    assert game.finished(after).all()
    assert game.points_won(after).tolist() == [1, 2, 3, 3]
    assert not game.finished(game.START[None])[0]


def test_the_198_inputs_of_the_opening_position():
    x = encoding.encode(game.START[None], encoding.BLACK)[:, 0]  # Black has "just moved": White to move
    assert x.shape == (198,) and encoding.N_INPUTS == 198
    white, black, turn = x[:98].reshape(-1), x[98:196], x[196:]
    units = white[:96].reshape(24, 4)
    assert units[5].tolist() == [1, 1, 1, 1.0]  # 5 checkers: three ones and (5 - 3) / 2
    assert units[7].tolist() == [1, 1, 1, 0]  # 3 checkers
    assert units[23].tolist() == [1, 1, 0, 0]  # 2 checkers
    assert units.sum() == 4 + 3 + 4 + 2
    b = black[:96].reshape(24, 4)  # Black's 6-point is White's 19-point (index 18)
    assert b[18].tolist() == [1, 1, 1, 1.0] and b[0].tolist() == [1, 1, 0, 0]
    assert white[96] == 0 and white[97] == 0 and turn.tolist() == [1, 0]


def test_bar_borne_off_and_turn_units_and_colour_symmetry():
    after = game.START.copy()
    after[1, 5] -= 3  # the mover has borne off two and has one on the bar
    after[1, game.BAR] = 1
    x_white = encoding.encode(after[None], encoding.WHITE)[:, 0]
    assert x_white[96] == 0.5 and x_white[97] == pytest.approx(2 / 15)
    assert x_white[196:].tolist() == [0, 1]  # White moved: Black to move
    x_black = encoding.encode(after[None], encoding.BLACK)[:, 0]
    assert x_black[98 + 96] == 0.5 and x_black[196:].tolist() == [1, 0]
    # the same position with the colours exchanged: the two colour blocks trade places, mirrored
    w = x_white[:96].reshape(24, 4)
    b = x_black[98:194].reshape(24, 4)
    assert (w == b[::-1]).all()


def test_outcome_vectors_and_equity():
    z = encoding.outcome(np.array([1, 2, 3, -1, -2, -3]), 4)
    assert z.T.tolist() == [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    assert encoding.equity(z, 4).tolist() == [1, 2, 2, -1, -2, -2]
    assert encoding.outcome(np.array([2, -1]), 1).tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="outputs must be one of"):
        encoding.outcome(np.array([1]), 3)


def test_every_player_picks_a_legal_result(rng):
    net = selfplay.Settings(hidden=8).net()
    params = net.init_params(rng, scale=0.5)
    everyone = [P.RandomPlayer(rng), P.PubevalPlayer(), P.GnubgPlayer(), P.NetworkPlayer(net, params)]
    for boards, dice in random_positions(rng, plies=30)[::3]:
        c = game.afterstates(boards, dice)
        mover = rng.integers(0, 2, len(boards))
        for player in everyone:
            pick = player.choose(boards, dice, mover, c)
            assert ((0 <= pick) & (pick < np.diff(c.start))).all(), player


def test_pubeval_and_gnubg_choices_are_theirs():
    g = game.gnubg()
    boards, dice = game.START[None], np.array([[3, 1]])
    c = game.afterstates(boards, dice)
    pub = c.keys[P.PubevalPlayer().choose(boards, dice, [0], c)[0]]
    gnu = c.keys[P.GnubgPlayer().choose(boards, dice, [0], c)[0]]
    expected = game.key_of(game.swap(game.boards_from_keys([g.best_move(boards[0].tolist(), 3, 1, 0, b=1)[1]])[0]))
    assert gnu == expected
    made = game.boards_from_keys([gnu])[0]
    assert made[1].tolist()[4:8] == [2, 4, 0, 2]  # 8/5 6/5: the 3-1 opening that makes the 5-point
    assert pub == gnu  # pubeval knows that one too


def test_network_player_scores_all_games_in_one_pass_and_maximises_for_the_side_on_roll(rng):
    net = selfplay.Settings(hidden=8).net()
    params = net.init_params(rng, scale=1.0)
    player = P.NetworkPlayer(net, params)
    boards, dice = random_positions(rng, plies=20)[-1]
    c = game.afterstates(boards, dice)
    mover = rng.integers(0, 2, len(boards))
    pick = player.choose(boards, dice, mover, c)
    for g_ in range(len(boards)):  # one game at a time, by hand
        e = player.white_equity(c.of(g_), np.full(len(c.of(g_)), mover[g_]))
        assert pick[g_] == (np.argmax(e) if mover[g_] == 0 else np.argmin(e))


@pytest.mark.needs("torch")
def test_network_player_on_torch_chooses_as_on_numpy(rng):
    from backprop.backend import get_backend

    net = selfplay.Settings(hidden=8).net()
    params = net.init_params(rng, scale=1.0)
    boards, dice = random_positions(rng, plies=12)[-1]
    c = game.afterstates(boards, dice)
    mover = np.zeros(len(boards), dtype=int)
    on_torch = P.NetworkPlayer(net, get_backend("cpu").tree(params)).choose(boards, dice, mover, c)
    assert (on_torch == P.NetworkPlayer(net, params).choose(boards, dice, mover, c)).all()


def test_match_alternates_starts_and_counts_points(rng):
    result = match.play_match(P.PubevalPlayer(), P.RandomPlayer(rng), 60, rng, batch=16)
    assert result.games == 60 and set(np.abs(result.points)) <= {1, 2, 3}
    assert result.win_rate >= 0.85  # pubeval beats a random mover about 99.6% of the time
    lo, hi = result.win_rate_ci
    assert lo <= result.win_rate <= hi and result.ppg_ci[0] <= result.ppg <= result.ppg_ci[1]
    assert (result.plies > 0).all()
    assert "pubeval vs random" in repr(result)


def test_wilson_interval():
    lo, hi = match.wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    assert match.wilson(0, 10)[0] == 0 and match.wilson(10, 10)[1] == 1


def test_missing_gnubg_gives_a_clear_error(monkeypatch):
    real = importlib.import_module

    def fake(name, *args):
        if name == "gnubg_nn":
            raise ImportError("No module named 'gnubg_nn'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"pip install gnubg-nn"):
        game.gnubg()


def test_self_play_learns_something_and_keeps_the_batch_full(rng):
    settings = selfplay.Settings(hidden=10, batch=8, dtype="float64")
    net = settings.net()
    params = net.init_params(rng, scale=0.1)
    before = {k: v.copy() for k, v in params.items()}
    seen = []
    params, stats = selfplay.play(net, params, 20, rng, settings, on_games=seen.append)
    assert stats.games == 20 == sum(seen) and stats.plies > 20 * 10
    assert all(np.isfinite(v).all() for v in params.values())
    assert any(not np.allclose(params[k], before[k]) for k in params)


def _tiny(**kw):
    return selfplay.Settings(hidden=6, batch=4, **kw)


def test_training_resumes_exactly_where_it_stopped(tmp_path):
    calls = []

    def evaluate(player, games):
        calls.append(games)
        return {"weights_sum": float(sum(v.sum() for v in player.params.values()))}

    straight = selfplay.train(tmp_path / "a", _tiny(), games=6, every=2, evaluate=evaluate, progress=False)
    assert [h["games"] for h in straight.history] == [0, 2, 4, 6] and calls == [0, 2, 4, 6]
    assert [n for n, _ in checkpoint.numbered(tmp_path / "a", "tdgammon")] == [0, 2, 4, 6]

    selfplay.train(tmp_path / "b", _tiny(), games=4, every=2, evaluate=evaluate, progress=False)  # "killed" at 4
    resumed = selfplay.train(tmp_path / "b", _tiny(), games=6, every=2, evaluate=evaluate, progress=False)
    assert resumed.resumed_from == 4 and resumed.games == 6
    for k in straight.params:
        assert np.array_equal(straight.params[k], resumed.params[k])
    assert [h["weights_sum"] for h in resumed.history] == [h["weights_sum"] for h in straight.history]
    again = selfplay.train(tmp_path / "b", _tiny(), games=6, every=2, progress=False)  # nothing left to do
    assert again.resumed_from == 6 and len(again.history) == 4


def test_resuming_with_other_settings_or_a_corrupt_checkpoint_is_refused(tmp_path):
    selfplay.train(tmp_path, _tiny(), games=2, every=2, progress=False)
    with pytest.raises(checkpoint.ArchitectureMismatch, match="sizes"):
        selfplay.train(tmp_path, selfplay.Settings(hidden=7, batch=4), games=4, every=2, progress=False)
    with pytest.raises(checkpoint.CheckpointError, match="alpha"):
        selfplay.train(tmp_path, _tiny(alpha=0.05), games=4, every=2, progress=False)
    last = checkpoint.numbered(tmp_path, "tdgammon")[-1][1]
    last.write_bytes(last.read_bytes()[:300])  # cut short, as by a full disk
    with pytest.raises(checkpoint.CheckpointError, match="corrupt or truncated"):
        selfplay.train(tmp_path, _tiny(), games=4, every=2, progress=False)


@pytest.mark.needs("torch")
def test_self_play_runs_on_torch(rng):
    import torch

    from backprop.backend import get_backend

    settings = selfplay.Settings(hidden=10, batch=4, dtype="float32")
    net = settings.net()
    params = net.init_params(rng, scale=0.1, backend=get_backend("cpu"), dtype="float32")
    params, stats = selfplay.play(net, params, 4, rng, settings, backend="cpu")
    assert stats.games == 4 and all(isinstance(v, torch.Tensor) and torch.isfinite(v).all() for v in params.values())


@pytest.mark.cuda
def test_self_play_runs_on_a_gpu(rng):
    settings = selfplay.Settings(hidden=40, batch=256, dtype="float32")
    net = settings.net()
    params = net.init_params(rng, scale=0.1, backend="cuda", dtype="float32")
    params, stats = selfplay.play(net, params, 300, rng, settings, backend="cuda")
    assert stats.games == 300 and all(v.is_cuda for v in params.values())


def test_a_lower_step_size_late_in_the_run_gets_its_own_checkpoint(tmp_path):
    settings = _tiny(alpha_late=0.05, alpha_late_from=3)
    assert settings.alpha_at(2) == 0.1 and settings.alpha_at(3) == 0.05
    run = selfplay.train(tmp_path, settings, games=4, every=2, progress=False)
    assert [h["games"] for h in run.history] == [0, 2, 3, 4]
    assert [h["alpha"] for h in run.history[1:]] == [0.1, 0.1, 0.05]
