"""The chapters on the mathematics and the history: every notebook runs at smoke scale and what it measured holds.

The notebooks run with the parameters the book build uses (``scale="smoke"``)
and in the session's shared cache, so ``test_the_book_builds_at_smoke_scale``
reuses these runs. The checks on the chapters' sources (equations labelled and
referenced, glossary terms defined, the history's data file consistent) need
no execution and are not marked slow.
"""

from __future__ import annotations

import re

import pytest
import yaml

from backprop_book import build as book
from backprop_book.runner import run_notebook

from .conftest import ROOT

CHAPTERS = ["overview", "matrix_form", "intuition", "chain_rule", "loss_functions",
            "activations", "second_order", "history", "amari1967"]


@pytest.fixture(scope="session")
def metrics(cache_dir):
    """The metrics of a chapter notebook, executed once per session at smoke scale."""
    done = {}

    def get(name: str) -> dict:
        if name not in done:
            result = run_notebook(ROOT / "notebooks" / f"{name}.md", {"scale": "smoke"}, cache_dir / "_build" / "executed")
            done[name] = result.metrics
        return done[name]

    return get


def _source(name: str) -> str:
    return (ROOT / "notebooks" / f"{name}.md").read_text()


# ---- the sources: no execution needed ------------------------------------------------


def test_every_chapter_is_in_the_table_of_contents():
    listed = {p.stem for p in book.notebooks(ROOT)}
    assert set(CHAPTERS) <= listed
    assert "book/glossary" in book.toc_files(ROOT)


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_equation_is_labelled_and_referenced(name):
    text = _source(name)
    every = set()
    for c in CHAPTERS:
        every |= set(re.findall(r"\{eq\}`([^`]+)`", _source(c)))
    fences = re.findall(r"^\$\$.*$", text, flags=re.M)      # display math is written $$ ... $$ (label)
    assert "```{math}" not in text and len(fences) % 2 == 0
    closers = fences[1::2]
    for closer in closers:
        label = re.fullmatch(r"\$\$ \(([\w-]+)\)", closer)
        assert label, f"{name}: a display equation without a label ({closer!r})"
        assert label.group(1) in every, f"{name}: equation {label.group(1)} is never referenced"


def test_the_chain_rule_chapter_has_the_five_equations_in_order():
    labels = re.findall(r"^\$\$ \(([\w-]+)\)$", _source("chain_rule"), flags=re.M)
    assert labels[:5] == ["chain-logistic", "chain-weight-gradient", "chain-delta-output",
                          "chain-delta-hidden", "chain-update"]


def test_every_glossary_term_used_is_defined():
    glossary = (ROOT / "book" / "glossary.md").read_text()
    block = glossary.split("```{glossary}")[1].split("```")[0]
    terms = {line.strip().lower() for line in block.splitlines() if line and not line.startswith(" ")}
    for name in CHAPTERS:
        for role in re.findall(r"\{term\}`([^`]+)`", _source(name)):
            target = re.fullmatch(r".*<(.+)>", role)
            term = (target.group(1) if target else role).lower()   # Sphinx matches terms case-insensitively
            assert term in terms, f"{name}: undefined term {role!r}"


