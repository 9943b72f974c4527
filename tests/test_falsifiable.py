"""The real registry can say no: every numeric rule misses when the published value is
three times larger or smaller, and no censored interval in the records holds.

These tests read ``reproductions/*.yaml`` and the records of the last full runs, so a
rule that would accept a paper that had said something else fails here, by name.
"""

from __future__ import annotations

import math

from backprop_book import claims, records, reproduce

from .conftest import ROOT


def _registry():
    return claims.load_all(ROOT)


def _live_numbers():
    return [c for p in _registry() for c in p.claims if c.falsifiable and not isinstance(c.published, bool)]


def _metrics(claim):
    record = records.read_if_any(records.path_for(ROOT, claim.paper, claim.notebook))
    return record["metrics"] if record else None


def mutations(claim) -> list:
    """The mutated published values under which the claim's rule must not hold (see the schema of issue 15)."""
    (kind, value), = claim.rule.items()
    p = claim.published
    if kind in claims.TWO_SIDED:
        return [3 * p, p / 3]
    if kind == "at_least":
        return [3 * p]
    if kind == "at_most":
        return [p / 3]
    if kind == "share":
        return [math.ceil(3 * p)]
    return []  # holds: it does not read the published value, so no mutation can make it miss


def test_every_registered_claims_file_is_valid():
    papers = _registry()
    assert {"rhw1986_pdp", "rhw1986_nature", "lecun1989", "sejnowski1987", "tesauro1992"} <= {p.stem for p in papers}
    pdp = next(p for p in papers if p.stem == "rhw1986_pdp")
    skip = next(c for c in pdp.claims if c.id == "xor_skip_sweeps")
    assert skip.published == 558 and skip.notebook == "notebooks/rhw1986_pdp_xor.md" and skip.verified
    assert skip.full_id == "rhw1986_pdp.xor_skip_sweeps" and skip.registered is not None


def test_every_numeric_rule_misses_when_the_published_value_is_three_times_off():
    still_hold, unchecked = [], []
    for claim in _live_numbers():
        metrics = _metrics(claim)
        if metrics is None or any(m not in metrics for m in claim.metrics_needed()):
            unchecked.append(claim.full_id)
            continue
        if not mutations(claim):
            still_hold.append(f"{claim.full_id} (rule {claim.rule} never reads the published {claim.published})")
        for p in mutations(claim):
            v = claims.evaluate(claim.rule, p, metrics, claim.metric, limit=claim.limit, source=claim.full_id)
            if v == "holds":
                still_hold.append(f"{claim.full_id} (published {claim.published} -> {p:g}, rule {claim.rule})")
    assert not unchecked, f"no full-scale record to check these claims against (run `backprop reproduce`): {', '.join(unchecked)}"
    assert not still_hold, "these rules would still hold had the paper said something else:\n  " + "\n  ".join(still_hold)


def test_every_censored_interval_in_the_records_is_inconclusive():
    wrong, board = [], reproduce.rows(ROOT)
    for row in board:
        c = row.claim
        if "interval" not in c.rule or not c.limit or row.record is None:
            continue
        m = row.record["metrics"]
        cap = m[c.limit]
        if max(m[c.rule["interval"][0]], m[c.rule["interval"][1]], m[c.metric]) < cap:
            continue  # not censored
        expected = "misses" if c.published < m[c.rule["interval"][0]] else "inconclusive"
        if row.verdict != expected:
            wrong.append(f"{c.full_id}: {row.verdict} ({row.our_value}, limit {cap:g}), expected {expected}")
    assert not wrong, "censored intervals judged as if they were not:\n  " + "\n  ".join(wrong)
