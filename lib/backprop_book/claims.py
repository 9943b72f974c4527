"""The claims registry: what the papers published, as data, and the rules that check it.

One YAML file per paper in ``reproductions/``::

    paper:
      key: rumelhart1986pdp        # a BibTeX key of references.bib
      title: "Learning internal representations by error propagation"
      where: "PDP vol. 1, ch. 8, pp. 318-362"
    claims:
      - id: xor_skip_sweeps        # unique in the file; the full id is "<file stem>.<id>"
        where: "p. 331"
        claim: "In our words: what the paper says."
        published: 558             # a number, or true for a qualitative claim
        unit: sweeps               # optional
        verified: true             # checked against the primary source
        notebook: notebooks/rhw1986_pdp_xor.md
        parameters: {}             # extra papermill parameters of the full run
        metric: skip_sweeps_p50    # a key of the notebook's metrics
        rule: {interval: [skip_sweeps_p10, skip_sweeps_p90]}
        smoke_rule: {holds: skip_all_classified}   # optional: checked on smoke runs
        rank: skip_published_rank  # optional: the metric saying where the published value falls
        limit: max_sweeps          # optional: the metric holding a limit that values equal to it only bound

A rule has exactly one key:

``{tolerance: x}``        ``|measured - published| <= x``
``{relative: r}``         ``|measured - published| <= r * |published|``
``{interval: [lo, hi]}``  the published value lies between the metrics ``lo`` and ``hi``
``{at_least: x}``         ``measured >= x``
``{at_most: x}``          ``measured <= x``
``{holds: name}``         the metric ``name`` is a boolean, and true

Every problem in a file is reported as a :class:`ClaimsError` that names the
file and the field, so a typo is found before anything runs.

Non-goals: running notebooks (see :mod:`backprop_book.reproduce`) and storing results
(see :mod:`backprop_book.records`).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

RULES = ("tolerance", "relative", "interval", "at_least", "at_most", "holds")
VERDICTS = ("holds", "misses", "not run")
PAPER_FIELDS = {"key": True, "title": True, "where": True}  # name: required?
CLAIM_FIELDS = {
    "id": True, "where": True, "claim": True, "published": True, "unit": False, "verified": True,
    "notebook": True, "parameters": True, "metric": True, "rule": True, "smoke_rule": False,
    "rank": False, "limit": False, "note": False,
}
RESERVED_PARAMETERS = ("scale", "metrics_path")  # set by the runner, never by a claim
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ClaimsError(ValueError):
    """A claims file (or a record checked against it) is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Claim:
    paper: str  # the claims file's stem, e.g. "rhw1986_pdp"
    id: str
    where: str
    claim: str
    published: float | bool
    verified: bool
    notebook: str  # relative to the book's root
    parameters: dict
    metric: str
    rule: dict
    unit: str = ""
    smoke_rule: dict | None = None
    rank: str | None = None
    limit: str | None = None
    note: str = ""
    source: Path = field(default=None, compare=False)

    @property
    def full_id(self) -> str:
        return f"{self.paper}.{self.id}"

    def __repr__(self) -> str:
        return f"Claim({self.full_id!r}, published={self.published!r}, rule={self.rule})"

    def metrics_needed(self, smoke: bool = False) -> list[str]:
        """The metric names that checking this claim reads from a run."""
        if smoke:
            return _rule_metrics(self.smoke_rule) if self.smoke_rule else []
        names = [self.metric] + _rule_metrics(self.rule)
        return list(dict.fromkeys(names + [m for m in (self.rank, self.limit) if m]))


@dataclass(frozen=True)
class Paper:
    stem: str
    key: str
    title: str
    where: str
    claims: tuple
    source: Path = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"Paper({self.stem!r}, key={self.key!r}, {len(self.claims)} claims)"

    def notebooks(self) -> dict[str, dict]:
        """Each notebook the claims name, with the parameters of its full run."""
        return {c.notebook: c.parameters for c in self.claims}


def _rule_metrics(rule: dict) -> list[str]:
    (kind, value), = rule.items()
    if kind == "interval":
        return list(value)
    if kind == "holds":
        return [value]
    return []


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)


def _unknown_keys(given: dict, known, where: str, source: Path) -> None:
    for key in given:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(known)}"
            raise ClaimsError(f"{source}: {where}: unknown field {key!r}{hint}")


