"""The training sets of the Nature paper (Rumelhart, Hinton & Williams 1986), as data.

Examples are columns, as in :mod:`backprop.papers.rhw1986_pdp.tasks`, whose
``all_bit_patterns`` this module shares. Where the paper gives a size, it is an
assert next to the code that builds the set.

Source: "Learning representations by back-propagating errors", Nature
323:533-536 (mirror symmetry, Fig. 1; family trees, Figs. 2-4).

Non-goals: no training here.
"""

from __future__ import annotations

import numpy as np

from backprop.papers.rhw1986_pdp.tasks import all_bit_patterns


def symmetry(n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Mirror symmetry (Nature Fig. 1): output 1 when the ``n`` inputs read the same from both ends."""
    x = all_bit_patterns(n)
    assert x.shape == (6, 64) or n != 6  # "all 64 possible input vectors"
    y = np.all(x == x[::-1], axis=0, keepdims=True).astype(float)
    return x, y


# The family trees of Hinton (1986) and the Nature paper's Fig. 2: two isomorphic
# families; PEOPLE[i + 12] is the Italian counterpart of the English PEOPLE[i].
ENGLISH = ["Christopher", "Penelope", "Andrew", "Christine", "Margaret", "Arthur",
           "Victoria", "James", "Jennifer", "Charles", "Colin", "Charlotte"]
ITALIAN = ["Roberto", "Maria", "Pierro", "Francesca", "Gina", "Emilio",
           "Lucia", "Marco", "Angela", "Tomaso", "Alfonso", "Sophia"]
PEOPLE = ENGLISH + ITALIAN
RELATIONS = ["father", "mother", "husband", "wife", "son", "daughter",
             "uncle", "aunt", "brother", "sister", "nephew", "niece"]

# One family, by position in ENGLISH: the couples (husband, wife) and the children of each couple.
_MALE = {0, 2, 5, 7, 9, 10}
_COUPLES = [(0, 1), (2, 3), (5, 4), (7, 6), (9, 8)]
_CHILDREN = {(0, 1): [5, 6], (2, 3): [7, 8], (7, 6): [10, 11]}


def _family_relations() -> dict[tuple[int, str], set[int]]:
    """``(person, relation) -> {the people who stand in that relation to them}`` within one family."""
    facts: dict[tuple[int, str], set[int]] = {}

    def add(p, relation, q):
        facts.setdefault((p, relation), set()).add(q)

    parents_of = {c: couple for couple, kids in _CHILDREN.items() for c in kids}
    spouse = {h: w for h, w in _COUPLES} | {w: h for h, w in _COUPLES}
    for h, w in _COUPLES:
        add(h, "wife", w)
        add(w, "husband", h)
    for (f, m), kids in _CHILDREN.items():
        for c in kids:
            add(c, "father", f)
            add(c, "mother", m)
            for parent in (f, m):
                add(parent, "son" if c in _MALE else "daughter", c)
            for s in kids:
                if s != c:
                    add(c, "brother" if s in _MALE else "sister", s)
    for c, (f, m) in parents_of.items():
        for parent in (f, m):  # the parents' siblings and the siblings' spouses
            grand = parents_of.get(parent)
            siblings = [s for s in _CHILDREN.get(grand, []) if s != parent]
            for s in siblings:
                for relative in (s, spouse.get(s)):
                    if relative is None:
                        continue
                    add(c, "uncle" if relative in _MALE else "aunt", relative)
                    add(relative, "nephew" if c in _MALE else "niece", c)
    return facts


def family_trees() -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, list[str]]]]:
    """Hinton's kinship task: ``x`` (36, 104), ``y`` (24, 104) and the cases in words.

    Each column is one question "person 1, relation": a one-hot person (24 units)
    stacked on a one-hot relation (12 units); the target has a 1 for every
    correct person 2 (Colin has two aunts, so that column has two).
    """
    one = _family_relations()
    cases = []
    for offset in (0, 12):  # the English family, then the isomorphic Italian one
        for (p, relation), answers in sorted(one.items(), key=lambda kv: (kv[0][0], RELATIONS.index(kv[0][1]))):
            cases.append((p + offset, RELATIONS.index(relation), sorted(q + offset for q in answers)))
    m = len(cases)
    assert m == 104  # the 104 "triples" of the Nature paper (p. 534)
    x = np.zeros((36, m))
    y = np.zeros((24, m))
    for i, (p, r, answers) in enumerate(cases):
        x[p, i] = 1
        x[24 + r, i] = 1
        y[answers, i] = 1
    words = [(PEOPLE[p], RELATIONS[r], [PEOPLE[q] for q in answers]) for p, r, answers in cases]
    return x, y, words
