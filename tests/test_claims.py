"""The claims registry, the run records and the reproduce command: errors that name the file and the field."""

from __future__ import annotations

import io
import json
import textwrap

import pytest

from backprop.backend import get_backend
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
    registered: {on: 2026-12-01, post_hoc: false}
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


def edit(book, old, new, count=-1):
    path = book / "reproductions" / "demo.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))
    return path


def test_a_good_file_loads(book):
    (paper,) = claims.load_all(book)
    assert paper.key == "demo2000" and paper.notebooks() == {"notebooks/demo.md": {}}
    (claim,) = paper.claims
    assert claim.metrics_needed() == ["value", "low", "high"] and claim.metrics_needed(smoke=True) == ["ok"]
    assert claim.kind == "number" and claim.falsifiable and claim.withdrawn == () and claim.source_read == ""
    assert claim.registered == claims.Registered(on="2026-12-01", post_hoc=False, commit=None)


WITHDRAWN = """\
    withdrawn:
      - rule: {relative: 1.0}
        registered: {on: 2026-11-27, post_hoc: true}
        withdrawn_on: 2026-12-01
        reason: "accepts anything from 0 to twice the published value"
"""


def test_withdrawn_rules_are_kept_as_written_with_their_reason(book):
    edit(book, "    smoke_rule:", WITHDRAWN + "    smoke_rule:")
    edit(book, "post_hoc: false}", "commit: 47cca91, post_hoc: false}\n    source_read: \"p. 1 of the scan\"")
    (paper,) = claims.load_all(book)
    (claim,) = paper.claims
    (old,) = claim.withdrawn
    assert old.rule == {"relative": 1.0} and old.withdrawn_on == "2026-12-01" and old.registered.post_hoc
    assert old.reason == "accepts anything from 0 to twice the published value"
    assert claim.registered.commit == "47cca91" and claim.source_read == "p. 1 of the scan"


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
    # pre-registration
    ("    registered: {on: 2026-12-01, post_hoc: false}\n", "", r"claims\[0\] \(id value\): missing field\(s\) registered"),
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-12-01}", r"\.registered: missing field\(s\) post_hoc"),
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-13-01, post_hoc: false}", r"\.registered\.on: must be a date YYYY-MM-DD"),
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-12-01, post_hoc: maybe}", r"\.registered\.post_hoc: must be true .* or false"),
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-12-01, post_hoc: yes}", r"\.registered\.post_hoc: must be true"),  # YAML 1.2: yes is a string
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-12-01, post_hoc: false, commit: 1234567}", r"\.registered\.commit: must be 7 to 40"),
    ("{on: 2026-12-01, post_hoc: false}", "{on: 2026-12-01, posthoc: false}", r"\.registered: unknown field 'posthoc'; did you mean 'post_hoc'\?"),
    ("    registered:", "    withdrawn: [{rule: {tolerance: 1}, registered: {on: 2026-11-01, post_hoc: true}, withdrawn_on: 2026-12-01}]\n    registered:",
     r"\.withdrawn\[0\]: missing field\(s\) reason"),
    ("    registered:", "    withdrawn: [{rule: {tolerence: 1}, registered: {on: 2026-11-01, post_hoc: true}, withdrawn_on: 2026-12-01, reason: x}]\n    registered:",
     r"\.withdrawn\[0\]\.rule: unknown rule 'tolerence'; did you mean 'tolerance'\?"),
    ("    registered:", "    source_read: \"\"\n    registered:", r"\.source_read: must say in a non-empty string"),
    # kinds
    ("    where: \"p. 1\"", "    kind: fakt\n    where: \"p. 1\"", r"\.kind: must be one of number, fact, got 'fakt'; did you mean 'fact'\?"),
    ("    where: \"p. 1\"", "    kind: fact\n    where: \"p. 1\"", r"\.rule: a fact \(a count the code asserts\) is checked exactly: \{tolerance: 0\}"),
    # rules that can miss
    ("{interval: [low, high]}", "{relative: 1.0}", r"\.rule: relative needs 0 <= r < 1 .* use \{factor: f\}"),
    ("{interval: [low, high]}", "{factor: 1}", r"\.rule: factor needs a number f > 1"),
    ("published: 3", "published: -3", None),
    ("{interval: [low, high]}", "{at_least: 2}", r"demo\.yaml: claims\[0\] \(id value\)\.rule: at_least: on a numeric claim the bound is the word published"),
    ("{interval: [low, high]}", "{at_most: 4}", r"\.rule: at_most: on a numeric claim the bound is the word published"),
    ("{interval: [low, high]}", "{at_least: publishd}", r"\.rule: at_least needs a number or the word published, got 'publishd'"),
    ("{interval: [low, high]}", "{holds: ok}", r"\.rule: holds is for qualitative claims \(published: true\)"),
    ("{interval: [low, high]}", "{share: {metric: low, at_least: 0}}", r"\.rule\.share\.at_least: must be a fraction 0 < t <= 1"),
    ("{interval: [low, high]}", "{share: {metrc: low, at_least: 0.5}}", r"\.rule\.share: unknown field 'metrc'; did you mean 'metric'\?"),
    ("{interval: [low, high]}", "{share: [low, 0.5]}", r"\.rule\.share: must be a mapping with metric, at_least"),
    ("{holds: ok}", "{at_most: 4}", None),  # a smoke rule is a sanity check: any rule on any claim
])
def test_mistakes_in_a_claims_file_name_the_file_and_the_field(book, old, new, message):
    path = edit(book, old, new, count=1)
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
    ({"tolerance": 0.5}, {"m": 3.4}, "holds"),
    ({"tolerance": 0.5}, {"m": 3.6}, "misses"),
    ({"relative": 0.1}, {"m": 2.75}, "holds"),
    ({"relative": 0.1}, {"m": 3.31}, "misses"),
    ({"factor": 1.5}, {"m": 4.4}, "holds"),
    ({"factor": 1.5}, {"m": 2.1}, "holds"),
    ({"factor": 1.5}, {"m": 4.6}, "misses"),
    ({"factor": 1.5}, {"m": 1.9}, "misses"),
    ({"factor": 1.5}, {"m": -3}, "misses"),
    ({"interval": ["lo", "hi"]}, {"m": 0, "lo": 2, "hi": 4}, "holds"),
    ({"interval": ["lo", "hi"]}, {"m": 0, "lo": 3.5, "hi": 4}, "misses"),
    ({"at_least": "published"}, {"m": 3}, "holds"),
    ({"at_least": "published"}, {"m": 2.9}, "misses"),
    ({"at_most": "published"}, {"m": 3.1}, "misses"),
    ({"at_most": "published"}, {"m": 0.5}, "holds"),
    ({"share": {"metric": "n", "at_least": 0.5}}, {"n": [3, 4, 1, 2]}, "holds"),   # 2 of 4 reach 3
    ({"share": {"metric": "n", "at_least": 0.5}}, {"n": [3, 2, 1, 2]}, "misses"),  # 1 of 4
])
def test_rules(rule, metrics, expected):
    assert claims.evaluate(rule, 3, metrics, "m") == expected