def _require(given: dict, fields: dict, where: str, source: Path) -> None:
    _unknown_keys(given, fields, where, source)
    missing = [k for k, required in fields.items() if required and k not in given]
    if missing:
        raise ClaimsError(f"{source}: {where}: missing field(s) {', '.join(missing)}")


def check_rule(rule, published, where: str, source: Path) -> dict:
    """Check the shape of a rule (``where`` names it in errors); returns it."""
    if not isinstance(rule, dict) or len(rule) != 1:
        raise ClaimsError(f"{source}: {where}: a rule is a mapping with exactly one of {', '.join(RULES)}; got {rule!r}")
    (kind, value), = rule.items()
    if kind not in RULES:
        close = difflib.get_close_matches(str(kind), RULES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ClaimsError(f"{source}: {where}: unknown rule {kind!r}{hint} (rules: {', '.join(RULES)})")
    if kind in ("tolerance", "relative") and not (_is_number(value) and value >= 0):
        raise ClaimsError(f"{source}: {where}: {kind} needs a non-negative number, got {value!r}")
    if kind in ("at_least", "at_most") and not _is_number(value):
        raise ClaimsError(f"{source}: {where}: {kind} needs a number, got {value!r}")
    if kind == "interval" and not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and _NAME.match(v) for v in value)):
        raise ClaimsError(f"{source}: {where}: interval needs two metric names [low, high], got {value!r}")
    if kind == "holds" and not (isinstance(value, str) and _NAME.match(value)):
        raise ClaimsError(f"{source}: {where}: holds needs a metric name, got {value!r}")
    if kind in ("tolerance", "relative", "interval") and not _is_number(published):
        raise ClaimsError(f"{source}: {where}: the rule {kind!r} compares with the published value, which must then be a number (it is {published!r})")
    return rule


