"""NETtalk (Sejnowski & Rosenberg 1987): the input window, the output code, decoding, training.

The network reads a 7-letter window and says the phoneme and the stress of the
middle letter. Input: 29 units per window position (26 letters and 3 for word
boundary and punctuation), 7 * 29 = 203 units, one unit on per position.
Output: 26 logistic units, 21 articulatory features of the phoneme and 5 for
stress and syllable boundary. An output is read as the phoneme whose code makes
the smallest angle with it (the paper's "best guess"), and the same for stress.

**The feature table below is our reconstruction from phonetics, not the
paper's table**, which we could not consult: the 21 feature names follow the
paper (six places, which double as front/central/back positions for vowels; six
manners with voiced and tensed; three vowel heights; four punctuation
features), the assignment of features to each of the 50 phonemes and the silence is ours. The
5 stress units are a one-hot code of the corpus's 5 stress symbols (ours too).

Examples are columns, as everywhere in the library: ``x`` is ``(203, m)``,
``y`` is ``(26, m)``, outputs are ``(..., 26, m)`` (leading axes: seeds).

Non-goals: reading the corpus (``backprop.papers.sejnowski1987.dictionary``,
``backprop.papers.sejnowski1987.cmudict_aligned``); sound (``backprop.papers.sejnowski1987.speech``).
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from backprop.backend import like, namespace, to_numpy
from backprop.dense import DenseNet, backward, forward
from backprop.optim import momentum_step

# --- input: a 7-letter window, 29 units per letter ---------------------------------

ALPHABET = "abcdefghijklmnopqrstuvwxyz_.,"  # "_": outside the word (word boundary)
WINDOW = 7
N_IN = WINDOW * len(ALPHABET)
assert N_IN == 203  # the paper's input layer

_CODE = {c: i for i, c in enumerate(ALPHABET)}


def windows(words) -> np.ndarray:
    """The window of every letter of every word, as alphabet indices: ``(n_letters, 7)``.

    Words are read one at a time, padded with word-boundary symbols, letters in order.
    """
    half = WINDOW // 2
    rows = []
    for w in words:
        padded = [_CODE["_"]] * half + [_CODE[c] for c in w.lower()] + [_CODE["_"]] * half
        rows.extend(padded[i : i + WINDOW] for i in range(len(w)))
    return np.asarray(rows, dtype=np.int64).reshape(-1, WINDOW)


def one_hot(win: np.ndarray, dtype="float64") -> np.ndarray:
    """Input vectors ``(203, m)`` for windows ``(m, 7)``: unit ``29 k + letter`` is on at position k."""
    m = win.shape[0]
    x = np.zeros((N_IN, m), dtype=dtype)
    x[win + len(ALPHABET) * np.arange(WINDOW), np.arange(m)[:, None]] = 1.0
    return x


# --- output: 21 articulatory features + 5 stress units ------------------------------

# Places double as vowel positions: labial = front1, dental = front2,
# alveolar = central1, palatal = central2, velar = back1, glottal = back2.
FEATURES = (
    "labial", "dental", "alveolar", "palatal", "velar", "glottal",
    "stop", "nasal", "fricative", "affricative", "glide", "liquid", "voiced", "tensed",
    "high", "medium", "low",
    "silent", "elide", "pause", "full_stop",
)
assert len(FEATURES) == 21

_V = "voiced"
# symbol: (example from the corpus, features).  Our reconstruction (see the module docstring).
PHONEMES = {
    # stops, nasals, fricatives, affricates
    "p": ("pet", "labial stop"),
    "b": ("bet", f"labial stop {_V}"),
    "t": ("test", "alveolar stop"),
    "d": ("deb", f"alveolar stop {_V}"),
    "k": ("ken", "velar stop"),
    "g": ("guess", f"velar stop {_V}"),
    "m": ("met", f"labial nasal {_V}"),
    "n": ("net", f"alveolar nasal {_V}"),
    "G": ("sing", f"velar nasal {_V}"),
    "f": ("fin", "labial fricative"),
    "v": ("vest", f"labial fricative {_V}"),
    "T": ("thin", "dental fricative"),
    "D": ("this", f"dental fricative {_V}"),
    "s": ("sit", "alveolar fricative"),
    "z": ("zoo", f"alveolar fricative {_V}"),
    "S": ("shin", "palatal fricative"),
    "Z": ("leisure", f"palatal fricative {_V}"),
    "C": ("chin", "palatal affricative"),
    "J": ("gin", f"palatal affricative {_V}"),
    # glides and liquids
    "h": ("head", "glottal glide"),
    "w": ("wet", f"labial velar glide {_V}"),
    "*": ("which (wh)", "labial velar glide"),
    "y": ("yet", f"palatal glide {_V}"),
    "l": ("let", f"alveolar liquid {_V}"),
    "r": ("red", f"palatal liquid {_V}"),
    # two sounds on one letter
    "X": ("box (ks)", "velar alveolar stop fricative"),
    "#": ("exact (gz)", f"velar alveolar stop fricative {_V}"),
    "K": ("anxious (kS)", "velar palatal stop fricative"),
    "!": ("pizza (ts)", "alveolar affricative"),
    # syllabic consonants and the r-coloured vowel: the consonant with a mid nucleus
    "L": ("bottle", f"alveolar liquid {_V} medium"),
    "M": ("abysm", f"labial nasal {_V} medium"),
    "N": ("button", f"alveolar nasal {_V} medium"),
    "R": ("bird", f"palatal liquid {_V} medium"),
    # vowels: height, position (front1/2 = labial/dental, ...), tense
    "i": ("Pete", f"high labial tensed {_V}"),
    "I": ("bit", f"high dental {_V}"),
    "e": ("bake", f"medium labial tensed {_V}"),
    "E": ("bet", f"medium dental {_V}"),
    "@": ("bat", f"low dental {_V}"),
    "a": ("father", f"low palatal tensed {_V}"),
    "x": ("about", f"medium alveolar {_V}"),
    "^": ("but", f"low alveolar {_V}"),
    "c": ("bought", f"low glottal tensed {_V}"),
    "o": ("boat", f"medium velar tensed {_V}"),
    "u": ("lute", f"high velar tensed {_V}"),
    "U": ("book", f"high glottal {_V}"),
    # diphthongs and glide + vowel: the union of both parts
    "A": ("bite", f"low palatal high dental tensed {_V}"),
    "W": ("bout", f"low palatal high glottal tensed {_V}"),
    "O": ("boy", f"low glottal high dental tensed {_V}"),
    "Y": ("cute (yu)", f"palatal glide high velar tensed {_V}"),
    "+": ("boudoir (wa)", f"labial velar glide low palatal tensed {_V}"),
    # a letter that makes no sound
    "-": ("knight (k)", "silent elide"),
}
SYMBOLS = "".join(PHONEMES)
VOWELS = "ieE@axI^coUuAWOYR+"  # symbols whose sound is a vowel (diphthongs and the r-coloured vowel included)
STRESS_SYMBOLS = "<>012"  # boundary on the left / right; stress 0, 1, 2 on a nucleus
N_OUT = len(FEATURES) + len(STRESS_SYMBOLS)
assert N_OUT == 26  # the paper's output layer


def phoneme_codes() -> np.ndarray:
    """The 0/1 feature vector of every phoneme: ``(51, 21)``, rows in the order of ``SYMBOLS``."""
    codes = np.zeros((len(PHONEMES), len(FEATURES)))
    for i, (_, feats) in enumerate(PHONEMES.values()):
        for f in feats.split():
            codes[i, FEATURES.index(f)] = 1.0
    return codes


PHONEME_CODES = phoneme_codes()
STRESS_CODES = np.eye(len(STRESS_SYMBOLS))
_P_INDEX = {s: i for i, s in enumerate(SYMBOLS)}
_S_INDEX = {s: i for i, s in enumerate(STRESS_SYMBOLS)}
assert len({tuple(r) for r in PHONEME_CODES}) == len(SYMBOLS)  # every phoneme has its own code


def phoneme_indices(strings) -> np.ndarray:
    """The index in ``SYMBOLS`` of every phoneme of ``strings``, concatenated."""
    try:
        return np.array([_P_INDEX[c] for s in strings for c in s], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"unknown phoneme symbol {exc.args[0]!r}; known: {SYMBOLS}") from None


def stress_indices(strings) -> np.ndarray:
    try:
        return np.array([_S_INDEX[c] for s in strings for c in s], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"unknown stress symbol {exc.args[0]!r}; known: {STRESS_SYMBOLS}") from None


def targets(phonemes, stress) -> np.ndarray:
    """The 26-unit targets ``(26, n_letters)`` of letter-aligned phoneme and stress strings."""
    return np.concatenate([PHONEME_CODES[phoneme_indices(phonemes)], STRESS_CODES[stress_indices(stress)]], axis=1).T


def best_guess(out, codes: np.ndarray) -> np.ndarray:
    """For outputs ``(..., k, m)``, the row of ``codes`` ``(n, k)`` at the smallest angle to each column.

    cos(angle) = <c, a> / (|c| |a|); |a| is the same for every candidate, so the
    largest <c / |c|, a> wins.
    """
    out = to_numpy(out)
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    return np.argmax(np.einsum("nk,...km->...nm", unit, out), axis=-2)


def decode(out) -> tuple[np.ndarray, np.ndarray]:
    """``(phoneme index, stress index)`` for every column of network outputs ``(..., 26, m)``."""
    out = to_numpy(out)
    nf = len(FEATURES)
    return best_guess(out[..., :nf, :], PHONEME_CODES), best_guess(out[..., nf:, :], STRESS_CODES)


def to_strings(indices: np.ndarray, words, alphabet: str = SYMBOLS) -> list[str]:
    """Split a flat index sequence back into one string per word."""
    flat = "".join(alphabet[i] for i in np.asarray(indices).ravel())
    out, at = [], 0
    for w in words:
        out.append(flat[at : at + len(w)])
        at += len(w)
    return out


# --- the data set of one word list ---------------------------------------------------

class Corpus:
    """Words with their windows, targets and true phoneme/stress indices (one column per letter)."""

    def __init__(self, words, phonemes, stress):
        self.words, self.phonemes, self.stress = tuple(words), tuple(phonemes), tuple(stress)
        self.win = windows(self.words)  # (n, 7)
        self.y = targets(self.phonemes, self.stress)  # (26, n)
        self.p_true = phoneme_indices(self.phonemes)
        self.s_true = stress_indices(self.stress)
        lengths = np.array([len(w) for w in self.words])
        ends = np.cumsum(lengths)
        self.columns = [np.arange(e - n, e) for e, n in zip(ends, lengths)]  # the letters of each word

    @classmethod
    def from_lexicon(cls, lexicon) -> "Corpus":
        return cls(lexicon.words, lexicon.phonemes, lexicon.stress)

    def __len__(self) -> int:
        return len(self.words)

    @property
    def n_letters(self) -> int:
        return self.win.shape[0]

    def __repr__(self) -> str:
        return f"Corpus({len(self)} words, {self.n_letters} letters)"

    def x(self, columns=None, dtype="float64"):
        """Input vectors ``(203, m)`` for the letters ``columns`` (all when None)."""
        return one_hot(self.win if columns is None else self.win[columns], dtype)


def load_corpus(which: str = "auto", dictionary_size: int = 20000):
    """``(name, dictionary, training_words)`` for ``which`` = "nettalk", "cmudict" or "auto".

    "nettalk": the NETtalk dictionary and Fahlman's 1000-word list (found in a data
    folder, or downloaded); "cmudict": the ``dictionary_size`` most frequent words
    of CMUdict aligned by EM, the first 1000 as the training list; "auto": NETtalk
    when its files are at hand without a download, CMUdict otherwise.
    """
    from backprop.papers.sejnowski1987 import cmudict_aligned, dictionary as nettalk_data

    if which == "auto":
        which = "nettalk" if nettalk_data.available() else "cmudict"
    if which == "nettalk":
        dictionary, top = nettalk_data.load()
        return "nettalk", dictionary, top
    if which == "cmudict":
        dictionary = cmudict_aligned.load(dictionary_size)
        return "cmudict", dictionary, list(dictionary.words[:1000])
    raise ValueError(f"unknown corpus {which!r}; choose 'nettalk', 'cmudict' or 'auto'")


# --- outputs, scores ---------------------------------------------------------------

def outputs(net: DenseNet, params: dict, corpus: Corpus, layer: int | None = None, chunk: int = 8192) -> np.ndarray:
    """The activations of ``layer`` (default: the output) for every letter, as numpy ``(..., n_l, n)``."""
    layer = net.L if layer is None else layer
    parts = []
    for start in range(0, corpus.n_letters, chunk):
        x = like(corpus.x(np.arange(start, min(start + chunk, corpus.n_letters))), params["W1"])
        _, cache = forward(net, params, x, check=False)
        parts.append(to_numpy(cache["a"][layer]))
    return np.concatenate(parts, axis=-1)


def score(net: DenseNet, params: dict, corpus: Corpus) -> dict:
    """Fractions correct by best guess: phonemes, stresses, both ("letters"), and whole words
    (every letter's phoneme and stress right). With seeds on a leading axis, one value per seed."""
    p, s = decode(outputs(net, params, corpus))
    ok_p, ok_s = p == corpus.p_true, s == corpus.s_true
    wrong = np.cumsum(~(ok_p & ok_s), axis=-1)  # wrong letters so far
    ends = np.cumsum([len(w) for w in corpus.words]) - 1
    per_word = np.diff(wrong[..., ends], axis=-1, prepend=0)  # wrong letters in each word
    return {
        "phonemes": ok_p.mean(-1),
        "stresses": ok_s.mean(-1),
        "letters": (ok_p & ok_s).mean(-1),
        "words": (per_word == 0).mean(-1),
    }


def read_aloud(net: DenseNet, params: dict, words) -> tuple[list, list]:
    """The network's phonemes and stresses (one string each per word) for any words of letters a-z."""
    x = like(one_hot(windows(words)), params["W1"])
    p, s = decode(forward(net, params, x, check=False)[0])
    return to_strings(p, words), to_strings(s, words, STRESS_SYMBOLS)


def hidden_by_correspondence(net: DenseNet, params: dict, corpus: Corpus, min_count: int = 5, layer: int = 1):
    """The mean activation of the hidden ``layer`` for each letter-to-sound correspondence.

    Returns ``(labels, means)``: labels like ``"c→k"`` for every (letter, phoneme)
    pair seen at least ``min_count`` times in ``corpus``, and ``means`` ``(n_pairs, n_hidden)``.
    """
    hidden = outputs(net, params, corpus, layer=layer)  # (n_hidden, n)
    letters = np.array([c for w in corpus.words for c in w])
    sounds = np.array([SYMBOLS[i] for i in corpus.p_true])
    labels, means = [], []
    for pair in sorted(set(zip(letters, sounds))):
        mask = (letters == pair[0]) & (sounds == pair[1])
        if mask.sum() >= min_count:
            labels.append(f"{pair[0]}→{pair[1]}")
            means.append(hidden[:, mask].mean(-1))
    return labels, np.array(means)


# --- training: the 1986 momentum rule with the paper's error margin -----------------

def output_delta_with_margin(a_L, y, df_L, tolerance: float):
    """delta[L] = f'(z[L]) * (a[L] - y), set to 0 where |a[L] - y| < tolerance (no error is sent back
    for an output already within ``tolerance`` of its target: Sejnowski's margin).

    Not :func:`backprop.dense.output_delta`, which seeds the backward pass with a given
    dC/da[L]; this is the half-squared error's delta with the margin applied.
    """
    xp = namespace(a_L)
    err = a_L - y
    return df_L * xp.where(xp.abs(err) < tolerance, xp.zeros_like(err), err)


def train(
    net: DenseNet,
    params: dict,
    corpus: Corpus,
    *,
    passes: float,
    eta: float,
    alpha: float = 0.9,
    tolerance: float = 0.1,
    rng: np.random.Generator,
    velocity: Optional[dict] = None,
    words=None,
    every: Optional[int] = None,
    callback: Optional[Callable] = None,
):
    """Train on ``corpus``, changing the weights after every word; returns ``(params, velocity)``.

    Each pass presents the words (all, or the indices ``words``) in a new random
    order; a word's letters form one batch, whose gradient (summed over its
    letters) makes one step of ``dw(t) = -eta dE/dw + alpha dw(t-1)``, with the
    error of outputs already within ``tolerance`` of their target set to 0.
    ``passes`` may be fractional (the last pass stops part-way). With seeds on a
    leading axis of ``params``, all networks see the same words in the same order.
    ``callback(n, params)`` is called after every ``every`` words (default: after
    every pass), n counting the words presented so far.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    ref = params["W1"]
    y_all = like(corpus.y, ref)  # (26, n)
    chosen = np.arange(len(corpus)) if words is None else np.asarray(words)
    total = int(round(passes * len(chosen)))
    every = every or len(chosen)
    order = np.concatenate([rng.permutation(chosen) for _ in range(int(np.ceil(passes)))])[:total]
    for n, w in enumerate(order, start=1):
        cols = corpus.columns[w]
        x, y = like(corpus.x(cols), ref), y_all[:, cols[0] : cols[-1] + 1]  # (203, letters), (26, letters)
        _, cache = forward(net, params, x, check=False)
        delta_L = output_delta_with_margin(cache["a"][-1], y, cache["df"][-1], tolerance)
        grads = backward(net, params, cache, delta_L)
        params, velocity = momentum_step(params, grads, velocity, eta, alpha)
        if callback is not None and n % every == 0:
            callback(n, params)
    return params, velocity


def perturb(params: dict, amplitude: float, rng: np.random.Generator) -> dict:
    """Damage: every weight and bias plus noise uniform in [-amplitude, amplitude] (drawn by numpy)."""
    return {k: w + like(rng.uniform(-amplitude, amplitude, size=tuple(w.shape)), w) for k, w in params.items()}
