"""Verdicts that can say no: censored intervals are inconclusive, facts are not counted,
and a verdict worse than the committed baseline fails every run until it is accepted."""

from __future__ import annotations

import io
import json

import pytest

from backprop_book import claims, cli, records, reproduce

from .test_claims import book, edit  # noqa: F401  (book is a fixture)

FACT = """\
  - id: n
    kind: fact
    where: "p. 2"
    claim: Four networks are trained.
    published: 4
    verified: true
    notebook: notebooks/demo.md
    parameters: {}
    metric: n_networks
    rule: {tolerance: 0}
    registered: {on: 2026-12-01, post_hoc: true}
"""
WITHDRAWN = """\
    withdrawn:
      - rule: {tolerance: 5}
        registered: {on: 2026-11-27, post_hoc: true}
        withdrawn_on: 2026-12-01
        reason: accepts every value from -2 to 8
"""
INTERVAL = {"interval": ["lo", "hi"]}


@pytest.mark.parametrize("published, metrics, expected", [
    (2825, {"m": 3000, "lo": 400, "hi": 3000}, "inconclusive"),  # within, but the 90th percentile is the limit
    (5000, {"m": 3000, "lo": 400, "hi": 3000}, "inconclusive"),  # above a censored top: could be anywhere
    (300, {"m": 3000, "lo": 400, "hi": 3000}, "misses"),         # below the low end: that end is a true value
    (2000, {"m": 3000, "lo": 3000, "hi": 3000}, "misses"),       # below a censored low end: lower still is impossible
    (2825, {"m": 3000, "lo": 400, "hi": 2999}, "inconclusive"),  # the median itself is censored
    (2825, {"m": 1000, "lo": 400, "hi": 2999}, "holds"),         # nothing at the limit
    (3500, {"m": 1000, "lo": 400, "hi": 2999}, "misses"),
])
def test_a_censored_interval_is_inconclusive_unless_the_published_value_is_below_it(published, metrics, expected):
    assert claims.evaluate(INTERVAL, published, {**metrics, "cap": 3000}, "m", limit="cap") == expected


def test_without_a_limit_the_same_numbers_would_hold():
    assert claims.evaluate(INTERVAL, 2825, {"m": 3000, "lo": 400, "hi": 3000}, "m") == "holds"


@pytest.mark.parametrize("rule, measured, expected", [
    ({"factor": 2}, 3000, "inconclusive"),  # at the limit, within a factor of 2 of 2000: the truth may be higher
    ({"factor": 1.2}, 3000, "misses"),      # already above 2400: higher still misses too
    ({"tolerance": 100}, 3000, "misses"),
    ({"at_least": "published"}, 3000, "holds"),  # a lower bound that already reaches it
    ({"at_most": "published"}, 3000, "misses"),
])
def test_a_censored_measurement_is_a_lower_bound(rule, measured, expected):
    assert claims.evaluate(rule, 2000, {"m": measured, "cap": 3000}, "m", limit="cap") == expected
    assert claims.evaluate(rule, 4000, {"m": measured, "cap": 3000}, "m", limit="cap") in ("inconclusive", "holds")


def test_a_share_rule_counts_the_networks_that_reach_the_published_count():
    rule = {"share": {"metric": "right", "at_least": 0.25}}
    right = [4, 3, 4, 2, 0, 4, 1, 3, 3, 2]  # three of ten get all four
    assert claims.share_of(right, 4) == 0.3
    assert claims.evaluate(rule, 4, {"right": right}, "right") == "holds"
    assert claims.evaluate({"share": {"metric": "right", "at_least": 0.5}}, 4, {"right": right}, "right") == "misses"
    assert claims.evaluate(rule, 12, {"right": right}, "right") == "misses"  # the published count x3: nobody reaches it


def test_worse_is_holds_then_inconclusive_then_misses_then_not_run():
    order = ["holds", "inconclusive", "misses", "not run"]
    assert [claims.worse(b, a) for a, b in zip(order, order[1:])] == [True] * 3
    assert not claims.worse("holds", "misses") and not claims.worse("misses", "misses")
    worse, better = reproduce.compare({"a": "misses", "b": "holds", "c": "holds", "new": "misses"},
                                      {"a": "holds", "b": "inconclusive", "c": "holds", "gone": "holds"})
    assert worse == [("a", "holds", "misses")] and better == [("b", "inconclusive", "holds")]


def _record(book, **change):
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3, "low": 2, "high": 4, "ok": True, "n_networks": 4}, "seconds": 1.0}], book)
    record.update(change)
    return records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)


def test_the_scoreboard_counts_falsifiable_claims_and_shows_facts_apart(book):
    edit(book, "    smoke_rule: {holds: ok}\n", "    smoke_rule: {holds: ok}\n" + FACT)
    _record(book)
    board = reproduce.rows(book)
    assert [(r.claim.full_id, r.verdict, r.state) for r in board] == [("demo.value", "holds", "current"), ("demo.n", "holds", "current")]
    assert reproduce.headline(board) == "1 hold, 0 miss, 0 inconclusive of 1 falsifiable claims"
    assert reproduce.counts(board)["facts"] == 1 and reproduce.counts(board)["facts_hold"] == 1
    text = reproduce.table(board)
    assert text.index("demo.value") < text.index("facts the code asserts") < text.index("demo.n")
    facts = reproduce.facts_table(board)
    assert "demo.n" in facts and "demo.value" not in facts
    assert "post hoc" in reproduce.table(board).splitlines()[-1]  # the fact's rule was set after the runs