@pytest.mark.parametrize("rule, metrics, expected", [
    ({"at_least": 0.5}, {"m": 0.5}, "holds"),
    ({"at_least": 0.5}, {"m": 0.4}, "misses"),
    ({"at_most": 0.01}, {"m": 0.06}, "misses"),
    ({"holds": "ok"}, {"ok": True}, "holds"),
    ({"holds": "ok"}, {"ok": False}, "misses"),
])
def test_rules_of_qualitative_claims(rule, metrics, expected):
    assert claims.evaluate(rule, True, metrics, "m") == expected


def test_rules_refuse_missing_and_mistyped_metrics():
    with pytest.raises(ClaimsError, match=r"run\.json: metrics: has no metric 'lo'"):
        claims.evaluate({"interval": ["lo", "hi"]}, 3, {"hi": 4}, "m", source="run.json")
    with pytest.raises(ClaimsError, match=r"metrics\.ok: the rule 'holds' needs a boolean, got 1"):
        claims.evaluate({"holds": "ok"}, True, {"ok": 1}, "ok")
    with pytest.raises(ClaimsError, match=r"metrics\.m: must be a finite number, got 'fast'"):
        claims.evaluate({"at_least": 1}, True, {"m": "fast"}, "m")
    with pytest.raises(ClaimsError, match=r"metrics\.n: the rule 'share' needs a non-empty list of numbers"):
        claims.evaluate({"share": {"metric": "n", "at_least": 0.5}}, 4, {"n": []}, "m")
    with pytest.raises(ClaimsError, match=r"metrics\.cap: must be a finite number"):
        claims.evaluate({"interval": ["lo", "hi"]}, 3, {"m": 3, "lo": 2, "hi": 4, "cap": None}, "m", limit="cap")