def test_the_history_data_file():
    events = yaml.safe_load((ROOT / "book" / "history_events.yaml").read_text())
    bib = set(re.findall(r"@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text()))
    toc = set(book.toc_files(ROOT))
    for e in events:
        assert set(e) <= {"date", "until", "event", "people", "ref", "doc", "note"}, e
        assert isinstance(e["date"], int) and e["event"] and isinstance(e["people"], list)
        assert e["ref"] == "" or e["ref"] in bib, f"{e['ref']} is not in references.bib"
        if e["doc"]:
            assert (ROOT / f"{e['doc']}.md").is_file(), f"{e['doc']} does not exist"
            assert e["doc"] in toc, f"{e['doc']} is not in _toc.yml"
    years = {e["date"] for e in events}
    # every dated event of the article's history
    assert {1676, 1951, 1960, 1961, 1962, 1967, 1969, 1970, 1971, 1973, 1981, 1982, 1985, 1986,
            1987, 1989, 1992, 1993, 2000, 2010, 2023} <= years
    refs = {e["ref"] for e in events}
    assert {"kelley1960", "bryson1961", "dreyfus1962", "dreyfus1973", "rosenblatt1962", "amari1967",
            "bryson1969", "pontryagin1962", "robbins1951", "linnainmaa1970", "werbos1974", "werbos1982",
            "parker1985", "rumelhart1986nature", "lecun1987these", "sejnowski1987nettalk",
            "pomerleau1989alvinn", "lecun1989backprop", "tesauro1992practical", "wan1993",
            "pai2023photonic"} <= refs



def test_every_source_of_the_article_is_in_the_bibliography_and_every_entry_is_cited():
    """references.bib maps the Wikipedia article's numbered references to keys (a comment block,
    with the revision read); each such key is an entry, and every entry is cited by a page."""
    text = (ROOT / "references.bib").read_text()
    bib = set(re.findall(r"@\w+\{([^,\s]+),", text))
    mapping = text[text.index("Article reference -> key:"):text.index("% The article's Further reading")]
    mapping = "\n".join(line for line in mapping.splitlines() if line.startswith("%"))
    article = dict(re.findall(r"(\d+(?:, \d+)?) ([a-z][a-z0-9]+)", mapping))
    numbers = {int(n) for key in article for n in key.split(", ")}
    assert numbers == set(range(1, 52)), f"the mapping misses the article's references {sorted(set(range(1, 52)) - numbers)}"
    assert set(article.values()) <= bib, f"article sources without an entry: {sorted(set(article.values()) - bib)}"
    pages = [*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.md")]
    cited = set()
    for page in pages:
        for keys in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", page.read_text()):
            cited |= {k.strip() for k in keys.split(",")}
    assert cited <= bib, f"cited but not in references.bib: {sorted(cited - bib)}"
    assert bib <= cited, f"in references.bib but cited nowhere: {sorted(bib - cited)}"

# ---- the executed notebooks ------------------------------------------------------------


@pytest.mark.slow
def test_chain_rule_equations_1_to_5_hold(metrics):
    m = metrics("chain_rule")
    for i in range(1, 6):
        assert m[f"chain_eq{i}_holds"] is True, f"Eq. {i} does not hold: {m[f'chain_eq{i}_error']}"
    assert m["chain_eq1_error"] < 1e-9 and max(m[f"chain_eq{i}_error"] for i in range(2, 6)) < 1e-10
    assert m["chain_small_eta_ratio"] == pytest.approx(1, abs=1e-3)   # gradient descent is first-order right
    assert m["chain_first_increase_eta"] > 1


@pytest.mark.slow
def test_matrix_form_agrees_with_library_and_autograd(metrics):
    m = metrics("matrix_form")
    assert m["matrix_form_library_agrees"] and m["matrix_form_autograd_agrees"] and m["matrix_form_product_agrees"]
    assert m["matrix_form_largest_error"] < 1e-12
    assert m["matrix_form_speedup"] > 1   # matrix-matrix products cost more than matrix-vector ones


@pytest.mark.slow
def test_overview(metrics):
    m = metrics("overview")
    assert m["overview_sum_matches_batch"] is True
    assert m["overview_n_components"] == 2 * 8 + 8 + 8 + 1
    assert m["overview_final_sgd16"] < m["overview_final_gd"]
    assert m["overview_flop_ratio"] == pytest.approx(2.2533, abs=1e-3)
    assert m["overview_backward_ratio"] > 0


@pytest.mark.slow
def test_intuition(metrics):
    m = metrics("intuition")
    assert m["intuition_trough_conserves_difference"] is True
    assert m["intuition_final_sum"] < 1e-6
    assert m["intuition_distance"] < 0.5
    assert m["intuition_condition"] == pytest.approx((7 + 3 * 5**0.5) / 2)   # eigenvalues of [[2, 1], [1, 1]]


@pytest.mark.slow
def test_loss_functions(metrics):
    m = metrics("loss_functions")
    assert m["loss_costs_agree"] is True and m["loss_coupled_gradient_check"] < 1e-8
    assert m["loss_average_is_unbiased"] is True and m["loss_coupled_is_biased"] is True
    assert m["loss_naive_error"] > 1e-3 and m["loss_repaired_error"] < 1e-8
    assert m["loss_saturated_ratio"] > 100


@pytest.mark.slow
def test_activations(metrics):
    m = metrics("activations")
    assert m["act_derivatives_agree"] is True
    assert (m["act_relu_left"], m["act_relu_right"], m["act_relu_library"]) == (0.0, 1.0, 0.0)
    assert m["act_relu_central"] == pytest.approx(0.5)
    assert m["act_max_logistic_slope"] == pytest.approx(0.25)
    for name in ("logistic", "tanh", "relu", "swish", "mish"):
        assert 0 < m[f"act_final_{name}"] < 1 and 0 <= m[f"act_accuracy_{name}"] <= 1


@pytest.mark.slow
def test_second_order(metrics):
    m = metrics("second_order")
    assert m["so_jacobian_agrees"] is True
    for key in ("xor", "enc"):
        assert m[f"so_{key}_lm_solved"] > 0
        first = [m[f"so_{key}_{k}_median_iterations"] for k in ("gd", "mom") if m[f"so_{key}_{k}_solved"] > 0]
        assert first and m[f"so_{key}_lm_median_iterations"] < min(first)
    assert m["so_rel_trained"] < 1e-4 < m["so_rel_initial"]    # J.T J is the Hessian at a fit with small residuals
    assert m["so_rel_trained_hard"] > 0.1                      # ... but not on saturating 0/1 targets
    assert m["so_fisher_error"] < 0.3


@pytest.mark.slow
def test_history(metrics):
    m = metrics("history")
    assert m["history_all_refs_known"] is True
    assert m["history_first_year"] == 1676 and m["history_last_year"] == 2023
    assert m["history_n_events"] >= 25 and m["history_n_linked"] >= 5


@pytest.mark.slow
def test_amari_multilayer_net_beats_every_line(metrics):
    m = metrics("amari1967")
    assert m["amari_perceptron_below_line"] is True
    assert m["amari_linear_limit"] < 0.9
    assert m["amari_mlp_median_accuracy"] > m["amari_linear_limit"]
    assert m["amari_fraction_beating_line"] >= 0.5


@pytest.mark.slow
def test_learning_through_time(metrics):
    m = metrics("learning_through_time")
    assert m["ltt_state_gap"] < 1e-12 and m["ltt_copy_gap"] < 1e-12 and m["ltt_sum_gap"] < 1e-12
    assert m["ltt_copy_norm_first"] == 0 < m["ltt_copy_norm_min"]          # h0 = 0: the first copy's term is 0
    assert m["ltt_max_rel_engine"] < 1e-9 and m["ltt_max_rel_autograd"] < 1e-9 and m["ltt_max_rel_differences"] < 1e-6
    assert m["ltt_flop_count_gap"] < 1e-12 and 2 < m["ltt_flop_ratio_min"] <= m["ltt_flop_ratio_max"] < 3
    assert 0 < m["ltt_ratio_min"] <= m["ltt_ratio_max"]
    assert m["ltt_radius_check"] < 1e-9 and m["ltt_linear_factor_error"] < 0.05
    linear, tanh = m["ltt_factors_linear"], m["ltt_factors_tanh"]
    assert linear[0] < 1 < linear[-1] and tanh[0] < linear[0]             # vanishing below 1, exploding above
