"""ALVINN (Pomerleau 1989): our road simulator, the paper's network and targets, a gradient check."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.gradcheck import directional_errors
from backprop.papers.pomerleau1989 import alvinn, roads


def test_the_simulator_draws_roads_at_the_paper_retina_size():
    scenes = roads.sample(np.random.default_rng(0), 50)
    assert scenes.images.shape == (50, 30, 32) and scenes.images.min() >= 0 and scenes.images.max() <= 1
    assert set(np.unique(scenes.lighter)) <= {0.0, 1.0}
    fixed = roads.sample(np.random.default_rng(0), 5, widths="fixed")
    assert np.all(fixed.width == roads.WIDTH_FIXED)


def test_a_lighter_road_is_lighter_where_the_road_is():
    z = np.zeros(1)
    image = roads.render(z, z, z, np.full(1, 3.0), np.full(1, 0.8), np.full(1, 0.2), z, 0.0, np.random.default_rng(0))[0]
    assert image[-1, 15] == pytest.approx(0.8) and image[-1, 0] == pytest.approx(0.2)  # centre of the bottom row is road


def test_steering_points_at_the_road_centre_seven_metres_ahead():
    assert roads.steering_curvature(0.0, 0.0, 0.0) == 0
    assert roads.steering_curvature(1.0, 0.0, 0.0) > 0 > roads.steering_curvature(-1.0, 0.0, 0.0)  # road to the right: turn right
    x = 1.0  # the arc through (0, 0), tangent to y, reaching (x, 7): radius (x^2 + 49) / 2x
    assert roads.steering_curvature(x, 0.0, 0.0) == pytest.approx(2 * x / (x**2 + 49))


def test_the_target_is_the_papers_hill_around_the_correct_unit():
    scenes = roads.sample(np.random.default_rng(1), 3)
    y = alvinn.targets(scenes)
    assert y.shape == (46, 3)
    straight = roads.Roads(scenes.images[:1], np.zeros(1), np.zeros(1), np.zeros(1), np.full(1, 3.0), np.ones(1))
    hill = alvinn.targets(straight)[:, 0]
    assert np.allclose(hill[alvinn.CENTRE - 4 : alvinn.CENTRE + 5], alvinn.HILL) and hill[45] == 1
    assert np.argmax(hill[:45]) == alvinn.CENTRE and hill[: alvinn.CENTRE - 4].sum() == 0


def test_the_network_has_the_papers_layers():
    net = alvinn.network()
    assert net.sizes == [961, 29, 46]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="widths"):
        roads.sample(np.random.default_rng(0), 5, widths="wide")
    with pytest.raises(ValueError, match="lighter"):
        roads.sample(np.random.default_rng(0), 5, lighter=np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        alvinn.retina(np.zeros((2, 32, 30)), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        alvinn.retina(np.full((1, 30, 32), np.nan), 0.0)
    scenes = roads.sample(np.random.default_rng(0), 7)
    net = alvinn.network()
    with pytest.raises(ValueError, match="frames"):
        alvinn.drive(net, net.init_params(np.random.default_rng(0)), scenes, 2)


def test_the_gradient_of_alvinns_cost_matches_central_differences():
    scenes = roads.sample(np.random.default_rng(2), 6)
    net = alvinn.network()
    params = net.init_params(np.random.default_rng(3), scale=0.05)
    x, y = alvinn.inputs(scenes, scenes.lighter), alvinn.targets(scenes)
    _, grads = bp.loss_and_grads(net, params, x, y)
    errors = directional_errors(lambda p: bp.dense.loss(net, p, x, y), params, grads, np.random.default_rng(4))
    assert errors.max() < 1e-7


def test_a_short_training_learns_to_steer_and_the_feedback_is_recirculated():
    rng = np.random.default_rng(0)
    scenes = roads.sample(np.random.default_rng([0, 1]), 400)
    net, params, history = alvinn.train(rng, scenes, epochs=8, random_feedback_epochs=4)
    assert history.cost[-1] < history.cost[0]
    test = roads.sample(np.random.default_rng([0, 2]), 100)
    out = alvinn.drive(net, params, test, frames=5)
    assert out.shape == (46, 100) and np.all((out >= 0) & (out <= 1))
    assert np.mean(alvinn.steering_error(out, test) <= 2) > 5 / 45  # better than guessing


def test_the_edge_index_tells_an_edge_from_a_centre():
    rng = np.random.default_rng(0)
    images, left, right = roads.edge_probes(rng, 400)
    net = alvinn.network()
    params = {k: np.zeros_like(v) for k, v in net.init_params(rng).items()}
    # unit 0 weighs only the left half of the bottom rows, unit 1 the whole bottom row
    W = np.zeros((29, 961))
    W[0, : 960] = np.r_[np.zeros(27 * 32), np.tile(np.r_[np.ones(16), np.zeros(16)], 3)] * 3
    W[1, : 960] = np.r_[np.zeros(27 * 32), np.tile(np.r_[np.zeros(6), np.ones(20), np.zeros(6)], 3)] * 3
    params["W1"] = W
    index, active = alvinn.edge_index(net, params, images, left, right)
    assert active[0] and active[1] and not active[2]
    assert index[0] > 0.8 and index[1] < 0.3