def test_a_record_has_hardware_versions_and_commit_and_round_trips(tmp_path):
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3, "n_networks": 4, "backend": "numpy on CPU"}, "seconds": 1.5}], ROOT)
    assert record["networks"] == 4 and record["hardware"]["cores"] >= 1 and record["hardware"]["cpu"]
    assert record["packages"]["numpy"] and len(record["git"]["commit"]) == 40
    assert record["source_hash"] == records.tree_hash(ROOT / "notebooks/demo.md") and record["backend"] == "numpy on CPU"
    path = records.write(tmp_path / "demo.json", record)
    assert records.read(path) == record


def test_a_record_says_which_backend_ran():
    assert records.backend_that_ran({"backend": "NVIDIA H200"}, {"device": "numpy"}) == "NVIDIA H200"  # the notebook's word
    assert records.backend_that_ran({}, {"device": "numpy"}) == "numpy on CPU"  # else the device it was given
    assert records.backend_that_ran({}, {}) == get_backend("auto").describe()  # else what "auto" resolves to here


def test_old_records_still_read_and_are_of_unknown_staleness(tmp_path):
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3, "counts": [4, 3, 4]}, "seconds": 1.0}], ROOT)
    assert records.staleness(record) == "current" and records.staleness(None) is None
    assert records.staleness({**record, "source_hash": "0" * 64}) == "stale"
    del record["source_hash"], record["backend"]
    path = records.write(tmp_path / "old.json", record)
    assert records.staleness(records.read(path)) == "stale: unknown"


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("git"), r"demo\.json: missing field\(s\) git"),
    (lambda r: r.update(seconds="slow"), r"demo\.json: field 'seconds' must be a non-negative number, got 'slow'"),
    (lambda r: r.update(scale="huge"), r"demo\.json: field 'scale' must be 'smoke' or 'full'"),
    (lambda r: r.update(colour="red"), r"demo\.json: unknown field\(s\) colour"),
    (lambda r: r["hardware"].pop("cpu"), r"demo\.json: field 'hardware' must be a mapping with cpu, cores and gpu"),
    (lambda r: r.update(source_hash="abc"), r"demo\.json: field 'source_hash' must be a sha256 hex digest"),
    (lambda r: r.update(backend=""), r"demo\.json: field 'backend' must be a non-empty string"),
    (lambda r: r["metrics"].update(counts=[4, [3]]), r"demo\.json: metrics\.counts: must be a finite number, a boolean, a string or a list of them"),
    (lambda r: r["metrics"].update(value=None), r"demo\.json: metrics\.value: must be a finite number"),
])
def test_malformed_records_name_the_file_and_the_field(tmp_path, change, message):
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3}, "seconds": 1.0}], tmp_path)
    change(record)
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ClaimsError, match=message):
        records.read(path)
    path.write_text("{not json")
    with pytest.raises(ClaimsError, match="demo.json: not valid JSON"):
        records.read(path)


def test_the_scoreboard_names_a_record_that_lacks_a_metric(book):
    record = records.make("demo", "notebooks/demo.md", "full", {}, [{"seed": 0, "metrics": {"value": 3, "low": 2}, "seconds": 1.0}], book)
    path = records.write(records.path_for(book, "demo", "notebooks/demo.md"), record)
    with pytest.raises(ClaimsError, match=r"records/demo/demo\.json: metrics: has no metric 'high', which demo\.value needs"):
        reproduce.rows(book)
    record["metrics"]["high"] = 4
    records.write(path, record)
    with pytest.raises(ClaimsError, match=r"demo\.json: runs\[0\]\.metrics: has no metric 'high'"):
        reproduce.rows(book)  # each seed's metrics are checked too
    record["runs"][0]["metrics"]["high"] = 4
    records.write(path, record)
    (row,) = reproduce.rows(book)
    assert row.verdict == "holds" and row.our_value == "3 things (2-4)" and row.paper_value == "3 things"
    assert "demo.value" in reproduce.table([row]) and "<a href=\"demo.html\">" in reproduce.html_table([row], "t")


def test_the_book_runs_registered_notebooks_with_their_reproductions_parameters():
    """The NETtalk pages run on the corpus their claims are judged on (one cached run for both)."""
    from backprop_book.build import registered_parameters

    found = registered_parameters(ROOT)
    for paper in claims.load_all(ROOT):
        for notebook, parameters in paper.notebooks().items():
            assert found[notebook] == parameters
    assert found["notebooks/sejnowski1987_learning.md"] == {"corpus": "nettalk"}
