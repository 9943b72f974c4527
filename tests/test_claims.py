"""The claims registry, the run records and the reproduce command: errors that name the file and the field."""

from __future__ import annotations

import io
import json
import textwrap

import pytest

from backprop_book import claims, records, reproduce
from backprop_book.claims import ClaimsError

from .conftest import NOTEBOOK_HEADER, ROOT

NOTEBOOK = NOTEBOOK_HEADER + """
```{code-cell} ipython3
:tags: [parameters]

scale = "smoke"
seed = 0
device = "auto"
metrics_path = ""
value = 3
```

```{code-cell} ipython3
from backprop_book.notebook import record
record(metrics_path, value=value, low=value - 1, high=value + 1, ok=value > 0, n_networks=4)
```
"""

CLAIMS = """\
paper:
  key: demo2000
  title: "A demonstration"
  where: "nowhere, pp. 1-2"
claims:
  - id: value
    where: "p. 1"
    claim: The value is three.
    published: 3
    unit: things
    verified: false
    notebook: notebooks/demo.md
    parameters: {}
    metric: value
    rule: {interval: [low, high]}
    smoke_rule: {holds: ok}
"""


@pytest.fixture
def book(tmp_path):
    """A minimal book: a bibliography, one notebook, one claims file."""
    (tmp_path / "references.bib").write_text("@article{demo2000,\n  title = {A demonstration},\n}\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "demo.md").write_text(NOTEBOOK)
    (tmp_path / "reproductions").mkdir()
    (tmp_path / "reproductions" / "demo.yaml").write_text(CLAIMS)
    return tmp_path


def edit(book, old, new):
    path = book / "reproductions" / "demo.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_every_registered_claims_file_is_valid():
    papers = claims.load_all(ROOT)
    stems = {p.stem for p in papers}
    assert {"rhw1986_pdp", "rhw1986_nature"} <= stems
    pdp = next(p for p in papers if p.stem == "rhw1986_pdp")
    skip = next(c for c in pdp.claims if c.id == "xor_skip_sweeps")
    assert skip.published == 558 and skip.notebook == "notebooks/rhw1986_pdp_xor.md" and skip.verified
    assert skip.full_id == "rhw1986_pdp.xor_skip_sweeps"


def test_a_good_file_loads(book):
    (paper,) = claims.load_all(book)
    assert paper.key == "demo2000" and paper.notebooks() == {"notebooks/demo.md": {}}
    (claim,) = paper.claims
    assert claim.metrics_needed() == ["value", "low", "high"] and claim.metrics_needed(smoke=True) == ["ok"]


@pytest.mark.parametrize("old, new, message", [
    ("    metric: value", "    metirc: value", r"demo.yaml: claims\[0\] \(id value\): unknown field 'metirc'; did you mean 'metric'\?"),
    ("{interval: [low, high]}", "{intervall: [low, high]}", r"claims\[0\] \(id value\).rule: unknown rule 'intervall'; did you mean 'interval'\?"),
    ("{interval: [low, high]}", "{interval: [low]}", r"\.rule: interval needs two metric names"),
    ("{interval: [low, high]}", "{tolerance: 1, at_most: 2}", r"\.rule: a rule is a mapping with exactly one of"),
    ("{holds: ok}", "{relative: -1}", r"\.smoke_rule: relative needs a non-negative number"),
    ("notebooks/demo.md", "notebooks/nowhere.md", r"claims\[0\] \(id value\)\.notebook: notebooks/nowhere\.md does not exist"),
    ("parameters: {}", "parameters: {colour: red}", r"\.parameters: notebooks/demo\.md has no parameter 'colour'"),
    ("parameters: {}", "parameters: {scale: full}", r"\.parameters: 'scale' is set by the runner"),
    ("key: demo2000", "key: demo1999", r"paper\.key: 'demo1999' is not an entry of references\.bib"),
    ("published: 3", "published: three", r"\.published: must be a number, or true"),
    ("published: 3", "published: true", r"\.rule: the rule 'interval' compares with the published value"),
    ("verified: false", "verified: maybe", r"\.verified: must be true or false"),
    ("    unit: things\n", "", None),  # optional: fine without
    ("  where: \"nowhere, pp. 1-2\"\n", "", r"demo\.yaml: paper: missing field\(s\) where"),
    ("claims:", "claimz:", r"top level: unknown field 'claimz'; did you mean 'claims'\?"),
])
def test_mistakes_in_a_claims_file_name_the_file_and_the_field(book, old, new, message):
    path = edit(book, old, new)
    if message is None:
        claims.load(path, book)
        return
    with pytest.raises(ClaimsError, match=message) as info:
        claims.load_all(book)
    assert str(path) in str(info.value)


def test_duplicate_ids_and_bad_yaml(book):
    path = book / "reproductions" / "demo.yaml"
    path.write_text(CLAIMS + textwrap.indent(CLAIMS.split("claims:\n")[1], ""))
    with pytest.raises(ClaimsError, match=r"claims\[1\] \(id value\)\.id: 'value' is used twice"):
        claims.load(path, book)
    path.write_text("paper: [unclosed")
    with pytest.raises(ClaimsError, match="demo.yaml: not valid YAML"):
        claims.load(path, book)


@pytest.mark.parametrize("rule, metrics, expected", [
    ({"tolerance": 0.5}, {"m": 3.4}, True),
    ({"tolerance": 0.5}, {"m": 3.6}, False),
    ({"relative": 0.1}, {"m": 2.75}, True),
    ({"relative": 0.1}, {"m": 3.31}, False),
    ({"interval": ["lo", "hi"]}, {"m": 0, "lo": 2, "hi": 4}, True),
    ({"interval": ["lo", "hi"]}, {"m": 0, "lo": 3.5, "hi": 4}, False),
    ({"at_least": 0.5}, {"m": 0.5}, True),
    ({"at_least": 0.5}, {"m": 0.4}, False),
    ({"at_most": 0.01}, {"m": 0.06}, False),
    ({"holds": "ok"}, {"ok": True}, True),
    ({"holds": "ok"}, {"ok": False}, False),
])
def test_rules(rule, metrics, expected):
    assert claims.evaluate(rule, 3, metrics, "m") is expected


def test_rules_refuse_missing_and_mistyped_metrics():
    with pytest.raises(ClaimsError, match=r"run\.json: metrics: has no metric 'lo'"):
        claims.evaluate({"interval": ["lo", "hi"]}, 3, {"hi": 4}, "m", source="run.json")
    with pytest.raises(ClaimsError, match=r"metrics\.ok: the rule 'holds' needs a boolean, got 1"):
        claims.evaluate({"holds": "ok"}, True, {"ok": 1}, "ok")
    with pytest.raises(ClaimsError, match=r"metrics\.m: must be a finite number, got 'fast'"):
        claims.evaluate({"at_least": 1}, True, {"m": "fast"}, "m")


def test_a_record_has_hardware_versions_and_commit_and_round_trips(tmp_path):
    record = records.make("demo", "notebooks/demo.md", "full", {}, {"value": 3, "n_networks": 4, "backend": "numpy on CPU"},
                          1.5, ROOT, seed=0)
    assert record["networks"] == 4 and record["hardware"]["cores"] >= 1 and record["hardware"]["cpu"]
    assert record["packages"]["numpy"] and len(record["git"]["commit"]) == 40
    path = records.write(tmp_path / "demo.json", record)
    assert records.read(path) == record


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("git"), r"demo\.json: missing field\(s\) git"),
    (lambda r: r.update(seconds="slow"), r"demo\.json: field 'seconds' must be a non-negative number, got 'slow'"),
    (lambda r: r.update(scale="huge"), r"demo\.json: field 'scale' must be 'smoke' or 'full'"),
    (lambda r: r.update(colour="red"), r"demo\.json: unknown field\(s\) colour"),
    (lambda r: r["hardware"].pop("cpu"), r"demo\.json: field 'hardware' must be a mapping with cpu, cores and gpu"),
])
def test_malformed_records_name_the_file_and_the_field(tmp_path, change, message):
    record = records.make("demo", "notebooks/demo.md", "full", {}, {"value": 3}, 1.0, tmp_path)
    change(record)
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ClaimsError, match=message):
        records.read(path)
    path.write_text("{not json")
    with pytest.raises(ClaimsError, match="demo.json: not valid JSON"):
        records.read(path)


