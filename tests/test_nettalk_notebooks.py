"""The three NETtalk notebooks run through papermill at smoke scale, on either corpus."""

from __future__ import annotations

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
    assert 0.3 < m["phonemes_correct"] <= 1 and 0 <= m["words_correct"] <= m["phonemes_correct"]
    assert m["power_law_r2"] <= 1 and isinstance(m["power_law_fits"], bool)
    assert 0.5 <= m["vowel_consonant_purity"] <= 1


@pytest.mark.parametrize("corpus", CORPORA)
def test_generalisation_notebook(corpus, cache_dir):
    m = _run("sejnowski1987_generalisation", corpus, cache_dir)
    assert m["hidden_labels"] == ["no hidden layer", "15 hidden", "80 hidden", "two layers of 80"]
    assert 0 < m["generalisation_phonemes"] < m["train_phonemes"] <= 1
    assert m["word_counts"] == [50, 100, 200] and len(m["words_test_phonemes"]) == 3
    assert isinstance(m["generalisation_improves_with_words"], bool)


@pytest.mark.parametrize("corpus", CORPORA)
def test_damage_notebook(corpus, cache_dir):
    m = _run("sejnowski1987_damage", corpus, cache_dir)
    assert len(m["damage_amplitudes"]) == len(m["damage_phonemes"]) == 9
    assert m["damage_phonemes"][0] == pytest.approx(m["trained_phonemes"])
    assert m["damage_phonemes"][-1] < m["trained_phonemes"]
    assert m["after_damage_phonemes"] < m["trained_phonemes"]
    for key in ("degrades_gracefully", "relearning_faster", "spaced_beats_massed"):
        assert isinstance(m[key], bool)
