"""The sequence tasks of PDP ch. 8's recurrent-nets section and the loop that trains on them.

The task sets have the chapter's sizes and the contents their docstrings promise; the
training loop (full-batch momentum descent through time, one network frozen as soon as it
has learned) learns a tiny task on numpy and on torch. The notebook's smoke run is
tests/test_rhw1986.py's, as for every registered notebook.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop import recurrent
from backprop.backend import get_backend, to_numpy
from backprop.papers.rhw1986_pdp import sequences

from .conftest import need


def test_the_letter_sequences_have_the_chapters_sizes_and_our_rule():
    task = sequences.letter_sequences()
    assert task.xs.shape == (6, 5, 25) and task.targets.shape == (6, 3, 25) and task.mask.shape == (6, 1, 1)
    assert len(set(task.names)) == 25
    # one letter at step 1 and one at step 2, then nothing
    assert np.all(task.xs[:2].sum(1) == 1) and not task.xs[2:].any()
    # one number per scored step, none before; the mask scores exactly steps 3-6
    assert np.all(task.targets[2:].sum(1) == 1) and not task.targets[:2].any()
    assert task.mask[:, 0, 0].tolist() == [0, 0, 1, 1, 1, 1]
    # the names spell the inputs and targets
    for j, name in enumerate(task.names):
        assert sequences.LETTERS[task.xs[0, :, j].argmax()] + sequences.LETTERS[task.xs[1, :, j].argmax()] == name[:2]
        assert "".join(sequences.NUMBERS[i] for i in task.targets[2:, :, j].argmax(1)) == name[2:]
    # the first letter decides numbers 3-4, the second numbers 5-6
    by_first = {}
    for name in task.names:
        by_first.setdefault(name[0], set()).add(name[2:4])
    assert all(len(v) == 1 for v in by_first.values())
    # reproducible, and another rule seed gives other sequences
    assert sequences.letter_sequences().names == task.names
    assert sequences.letter_sequences(rule_seed=7).names != task.names


def test_the_completion_split_holds_out_each_letter_once_per_position():
    train, test = sequences.completion_split(sequences.letter_sequences())
    assert train.xs.shape == (6, 5, 20) and test.xs.shape == (6, 5, 5)
    assert sorted(n[0] for n in test.names) == list(sequences.LETTERS)
    assert sorted(n[1] for n in test.names) == list(sequences.LETTERS)
    assert not set(train.names) & set(test.names)


def test_the_shift_register_targets_are_the_delayed_bits():
    task = sequences.shift_register(n_cells=3, T=7)
    assert task.xs.shape == (7, 1, 128) and task.targets.shape == (7, 3, 128) and task.mask.shape == (7, 3, 1)
    x = task.xs[:, 0]
    for j in range(3):
        assert np.array_equal(task.targets[j + 1 :, j], x[: 7 - 1 - j])
        assert task.mask[:, j, 0].tolist() == [0] * (j + 1) + [1] * (7 - 1 - j)
    with pytest.raises(ValueError):
        sequences.shift_register(n_cells=4, T=4)


def _tiny(backend):
    task = sequences.shift_register(n_cells=1, T=4)  # echo the bit of one step before
    net = recurrent.RecurrentNet(1, 4, 1)
    params = net.init_params(np.random.default_rng(0), seeds=4, backend=backend)
    xs, targets, mask = (backend.asarray(a) for a in task[:3])
    return net, params, xs, targets, mask


@pytest.mark.parametrize("device", ["numpy", "cpu"])
def test_train_recurrent_learns_a_tiny_sequence_task_and_freezes_learned_networks(device):
    if device == "cpu":
        need("torch")
    backend = get_backend(device)
    net, params, xs, targets, mask = _tiny(backend)
    trained, history = sequences.train_recurrent(net, params, xs, targets, mask, eta=0.1, alpha=0.9, sweeps=2000)
    assert np.all(history.solved_at >= 0), history
    ys, _ = recurrent.forward(net, trained, xs)
    assert np.all(to_numpy(sequences.worst_error(ys, targets, mask)) < 0.5)
    # training stopped at the sweep where the last network had learned
    assert history.sweeps == history.solved_at.max() + 1
    # the cost history has one row per sweep and one column per network
    assert history.error.shape == (history.sweeps, 4)


def test_train_recurrent_stops_at_once_when_already_learned():
    backend = get_backend("numpy")
    net, params, xs, targets, mask = _tiny(backend)
    _, history = sequences.train_recurrent(net, params, xs, targets, mask, eta=0.1, sweeps=50, tolerance=1.0)
    assert history.solved_at.tolist() == [0, 0, 0, 0] and history.sweeps == 1


def test_hidden_states_leave_out_the_initial_state():
    backend = get_backend("numpy")
    net, params, xs, _, _ = _tiny(backend)
    h = sequences.hidden_states(net, params, xs)
    assert h.shape == (4, 4, 4, 16)  # (S, T, H, m)