def test_the_scoreboard_names_a_record_that_lacks_a_metric(book):
    record = records.make("demo", "notebooks/demo.md", "full", {}, {"value": 3, "low": 2}, 1.0, book)
    path = records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    with pytest.raises(ClaimsError, match=r"records/demo/demo\.json: metrics: has no metric 'high', which demo\.value needs"):
        reproduce.rows(book)
    record["metrics"]["high"] = 4
    records.write(path, record)
    (row,) = reproduce.rows(book)
    assert row.verdict == "holds" and row.our_value == "3 (2-4)" and row.paper_value == "3 things"
    assert "demo.value" in reproduce.table([row]) and "<a href=\"demo.html\">" in reproduce.html_table([row], "t")


@pytest.mark.slow
def test_reproduce_writes_records_and_fails_when_a_claim_stops_holding(book):
    log, out = io.StringIO(), io.StringIO()
    cache = book / "cache"
    assert reproduce.reproduce(book, "smoke", cache_dir=cache, log=log, out=out) == 0
    assert not (book / "reproductions" / "records").exists()  # smoke runs leave no record
    assert reproduce.reproduce(book, "full", cache_dir=cache, log=log, out=out) == 0
    record = records.read(book / "reproductions" / "records" / "demo" / "demo.json")
    assert record["metrics"]["value"] == 3 and record["networks"] == 4 and record["scale"] == "full"
    assert "1 of 1 claims hold" in out.getvalue()

    edit(book, "parameters: {}", "parameters: {value: 10}")  # now the published 3 is outside 9..11
    out = io.StringIO()
    assert reproduce.reproduce(book, "full", cache_dir=cache, log=log, out=out) == 1
    assert "claims that held and no longer hold: demo.value" in out.getvalue()
    assert reproduce.reproduce(book, "full", cache_dir=cache, log=log, out=io.StringIO()) == 0  # a miss that already missed
    with pytest.raises(ClaimsError, match="no claims file for nope"):
        reproduce.reproduce(book, "full", papers=["nope"], cache_dir=cache, log=log)
