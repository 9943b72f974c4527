"""Every notebook named in the claims registry runs at smoke scale, and its smoke rules hold.

Generic over every claims file in ``reproductions/``: a new paper's notebooks
are checked as soon as its file registers them. Each run also has to produce
every metric that the full-scale rules read, so that a full run can be judged.
The 1986 problem sets are checked against the papers' sizes here too, and the family-trees
network and its training loop against the Nature paper's set-up.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_book import claims
from backprop.papers.rhw1986_nature import family_trees
from backprop.papers.rhw1986_nature import tasks as nature
from backprop.papers.rhw1986_pdp import tasks as pdp
from backprop_book.runner import parameters_of, read_notebook, run_notebook

from .conftest import ROOT

RUNS = sorted({(c.notebook, tuple(sorted(c.parameters.items()))) for p in claims.load_all(ROOT) for c in p.claims})


def _claims_on(notebook: str, parameters: dict) -> list:
    return [c for p in claims.load_all(ROOT) for c in p.claims if c.notebook == notebook and c.parameters == parameters]


@pytest.mark.slow
@pytest.mark.parametrize("notebook, parameters", RUNS, ids=[f"{nb}{dict(p) or ''}" for nb, p in RUNS])
def test_registered_notebook_runs_at_smoke_scale_and_meets_its_smoke_rules(notebook, parameters, cache_dir):
    parameters = dict(parameters)
    # the book's own build runs {"scale": "smoke"}; the same parameters let it reuse these runs
    result = run_notebook(ROOT / notebook, {**parameters, "scale": "smoke"}, cache_dir / "_build" / "executed")
    source = f"{notebook} (smoke run)"
    for claim in _claims_on(notebook, parameters):
        missing = [name for name in claim.metrics_needed() + claim.metrics_needed(smoke=True) if name not in result.metrics]
        assert not missing, f"{claim.full_id}: the notebook records no {', '.join(missing)}"
        if claim.smoke_rule:
            verdict = claims.verdict(claim, result.metrics, smoke=True, source=source)
            assert verdict == "holds", f"{claim.full_id}: smoke rule {claim.smoke_rule} misses; metrics {result.metrics}"


def test_every_registered_notebook_takes_the_standard_parameters():
    for notebook, _ in RUNS:
        known = parameters_of(read_notebook(ROOT / notebook))
        assert {"scale", "seed", "device", "metrics_path"} <= set(known), notebook


def test_the_1986_problem_sets_have_the_papers_sizes():
    x, y = pdp.xor()
    assert x.shape == (2, 4) and y.tolist() == [[0, 1, 1, 0]]
    x, y = pdp.parity(4)
    assert x.shape == (4, 16) and np.all(y[0] == x.sum(0) % 2)
    x, y = nature.symmetry(6)
    assert x.shape == (6, 64) and y.sum() == 8  # 2**3 symmetric patterns of six bits
    x, y = pdp.binary_addition(2)
    assert x.shape == (4, 16) and y.shape == (3, 16)
    sums = np.array([4, 2, 1]) @ y
    assert np.all(sums == 2 * x[0] + x[1] + 2 * x[2] + x[3])
    x, y = pdp.negation(3)
    assert np.all(y[:, x[0] == 0] == x[1:, x[0] == 0]) and np.all(y[:, x[0] == 1] == 1 - x[1:, x[0] == 1])
    x, y, cases = nature.family_trees()
    assert x.shape == (36, 104) and y.shape == (24, 104) and np.all(x.sum(0) == 2)
    assert ("Colin", "aunt", ["Margaret", "Jennifer"]) in cases  # Fig. 3: Colin has two aunts
    assert ("Sophia", "aunt", ["Gina", "Angela"]) in cases         # and so has her Italian counterpart
    with pytest.raises(ValueError, match="positive integer"):
        pdp.all_bit_patterns(0)


def test_the_family_trees_network_has_two_separate_input_groups():
    C = family_trees.connections()
    assert C.shape == (12, 36) and C.sum() == 24 * 6 + 12 * 6
    assert not C[family_trees.PERSON_UNITS, 24:].any() and not C[family_trees.RELATION_UNITS, :24].any()
    assert family_trees.network().sizes == [36, 12, 12, 6, 24]
    assert family_trees.schedule(19) == (0.005, 0.5) and family_trees.schedule(20) == (0.01, 0.9)


def test_family_trees_training_keeps_missing_connections_at_zero_and_learns(backend):
    x, y, _ = nature.family_trees()
    n, sweeps = 4, 300
    first = family_trees.train(x, y, n, init=2.0, step=10.0, sweeps=sweeps, rng=np.random.default_rng(12345), backend=backend)
    params, learned, held_right, progress = first
    assert params["W1"].shape == (n, 12, 36) and isinstance(params["W1"], np.ndarray)
    assert np.all(params["W1"] * (1 - family_trees.connections()) == 0)  # no gradient, no momentum, decay of 0 is 0
    assert learned.shape == (n,) and learned.dtype == bool
    assert held_right.shape == (n,) and np.all((0 <= held_right) & (held_right <= family_trees.HELD_OUT))
    assert progress[:, 0].tolist() == [0, 50, 100, 150, 200, 250, sweeps - 1]
    assert progress[-1, 1] > progress[0, 1]  # the training questions are being learned
    again = family_trees.train(x, y, n, init=2.0, step=10.0, sweeps=sweeps, rng=np.random.default_rng(12345), backend=backend)
    assert all(np.array_equal(params[k], again.params[k]) for k in params)  # every draw comes from the generator passed in


def test_heldout_counts_has_one_entry_per_network_that_learned(backend):
    x, y, _ = nature.family_trees()
    n = 3
    trained = family_trees.train(x, y, n, init=2.0, step=10.0, sweeps=5, rng=np.random.default_rng(7), backend=backend)
    counts = family_trees.heldout_counts(trained)
    assert len(counts) == (trained.learned.sum() or n)  # nobody learns in 5 sweeps: then every network counts
    forced = trained._replace(learned=np.array([True, False, True]))
    assert family_trees.heldout_counts(forced).tolist() == trained.held_right[[0, 2]].tolist()


def test_the_fig10_addition_network_has_the_chapters_connections():
    """PDP ch. 8, Fig. 10 (as a source check reads it): inputs -> both hidden units, hidden 1 -> hidden 2,
    inputs and both hidden units -> the outputs, and nothing else."""
    import backprop as bp

    net = bp.DenseNet([4, 1, 1, 3], skips=[(0, 2), (0, 3), (1, 3)])
    shapes = net.param_shapes()
    weights = {k: v for k, v in shapes.items() if k.startswith("W")}
    assert weights == {
        "W1": (1, 4),        # inputs -> hidden unit 1
        "W2": (1, 1),        # hidden unit 1 -> hidden unit 2
        "W2_from0": (1, 4),  # inputs -> hidden unit 2
        "W3": (3, 1),        # hidden unit 2 -> outputs
        "W3_from0": (3, 4),  # inputs -> outputs, directly
        "W3_from1": (3, 1),  # hidden unit 1 -> outputs
    }
    assert net.n_params() == 4 + 1 + 4 + 3 + 12 + 3 + (1 + 1 + 3)  # weights, then one bias per unit
    x, y = pdp.binary_addition(2)
    params = net.init_params(np.random.default_rng(0), seeds=2)
    params["W3_from0"] = params["W3_from0"] + 1.0  # the direct connections reach the output
    a, _ = bp.forward(net, params, x)
    b, _ = bp.forward(net, {**params, "W3_from0": params["W3_from0"] - 1.0}, x)
    assert a.shape == (2, 3, 16) and not np.allclose(a, b)


def test_the_2bit_to_1of4_task_maps_each_number_onto_its_output():
    """PDP ch. 8, Tables 6-7: 00, 01, 10, 11 -> 1000, 0100, 0010, 0001."""
    x, y = pdp.binary_to_one_of_n(2)
    assert x.shape == (2, 4) and y.shape == (4, 4)
    assert x.T.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    value = (2 * x[0] + x[1]).astype(int)  # the number each column encodes
    assert np.array_equal(y.argmax(0), value) and np.array_equal(y.sum(0), np.ones(4))
    assert pdp.binary_to_one_of_n(3)[1].shape == (8, 8)


def test_hidden_unit_readings_find_gated_bits_and_levels():
    """A unit that is AND(negation bit, bit i) is a gated copy of bit i; a copy of a bit is not gated."""
    from backprop.papers.rhw1986_pdp import hidden_units

    x, _ = pdp.negation(3)
    gated = x[:1] * x[1:]  # (3, 16): AND of the negation bit with each data bit
    copies = x[1:].copy()  # (3, 16): ungated copies
    h = np.stack([gated, copies, gated[[0, 0, 2]]])  # (3 networks, 3 units, 16)
    fit, interaction = hidden_units.gated_bits(h, x)
    assert fit.shape == interaction.shape == (3, 3, 3)
    assert np.allclose(np.diagonal(fit[0]), 1) and np.allclose(np.diagonal(interaction[0]), 1)
    assert np.allclose(np.diagonal(interaction[1]), 0)
    assert hidden_units.xor_units(h, x).tolist() == [True, False, False]  # the third repeats bit 1
    sorted_h, distinct = hidden_units.levels(np.array([[0.6, 0.0, 1.0, 0.2], [0.1, 0.15, 0.9, 0.5]]))
    assert sorted_h[0].tolist() == [0.0, 0.2, 0.6, 1.0] and distinct.tolist() == [True, False]


def test_the_symmetry_training_function_is_the_captions_set_up():
    """The shared trainer draws +-0.3 weights into a 6-2-1 net; mirror_pairs sorts each unit's pair magnitudes."""
    from backprop.papers.rhw1986_nature import symmetry

    net, params, history = symmetry.train(np.random.default_rng(0), 3, sweeps=2)
    assert net.sizes == [6, 2, 1] and params["W1"].shape == (3, 2, 6) and history.sweeps == 2
    start = net.init_params(np.random.default_rng(0), scale=0.3, seeds=3)
    assert np.abs(start["W1"]).max() <= 0.3
    W = np.array([[[1.0, -2.0, 4.0, -4.0, 2.0, -1.0], [-3.0, 6.0, 12.0, -12.0, -6.0, 3.0]]])
    assert symmetry.mirror_pairs(W).tolist() == [[[1.0, 2.0, 4.0], [3.0, 6.0, 12.0]]]