def test_post_hoc_rules_and_withdrawn_rules_are_shown(book):
    edit(book, "post_hoc: false}", "post_hoc: true}\n" + WITHDRAWN)
    _record(book)
    board = reproduce.rows(book)
    html = reproduce.html_table(board, "t")
    assert "<strong>post hoc</strong>" in html and "replaces 1 withdrawn rule" in html
    (claim, old), = reproduce.withdrawn(board)
    assert claim.full_id == "demo.value" and old.rule == {"tolerance": 5}
    listed = reproduce.withdrawn_table(board)
    assert "accepts every value from -2 to 8" in listed and "{&quot;tolerance&quot;: 5}" in listed and "2026-11-27, post hoc" in listed


def test_a_stale_record_is_flagged(book):
    _record(book, source_hash="0" * 64)
    (row,) = reproduce.rows(book)
    assert row.state == "stale" and "stale record" in reproduce.html_table([row], "t")
    assert reproduce.counts([row])["stale"] == 1
    record = json.loads(records.path_for(book, "demo", "notebooks/demo.md").read_text())
    del record["source_hash"]
    records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    (row,) = reproduce.rows(book)
    assert row.state == "stale: unknown" and "predates source hashes" in reproduce.html_table([row], "t")


def test_a_censored_claim_is_inconclusive_on_the_scoreboard(book):
    edit(book, "    smoke_rule:", "    limit: high\n    smoke_rule:")
    _record(book)
    (row,) = reproduce.rows(book)
    assert row.verdict == "inconclusive" and row.our_value == "3 things (2-≥4)"
    assert reproduce.headline([row]) == "0 hold, 0 miss, 1 inconclusive of 1 falsifiable claims"


def test_a_share_claim_shows_the_fraction_that_reaches_the_published_count(book):
    edit(book, "published: 3", "published: 4")
    edit(book, "{interval: [low, high]}", "{share: {metric: counts, at_least: 0.5}}")
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3, "counts": [4, 4, 3, 0]}, "seconds": 1.0}], book)
    records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    (row,) = reproduce.rows(book)
    assert row.verdict == "holds" and row.our_value == "50% of 4 networks reach it (needs 50%)"


def test_accept_is_refused_at_smoke_scale(book, monkeypatch, capsys):
    (book / "_config.yml").write_text("title: demo\n")
    (book / "_toc.yml").write_text("root: notebooks/demo\n")
    monkeypatch.chdir(book)
    assert cli.main(["reproduce", "--scale", "smoke", "--accept"]) == 1
    assert "a smoke run has none" in capsys.readouterr().err


@pytest.mark.slow
def test_a_worse_verdict_fails_every_run_until_it_is_accepted(book):
    log, cache = io.StringIO(), book / "cache"
    baseline = book / "reproductions" / "verdicts.json"

    def run(scale="full", accept=False):
        out = io.StringIO()
        status = reproduce.reproduce(book, scale, cache_dir=cache, accept=accept, log=log, out=out)
        return status, out.getvalue()

    assert run("smoke")[0] == 0
    assert not (book / "reproductions" / "records").exists() and not baseline.exists()  # smoke: no record, no baseline
    status, out = run()
    assert status == 0 and "1 hold, 0 miss, 0 inconclusive of 1 falsifiable claims" in out and "no baseline yet" in out
    assert not baseline.exists()  # only --accept writes it
    assert run(accept=True)[0] == 0
    assert json.loads(baseline.read_text()) == {"demo.value": "holds"}
    record = records.path_for(book, "demo", "notebooks/demo.md")
    assert records.read(record)["metrics"]["value"] == 3 and records.read(record)["source_hash"] == records.tree_hash(book / "notebooks/demo.md")

    edit(book, "published: 3", "published: 30")  # now outside our 2..4
    for _ in range(2):  # the first run and the next: it does not heal itself
        record.unlink()
        status, out = run()
        assert status == 1 and "worse than the baseline (reproductions/verdicts.json): demo.value (holds -> misses)" in out
        assert record.is_file()  # the record is written all the same
    before = baseline.read_text()
    assert run("smoke")[0] == 0 and baseline.read_text() == before  # smoke runs leave the baseline alone

    status, out = run(accept=True)
    assert status == 0 and "baseline written" in out and json.loads(baseline.read_text()) == {"demo.value": "misses"}
    assert run()[0] == 0
    edit(book, "published: 30", "published: 3")
    status, out = run()
    assert status == 0 and "better than the baseline (reproductions/verdicts.json): demo.value (misses -> holds)" in out
    with pytest.raises(claims.ClaimsError, match="no claims file for nope"):
        reproduce.reproduce(book, "full", papers=["nope"], cache_dir=cache, log=log)