def bibtex_keys(bib: Path) -> set[str]:
    """The entry keys of a BibTeX file."""
    return set(re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", bib.read_text(), flags=re.M))


def _notebook_parameters(path: Path) -> dict:
    from backprop_book.runner import parameters_of, read_notebook

    return parameters_of(read_notebook(path), path)


def load(path: Path | str, root: Path | str, bib_keys: set | None = None) -> Paper:
    """Read and check one claims file; ``root`` is the book's root (notebooks are relative to it)."""
    import yaml

    path, root = Path(path), Path(root)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ClaimsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ClaimsError(f"{path}: must be a mapping with the fields 'paper' and 'claims'")
    _require(data, {"paper": True, "claims": True}, "top level", path)

    paper = data["paper"]
    if not isinstance(paper, dict):
        raise ClaimsError(f"{path}: paper: must be a mapping with {', '.join(PAPER_FIELDS)}")
    _require(paper, PAPER_FIELDS, "paper", path)
    for k in PAPER_FIELDS:
        if not isinstance(paper[k], str) or not paper[k].strip():
            raise ClaimsError(f"{path}: paper.{k}: must be a non-empty string")
    keys = bib_keys if bib_keys is not None else bibtex_keys(root / "references.bib")
    if paper["key"] not in keys:
        raise ClaimsError(f"{path}: paper.key: {paper['key']!r} is not an entry of references.bib")

    if not isinstance(data["claims"], list) or not data["claims"]:
        raise ClaimsError(f"{path}: claims: must be a non-empty list")
    claims, seen, runs = [], set(), {}
    known_parameters: dict[str, dict] = {}
    for i, c in enumerate(data["claims"]):
        where = f"claims[{i}]"
        if not isinstance(c, dict):
            raise ClaimsError(f"{path}: {where}: must be a mapping")
        if isinstance(c.get("id"), str):
            where = f"claims[{i}] (id {c['id']})"
        _require(c, CLAIM_FIELDS, where, path)
        if not isinstance(c["id"], str) or not _NAME.match(c["id"]):
            raise ClaimsError(f"{path}: {where}.id: must be a name of letters, digits and _, got {c['id']!r}")
        if c["id"] in seen:
            raise ClaimsError(f"{path}: {where}.id: {c['id']!r} is used twice")
        seen.add(c["id"])
        for k in ("where", "claim"):
            if not isinstance(c[k], str) or not c[k].strip():
                raise ClaimsError(f"{path}: {where}.{k}: must be a non-empty string")
        if not (_is_number(c["published"]) or c["published"] is True):
            raise ClaimsError(f"{path}: {where}.published: must be a number, or true for a qualitative claim; got {c['published']!r}")
        if not isinstance(c["verified"], bool):
            raise ClaimsError(f"{path}: {where}.verified: must be true or false, got {c['verified']!r}")
        for k in ("metric", "rank", "limit"):
            if c.get(k) is not None and not (isinstance(c[k], str) and _NAME.match(c[k])):
                raise ClaimsError(f"{path}: {where}.{k}: must be a metric name, got {c[k]!r}")

        notebook = c["notebook"]
        if not isinstance(notebook, str) or not notebook.endswith(".md"):
            raise ClaimsError(f"{path}: {where}.notebook: must be the path of a notebook (.md) relative to the book's root, got {notebook!r}")
        if not (root / notebook).is_file():
            raise ClaimsError(f"{path}: {where}.notebook: {notebook} does not exist")
        parameters = c["parameters"]
        if not isinstance(parameters, dict):
            raise ClaimsError(f"{path}: {where}.parameters: must be a mapping (use {{}} for none), got {parameters!r}")
        if notebook not in known_parameters:
            known_parameters[notebook] = _notebook_parameters(root / notebook)
        for name in parameters:
            if name in RESERVED_PARAMETERS:
                raise ClaimsError(f"{path}: {where}.parameters: {name!r} is set by the runner, not by a claim")
            if name not in known_parameters[notebook]:
                raise ClaimsError(f"{path}: {where}.parameters: {notebook} has no parameter {name!r}; it takes {', '.join(sorted(known_parameters[notebook]))}")
        if runs.setdefault(notebook, parameters) != parameters:
            raise ClaimsError(f"{path}: {where}.parameters: every claim on {notebook} must use the same parameters (one run, one record per notebook)")

        check_rule(c["rule"], c["published"], f"{where}.rule", path)
        if c.get("smoke_rule") is not None:
            check_rule(c["smoke_rule"], c["published"], f"{where}.smoke_rule", path)
        claims.append(Claim(
            paper=path.stem, id=c["id"], where=c["where"], claim=" ".join(c["claim"].split()),
            published=c["published"], verified=c["verified"], notebook=notebook, parameters=dict(parameters),
            metric=c["metric"], rule=c["rule"], unit=str(c.get("unit") or ""), smoke_rule=c.get("smoke_rule"),
            rank=c.get("rank"), limit=c.get("limit"), note=" ".join(str(c.get("note") or "").split()), source=path,
        ))
    return Paper(path.stem, paper["key"], paper["title"], paper["where"], tuple(claims), path)


def load_all(root: Path | str, folder: str = "reproductions") -> list[Paper]:
    """Every claims file in ``root/folder`` (``*.yaml``), checked, sorted by name."""
    root = Path(root)
    keys = bibtex_keys(root / "references.bib")
    return [load(p, root, keys) for p in sorted((root / folder).glob("*.yaml"))]


def evaluate(rule: dict, published, metrics: dict, measured_name: str, source="the record") -> bool:
    """Whether ``rule`` holds for the ``metrics`` of a run (``measured_name`` is the claim's metric)."""
    (kind, value), = rule.items()

    def get(name, boolean=False):
        if name not in metrics:
            raise ClaimsError(f"{source}: metrics: has no metric {name!r} (it has {', '.join(sorted(metrics)) or 'none'})")
        v = metrics[name]
        if boolean and not isinstance(v, bool):
            raise ClaimsError(f"{source}: metrics.{name}: the rule 'holds' needs a boolean, got {v!r}")
        if not boolean and not _is_number(v):
            raise ClaimsError(f"{source}: metrics.{name}: must be a finite number, got {v!r}")
        return v

    if kind == "holds":
        return get(value, boolean=True) is True
    if kind == "interval":
        low, high = get(value[0]), get(value[1])
        return low <= published <= high
    measured = get(measured_name)
    if kind == "tolerance":
        return abs(measured - published) <= value
    if kind == "relative":
        return abs(measured - published) <= value * abs(published)
    if kind == "at_least":
        return measured >= value
    return measured <= value  # at_most


def verdict(claim: Claim, metrics: dict | None, smoke: bool = False, source="the record") -> str:
    """``"holds"``, ``"misses"`` or ``"not run"`` (no metrics, or no smoke rule for a smoke run)."""
    rule = claim.smoke_rule if smoke else claim.rule
    if metrics is None or rule is None:
        return "not run"
    return "holds" if evaluate(rule, claim.published, metrics, claim.metric, source) else "misses"
