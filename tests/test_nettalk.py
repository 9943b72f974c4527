"""NETtalk's window, output code, best-guess decoding, training rule; and the speech helper."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.papers.sejnowski1987 import nettalk, speech

WORDS = ("the", "cat", "knight", "box", "people", "thought", "she", "with", "water", "quick")
PHONEMES = ("D-x", "k@t", "-nA--t", "baX", "pi-pL-", "T-c---t", "Si-", "wIT-", "wct-R", "kwIk-")
STRESS = (">>0", ">1<", ">>1<<<", ">1<", ">1<>0<", ">>1<<<<", ">1<", ">1<<", ">1<0<", ">>1<<")


@pytest.fixture
def corpus():
    return nettalk.Corpus(WORDS, PHONEMES, STRESS)


def test_the_published_layer_sizes_and_a_distinct_code_per_phoneme():
    assert (nettalk.N_IN, nettalk.N_OUT, len(nettalk.FEATURES)) == (203, 26, 21)
    assert nettalk.PHONEME_CODES.shape == (51, 21)
    codes = {tuple(c) for c in nettalk.PHONEME_CODES}
    assert len(codes) == 51
    assert bp.DenseNet([203, 80, 26]).n_params() == 18_426


def test_windows_and_one_hot_input():
    win = nettalk.windows(["cat"])
    assert win.shape == (3, 7)
    as_text = ["".join(nettalk.ALPHABET[i] for i in row) for row in win]
    assert as_text == ["___cat_", "__cat__", "_cat___"]  # the middle letter is the one to say
    x = nettalk.one_hot(win)
    assert x.shape == (203, 3) and np.all(x.sum(0) == 7)
    assert x[3 * 29 + nettalk.ALPHABET.index("a"), 1] == 1  # position 3 of the 2nd window is "a"


def test_decoding_the_targets_gives_back_the_symbols(corpus):
    p, s = nettalk.decode(corpus.y)
    assert np.array_equal(p, corpus.p_true) and np.array_equal(s, corpus.s_true)
    assert nettalk.to_strings(p, corpus.words) == list(PHONEMES)
    assert nettalk.to_strings(s, corpus.words, nettalk.STRESS_SYMBOLS) == list(STRESS)


def test_best_guess_is_the_smallest_angle():
    codes = nettalk.PHONEME_CODES
    k = nettalk.SYMBOLS.index("b")
    out = 0.3 * codes[k][:, None] + 0.05  # scaled and shifted: still closest in angle to "b"
    assert nettalk.best_guess(out, codes)[0] == k
    p = nettalk.SYMBOLS.index("p")  # "b" without voicing
    out = codes[k].copy()
    out[nettalk.FEATURES.index("voiced")] = 0.2
    assert nettalk.best_guess(out[:, None], codes)[0] == p


def test_scores(corpus):
    net = bp.DenseNet([203, 26], activations="identity")
    exact = {"W1": np.zeros((26, 203)), "b1": np.zeros((26, 1))}
    # an "identity" net with zero weights outputs b1 for every letter: the code of one phoneme
    exact["b1"][:, 0] = np.concatenate([nettalk.PHONEME_CODES[nettalk.SYMBOLS.index("-")], np.eye(5)[0]])
    s = nettalk.score(net, exact, corpus)
    silent = sum(p.count("-") for p in PHONEMES) / corpus.n_letters
    assert s["phonemes"] == pytest.approx(silent) and s["words"] == 0


def test_no_error_is_sent_back_within_the_margin():
    a = np.array([[0.95, 0.5, 0.05]])
    y = np.array([[1.0, 1.0, 0.0]])
    delta = nettalk.output_delta_with_margin(a, y, np.ones_like(a), tolerance=0.1)
    assert np.array_equal(delta, [[0.0, -0.5, 0.0]])


def test_with_no_margin_a_step_is_the_gradient_step(corpus, rng):
    net = bp.DenseNet([203, 10, 26])
    params = net.init_params(rng, scale=0.3)
    cols = corpus.columns[2]
    _, grads = bp.loss_and_grads(net, params, corpus.x(cols), corpus.y[:, cols])
    one_word = np.array([2])
    new, _ = nettalk.train(net, params, corpus, passes=1, eta=0.1, alpha=0.0, tolerance=0.0,
                           rng=np.random.default_rng(0), words=one_word)
    for k in params:
        np.testing.assert_allclose(new[k], params[k] - 0.1 * grads[k], rtol=1e-12, atol=1e-14)


def test_training_learns_the_words_and_many_seeds_train_at_once(corpus, backend):
    net = bp.DenseNet([203, 40, 26])
    rng = np.random.default_rng(1)
    params = net.init_params(rng, scale=0.3, seeds=2, backend=backend)
    before = nettalk.score(net, params, corpus)["phonemes"]
    seen = []
    params, velocity = nettalk.train(net, params, corpus, passes=100, eta=0.2, alpha=0.5, rng=rng, every=500,
                                     callback=lambda n, p: seen.append(n))
    after = nettalk.score(net, params, corpus)
    assert seen == [500, 1000] and set(velocity) == set(params)
    assert after["phonemes"].shape == (2,) and np.all(after["phonemes"] > 0.9) and np.all(before < 0.5)
    phonemes, stresses = nettalk.read_aloud(net, {k: v[0] for k, v in params.items()}, ["cat", "people"])
    assert [len(p) for p in phonemes] == [3, 6] and [len(s) for s in stresses] == [3, 6]


def test_fractional_passes_and_damage(corpus, rng):
    net = bp.DenseNet([203, 5, 26])
    params = net.init_params(rng, scale=0.3)
    counted = []
    nettalk.train(net, params, corpus, passes=0.5, eta=0.1, rng=rng, every=1, callback=lambda n, p: counted.append(n))
    assert counted == [1, 2, 3, 4, 5]
    damaged = nettalk.perturb(params, 0.2, np.random.default_rng(3))
    again = nettalk.perturb(params, 0.2, np.random.default_rng(3))
    for k in params:
        change = damaged[k] - params[k]
        assert change.shape == params[k].shape and np.abs(change).max() <= 0.2 and np.abs(change).max() > 0.1
        assert np.array_equal(damaged[k], again[k])


def test_hidden_patterns_by_letter_to_sound_correspondence(corpus, rng):
    net = bp.DenseNet([203, 8, 26])
    labels, means = nettalk.hidden_by_correspondence(net, net.init_params(rng), corpus, min_count=3)
    assert "t→t" in labels and "h→-" in labels and means.shape == (len(labels), 8)
    assert np.all((means > 0) & (means < 1))


def test_corpus_choice_is_checked():
    with pytest.raises(ValueError, match="unknown corpus 'klingon'"):
        nettalk.load_corpus("klingon")
    with pytest.raises(ValueError, match="unknown phoneme symbol 'Q'"):
        nettalk.targets(["Q"], ["1"])


# --- speech ------------------------------------------------------------------------------

def test_every_symbol_has_an_espeak_phoneme():
    assert set(speech.ESPEAK) == set(nettalk.SYMBOLS)
    assert speech.to_espeak("k@t", ">1<") == "k'at"
    assert speech.passage(["D-x", "k@t"], [">>0", ">1<"]) == "[[D@ k'at]]"


@pytest.mark.needs("espeak-ng", "the phonemes are spoken by espeak-ng")
def test_speak_returns_short_samples():
    samples, rate = speech.speak(speech.passage(["k@t"], [">1<"]))
    assert rate == 8000 and 0.2 < len(samples) / rate < 3 and np.abs(samples).max() <= 1.0
