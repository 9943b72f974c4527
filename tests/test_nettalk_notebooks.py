"""The three NETtalk notebooks run through papermill at smoke scale, on either corpus."""

from __future__ import annotations

import numpy as np
import pytest

from backprop.papers.sejnowski1987 import dictionary as nettalk_data
from backprop_book.runner import run_notebook

from .conftest import ROOT

pytestmark = pytest.mark.slow

NOTEBOOKS = ROOT / "notebooks"
CORPORA = ["cmudict", pytest.param("nettalk", marks=pytest.mark.skipif(
    not nettalk_data.available(), reason="the NETtalk files are not in a data folder"))]


def _run(name, corpus, cache_dir):
    parameters = {"scale": "smoke", "device": "numpy", "corpus": corpus}
    return run_notebook(NOTEBOOKS / f"{name}.md", parameters, cache_dir / "_build" / "executed").metrics


@pytest.mark.parametrize("corpus", CORPORA)
def test_learning_notebook(corpus, cache_dir):
    m = _run("sejnowski1987_learning", corpus, cache_dir)
    assert m["corpus"] == corpus and m["n_params"] == 18_426
    # earned at smoke scale (150 words, 8 passes): 69% (cmudict) and 56% (nettalk) of phonemes,
    # and some words wholly right (19%, 6%), which needs every phoneme of a word right
    assert m["phonemes_correct"] > 0.45 and 0 < m["words_correct"] < m["phonemes_correct"]
    assert m["phonemes_correct_pct"] == pytest.approx(100 * m["phonemes_correct"])
    # the error falls with training, roughly as a power (exponents 0.50 and 0.30, R^2 0.73 and 0.99)
    assert m["power_law_exponent"] > 0.1 and m["power_law_r2"] > 0.5
    # the verdict is the notebook's stated test of the recorded fits
    assert m["power_law_fits"] == (m["power_law_r2"] >= 0.95 and m["power_law_exponent"] > 0
                                   and m["power_law_r2"] > m["exponential_r2"])
    assert m["vowel_consonant_split"] == (m["vowel_consonant_purity"] >= 0.9)


@pytest.mark.parametrize("corpus", CORPORA)
def test_generalisation_notebook(corpus, cache_dir):
    m = _run("sejnowski1987_generalisation", corpus, cache_dir)
    assert m["hidden_labels"] == ["no hidden layer", "15 hidden", "80 hidden", "two layers of 80"]
    # the baseline is the 80-hidden network of the sweep, and it reads unseen words worse than its own
    assert m["train_phonemes"] == m["hidden_train_phonemes"][2]
    assert m["generalisation_phonemes"] == m["hidden_unseen_phonemes"][2] == pytest.approx(m["generalisation_phonemes_pct"] / 100)
    assert 0.4 < m["generalisation_phonemes"] < m["train_phonemes"]        # 60% and 53% at smoke scale
    assert m["word_counts"] == [50, 100, 200] and len(m["words_test_phonemes"]) == 3
    test = np.array(m["words_test_phonemes"])
    # more training words read new words better at smoke scale (gains of 26 and 56 points)
    assert m["generalisation_gain"] == pytest.approx(test[-1] - test[0]) and m["generalisation_gain"] > 0.1
    # the verdicts are the notebook's stated tests of the recorded scores
    assert m["generalisation_improves_with_words"] == bool(np.all(np.diff(test) > 0) and test[-1] - test[0] >= 0.05)
    train_by_h, unseen_by_h = m["hidden_train_phonemes"][:-1], m["hidden_unseen_phonemes"][:-1]
    assert m["more_hidden_units_learn_better"] == bool(
        np.all(np.diff(train_by_h) > -0.01) and train_by_h[0] == min(train_by_h) and unseen_by_h[0] == min(unseen_by_h))


@pytest.mark.parametrize("corpus", CORPORA)
def test_damage_notebook(corpus, cache_dir):
    m = _run("sejnowski1987_damage", corpus, cache_dir)
    assert len(m["damage_amplitudes"]) == len(m["damage_phonemes"]) == 9
    assert m["damage_phonemes"][0] == pytest.approx(m["trained_phonemes"])
    # damage as large as the weights (d = 2 against a mean |w| of 0.28) leaves little (9% and 4%)
    assert m["damage_phonemes"][-1] < 0.5 * m["trained_phonemes"]
    assert m["after_damage_phonemes"] < m["trained_phonemes"]
    # the verdicts are the notebook's stated tests of the recorded numbers
    d, by_d = np.array(m["damage_amplitudes"]), np.array(m["damage_phonemes"])
    assert m["damage_worst_step"] == pytest.approx(-np.diff(by_d).min())
    kept = np.interp(m["mean_abs_weight"], d, by_d) / m["trained_phonemes"]
    assert m["damage_kept_at_mean_weight"] == pytest.approx(kept)
    assert m["degrades_gracefully"] == (m["damage_worst_step"] <= 0.15 and kept >= 0.5)
    relearned = m["relearn_words"] > 0             # -1: never back to 95% of the old score
    assert m["relearning_speedup"] == pytest.approx(m["original_words"] / m["relearn_words"] if relearned else 0.0)
    assert m["relearning_faster"] == (m["relearning_speedup"] >= 2)
    assert m["relearning_speedup"] > 1.5          # relearning is faster at smoke scale (2.5 and 3.3 times)
    gap = m["spaced_retention"] - m["massed_retention"]   # the mean over networks of each one's gap
    assert m["spaced_beats_massed"] <= (gap >= 0.01)       # every network's gap positive, and 1 point on average
    if m["n_seeds"] == 1:
        assert m["spaced_beats_massed"] == (gap >= 0.01)
