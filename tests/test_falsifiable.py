"""The real registry can say no: no numeric rule holds for two published values a factor
of three apart, and no censored interval in the records holds.

A rule that holds now must miss had the paper said three times more or less; a rule
that misses now may hold for one of those values (we measured about three times the
paper's figure: then we agree with a paper that had said so), but never for two of
the three values p/3, p and 3p at once.

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


def test_no_numeric_rule_holds_for_two_published_values_three_times_apart():
    too_wide, unchecked = [], []
    for claim in _live_numbers():
        metrics = _metrics(claim)
        if metrics is None or any(m not in metrics for m in claim.metrics_needed()):
            unchecked.append(claim.full_id)
            continue
        if not mutations(claim):
            too_wide.append(f"{claim.full_id} (rule {claim.rule} never reads the published {claim.published})")
            continue

        def holds(p):
            return claims.evaluate(claim.rule, p, metrics, claim.metric, limit=claim.limit, source=claim.full_id) == "holds"

        values = [claim.published, *mutations(claim)]
        held = [p for p in values if holds(p)]
        if len(held) > 1:
            too_wide.append(f"{claim.full_id} (holds for published {', '.join(f'{p:g}' for p in held)}, rule {claim.rule})")
    assert not unchecked, f"no full-scale record to check these claims against (run `backprop reproduce`): {', '.join(unchecked)}"
    assert not too_wide, "these rules hold for values a factor of three apart:\n  " + "\n  ".join(too_wide)


def test_the_falsifiability_check_catches_a_wide_rule():
    """The check itself: a tolerance wider than the published value holds for p and 3p."""
    wide = {"tolerance": 10.0}
    assert claims.evaluate(wide, 4.0, {"m": 5.0}, "m") == "holds" == claims.evaluate(wide, 12.0, {"m": 5.0}, "m")
    assert claims.evaluate({"factor": 1.5}, 12.0, {"m": 5.0}, "m") == "misses"


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
