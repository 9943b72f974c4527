"""Seeds as an axis: the registry's seed counts, a record's summary over seeds, the verdicts per
seed ("holds in k of K", fragile), the spread on a page, and progress that stays off the page."""

from __future__ import annotations

import io
import json
import textwrap

import pytest

from backprop import progress
from backprop_book import claims, records, reproduce, runner, spread

from .conftest import NOTEBOOK_HEADER as HEADER
from .conftest import ROOT
from .test_claims import book, edit  # noqa: F401  (book is a fixture)


def test_every_registered_notebook_runs_at_least_five_seeds_and_td_gammon_three():
    for paper in claims.load_all(ROOT):
        for notebook in paper.notebooks():
            least = 3 if paper.stem == "tesauro1992" else 5
            assert paper.seeds_of(notebook) >= least, (paper.stem, notebook)


def test_a_bad_seed_count_in_a_claims_file_is_named(book):
    path = book / "reproductions" / "demo.yaml"
    path.write_text("seeds: 0\n" + path.read_text())
    with pytest.raises(claims.ClaimsError, match=r"demo\.yaml: seeds: must be a positive number of seeds, got 0"):
        claims.load_all(book)
    path.write_text(path.read_text().replace("seeds: 0\n", "seeds: {notebooks/other.md: 3}\n"))
    with pytest.raises(claims.ClaimsError, match=r"seeds\.notebooks/other\.md: no claim names this notebook"):
        claims.load_all(book)


def _runs(values, **more):
    return [{"seed": s, "metrics": {"value": v, **{k: m[s] for k, m in more.items()}}, "seconds": 1.0} for s, v in enumerate(values)]


def test_the_summary_is_the_median_the_majority_and_the_pooled_networks():
    summary, spread_ = records.summarise(_runs([1, 5, 3], ok=[True, False, True], counts=[[4], [3, 4], [0]],
                                               curve=[[1, 2], [3, 4], [5, 0]]), pooled={"counts"})
    assert summary == {"value": 3, "ok": True, "counts": [4, 3, 4, 0], "curve": [3, 2]}
    assert spread_ == {"value": [1, 5]}
    with pytest.raises(claims.ClaimsError, match="seed 1 has other metrics than seed 0: extra"):
        records.summarise([{"seed": 0, "metrics": {"a": 1}}, {"seed": 1, "metrics": {"a": 1, "extra": 2}}])


def test_a_claim_is_judged_on_the_seeds_and_marked_fragile_when_they_disagree(book):
    # demo.value: published 3, rule interval [low, high]
    record = records.make("demo", "notebooks/demo.md", "full", {},
                          _runs([3, 3, 3, 3, 3], low=[2, 2, 4, 2, 2], high=[4, 4, 5, 4, 4]), book)
    records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    (row,) = reproduce.rows(book)
    assert (row.verdict, row.held, row.of, row.fragile) == ("holds", 4, 5, True)
    assert row.seeds_text == "holds in 4 of 5 seeds (fragile)"
    assert "1 fragile: their seeds disagree" in reproduce.headline([row])
    assert "4/5 fragile" in reproduce.table([row])
    record = records.make("demo", "notebooks/demo.md", "full", {}, _runs([3, 3, 3], low=[4, 4, 2], high=[5, 5, 4]), book)
    records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    (row,) = reproduce.rows(book)
    assert (row.verdict, row.held, row.of) == ("misses", 1, 3)  # the median's low is 4: the paper's 3 is outside


def test_a_record_keeps_every_seed_and_checks_they_match(book, tmp_path):
    record = records.make("demo", "notebooks/demo.md", "full", {}, _runs([1, 2]), book)
    assert record["seeds"] == [0, 1] and [r["metrics"]["value"] for r in record["runs"]] == [1, 2]
    record["seeds"] = [0, 2]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record))
    with pytest.raises(claims.ClaimsError, match=r"runs: their seeds \[0, 1\] are not the record's seeds \[0, 2\]"):
        records.read(path)
    record["seeds"] = [0, 0]
    path.write_text(json.dumps(record))
    with pytest.raises(claims.ClaimsError, match="seeds' must be a non-empty list of distinct"):
        records.read(path)


def test_the_page_gets_the_spread_over_the_seeds_from_the_record(book):
    assert "No full-scale record yet" in spread.section(book, "notebooks/demo.md")
    record = records.make("demo", "notebooks/demo.md", "full", {}, _runs([2.5, 3.5, 3.0], low=[2, 2, 2], high=[4, 4, 4]), book)
    records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    text = spread.section(book, "notebooks/demo.md")
    assert "holds 3 seeds (0, 1, 2)" in text and "| demo.value | `value` | 3 | 2.5 - 3.5 | 3 of 3: holds |" in text
    assert "Every other number" in text and "| `low` | 2 | 2 - 2 |" in text
    assert spread.section(book, "notebooks/unknown.md") is None


def test_staleness_follows_only_the_code_the_notebook_reaches():
    xor = ROOT / "notebooks" / "rhw1986_pdp_xor.md"
    sources = {p.relative_to(ROOT / "lib").as_posix() for p in records.metric_sources(xor)}
    assert "backprop/dense.py" in sources and "backprop_book/notebook.py" in sources
    assert not any(s.startswith("backprop/papers/tesauro1992") for s in sources)  # another paper's package
    assert "backprop_book/reproduce.py" not in sources  # presentation


def test_a_loop_inside_a_run_reports_to_a_file_not_to_the_page(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("BACKPROP_PROGRESS_FILE", str(path))
    bar = progress.progress_bar(10, desc="games")
    for _ in range(10):
        bar.update()
    bar.close()
    state = json.loads(path.read_text())
    assert (state["desc"], state["n"], state["total"]) == ("games", 10, 10)


PROSE = """
```{code-cell} ipython3
:tags: [parameters]

scale = "smoke"
metrics_path = ""
```

The first words.

```{code-cell} ipython3
from backprop_book.notebook import record
import time
record(metrics_path, stamp=time.time_ns())
```
"""


@pytest.mark.slow
def test_an_edit_of_the_prose_or_tags_reuses_the_run_and_shows_the_new_text(tmp_path):
    path = tmp_path / "nb.md"
    path.write_text(HEADER + textwrap.dedent(PROSE))
    cells = []
    first = runner.run_notebook(path, {}, tmp_path / "c", log=io.StringIO(), on_cell=lambda i, n, s: cells.append((i, n)))
    assert cells == [(1, 3), (2, 3), (3, 3)]  # each code cell (papermill's parameters among them) as it starts
    path.write_text(path.read_text().replace("The first words.", "Other words."))
    again = runner.run_notebook(path, {}, tmp_path / "c", log=io.StringIO())
    assert again.cached and again.metrics == first.metrics
    assert "Other words." in again.notebook.read_text() and "The first words." not in again.notebook.read_text()
    path.write_text(path.read_text().replace("time.time_ns()", "time.time_ns() + 1"))
    assert not runner.run_notebook(path, {}, tmp_path / "c", log=io.StringIO()).cached  # code: a new run
