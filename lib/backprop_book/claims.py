"""The claims registry: what the papers published, as data, and the rules that check it.

One YAML file per paper in ``reproductions/``::

    seeds: 5                       # optional: how many seeds (0, 1, ...) each notebook's full-scale
                                   #   record runs (default 5); or {default: 5, notebooks/x.md: 3}
    paper:
      key: rumelhart1986pdp        # a BibTeX key of references.bib
      title: "Learning internal representations by error propagation"
      where: "PDP vol. 1, ch. 8, pp. 318-362"
    claims:
      - id: xor_skip_sweeps        # unique in the file; the full id is "<file stem>.<id>"
        kind: number               # optional: "number" (default) or "fact" (a count the code asserts)
        where: "p. 331"
        claim: "In our words: what the paper says."
        published: 558             # a number, or true for a qualitative claim
        unit: sweeps               # optional
        verified: true             # checked against the primary source ...
        source_read: "PDP ch. 8, p. 331, scanned copy"   # ... optional: where
        notebook: notebooks/rhw1986_pdp_xor.md
        parameters: {}             # extra papermill parameters of the full run
        metric: skip_sweeps_p50    # a key of the notebook's metrics
        rule: {interval: [skip_sweeps_p10, skip_sweeps_p90]}
        registered: {on: 2026-12-01, commit: 47cca91, post_hoc: false}  # when the rule was set, and
                                   #   whether our results had been seen (commit optional)
        withdrawn:                 # optional: rules replaced, never deleted
          - rule: {tolerance: 200}
            registered: {on: 2026-11-27, post_hoc: true}
            withdrawn_on: 2026-12-01
            reason: "why it was wrong"
        smoke_rule: {holds: skip_all_classified}   # optional: checked on smoke runs
        rank: skip_published_rank  # optional: the metric saying where the published value falls
        limit: max_sweeps          # optional: the metric holding the run's limit; a value at or
                                   #   above it only bounds from below (it is censored)

A rule has exactly one key, and can miss by construction (``p`` is the published value,
``m`` the measured one):

``{tolerance: x}``        ``|m - p| <= x``
``{relative: r}``         ``|m - p| <= r |p|``, with ``0 <= r < 1`` (for "a factor of f" use ``factor``)
``{factor: f}``           ``|log(m / p)| <= log f``, with ``f > 1`` and ``m, p > 0``: a factor of f either side
``{interval: [lo, hi]}``  ``p`` lies between the metrics ``lo`` and ``hi`` (our percentiles)
``{at_least: x}``         ``m >= x``; on a numeric claim ``x`` is the word ``published`` (``m >= p``),
                          a number only on a qualitative one (``published: true``)
``{at_most: x}``          ``m <= x``, the same way
``{holds: name}``         the boolean metric ``name`` is true (qualitative claims only)
``{share: {metric: counts, at_least: t}}``  small counts ("4 of 4 questions right"): ``counts`` is a
                          list (one count per network); holds when a fraction ``>= t`` of them is ``>= p``

A verdict is ``"holds"``, ``"misses"``, ``"inconclusive"`` (a censored value decides nothing:
a percentile at the run's limit only bounds from below) or ``"not run"``. A ``fact``'s rule
is ``{tolerance: 0}``; facts are shown apart and never counted as reproductions. A smoke
rule is a sanity check of a seconds-long run, so it may use any rule kind on any claim.

Every problem in a file is reported as a :class:`ClaimsError` that names the
file and the field, so a typo is found before anything runs.

Non-goals: running notebooks (see :mod:`backprop_book.reproduce`) and storing results
(see :mod:`backprop_book.records`).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

RULES = ("tolerance", "relative", "factor", "interval", "at_least", "at_most", "holds", "share")
TWO_SIDED = ("tolerance", "relative", "factor", "interval")
VERDICTS = ("holds", "inconclusive", "misses", "not run")  # best first: the regression baseline's order
KINDS = ("number", "fact")
PAPER_FIELDS = {"key": True, "title": True, "where": True}  # name: required?
CLAIM_FIELDS = {
    "id": True, "kind": False, "where": True, "claim": True, "published": True, "unit": False, "verified": True,
    "source_read": False, "notebook": True, "parameters": True, "metric": True, "rule": True, "registered": True,
    "withdrawn": False, "smoke_rule": False, "rank": False, "limit": False, "note": False,
}
REGISTERED_FIELDS = {"on": True, "commit": False, "post_hoc": True}
WITHDRAWN_FIELDS = {"rule": True, "registered": True, "withdrawn_on": True, "reason": True}
SHARE_FIELDS = {"metric": True, "at_least": True}
DEFAULT_SEEDS = 5  # seeds of a full-scale record when the claims file does not say
RESERVED_PARAMETERS = ("scale", "metrics_path", "seed")  # set by the runner, never by a claim
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


class ClaimsError(ValueError):
    """A claims file (or a record checked against it) is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Registered:
    """When a rule was set (``on``, an ISO date; ``commit`` optional) and whether our runs had been seen."""

    on: str
    post_hoc: bool
    commit: str | None = None

    def __str__(self) -> str:
        return self.on + (f" ({self.commit})" if self.commit else "") + (", post hoc" if self.post_hoc else "")


@dataclass(frozen=True)
class Withdrawn:
    """A rule that was replaced: kept, with when and why."""

    rule: dict
    registered: Registered
    withdrawn_on: str
    reason: str


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
    registered: Registered = None
    kind: str = "number"
    unit: str = ""
    source_read: str = ""
    withdrawn: tuple = ()
    smoke_rule: dict | None = None
    rank: str | None = None
    limit: str | None = None
    note: str = ""
    source: Path = field(default=None, compare=False)

    @property
    def full_id(self) -> str:
        return f"{self.paper}.{self.id}"

    @property
    def falsifiable(self) -> bool:
        """Counted in the scoreboard's headline (facts the code asserts are not)."""
        return self.kind == "number"

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
    seeds: dict = field(default_factory=dict)  # notebook -> seeds of its full-scale record

    def __repr__(self) -> str:
        return f"Paper({self.stem!r}, key={self.key!r}, {len(self.claims)} claims)"

    def notebooks(self) -> dict[str, dict]:
        """Each notebook the claims name, with the parameters of its full run."""
        return {c.notebook: c.parameters for c in self.claims}

    def seeds_of(self, notebook: str) -> int:
        """How many seeds the notebook's full-scale record runs (seeds ``0 .. n-1``)."""
        return self.seeds.get(notebook, self.seeds.get("default", DEFAULT_SEEDS))


def _rule_metrics(rule: dict) -> list[str]:
    (kind, value), = rule.items()
    if kind == "interval":
        return list(value)
    if kind == "holds":
        return [value]
    if kind == "share":
        return [value["metric"]]
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


def _mapping(value, fields: dict, where: str, source: Path) -> dict:
    if not isinstance(value, dict):
        raise ClaimsError(f"{source}: {where}: must be a mapping with {', '.join(fields)}, got {value!r}")
    _require(value, fields, where, source)
    return value


def check_rule(rule, published, where: str, source: Path, purpose: str = "rule") -> dict:
    """Check a rule (``where`` names it in errors); returns it.

    ``purpose`` is ``"rule"`` (the falsifiable conventions of the module docstring),
    ``"smoke_rule"`` (any rule kind on any claim) or ``"withdrawn"`` (only the shape:
    a withdrawn rule is history, kept as it was written).
    """
    if not isinstance(rule, dict) or len(rule) != 1:
        raise ClaimsError(f"{source}: {where}: a rule is a mapping with exactly one of {', '.join(RULES)}; got {rule!r}")
    (kind, value), = rule.items()
    if kind not in RULES:
        close = difflib.get_close_matches(str(kind), RULES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ClaimsError(f"{source}: {where}: unknown rule {kind!r}{hint} (rules: {', '.join(RULES)})")
    numeric, strict = _is_number(published), purpose == "rule"

    if kind in ("tolerance", "relative") and not (_is_number(value) and value >= 0):
        raise ClaimsError(f"{source}: {where}: {kind} needs a non-negative number, got {value!r}")
    if kind == "relative" and value >= 1 and purpose != "withdrawn":
        raise ClaimsError(f"{source}: {where}: relative needs 0 <= r < 1 (a fraction of the published value: "
                          f"{value!r} accepts everything from 0 up); for 'a factor of f either side' use {{factor: f}}")
    if kind == "factor" and not (_is_number(value) and value > 1):
        raise ClaimsError(f"{source}: {where}: factor needs a number f > 1 (measured within published/f .. published*f), got {value!r}")
    if kind in ("at_least", "at_most"):
        if value == "published":
            if not numeric:
                raise ClaimsError(f"{source}: {where}: {kind}: published compares with the published value, "
                                  f"which must then be a number (it is {published!r})")
        elif not _is_number(value):
            raise ClaimsError(f"{source}: {where}: {kind} needs a number or the word published, got {value!r}")
        elif numeric and strict:
            raise ClaimsError(f"{source}: {where}: {kind}: on a numeric claim the bound is the word published "
                              f"({kind}: published), so that it moves with the published value; got the number {value!r}")
    if kind == "interval" and not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) and _NAME.match(v) for v in value)):
        raise ClaimsError(f"{source}: {where}: interval needs two metric names [low, high], got {value!r}")
    if kind == "holds":
        if not (isinstance(value, str) and _NAME.match(value)):
            raise ClaimsError(f"{source}: {where}: holds needs a metric name, got {value!r}")
        if numeric and strict:
            raise ClaimsError(f"{source}: {where}: holds is for qualitative claims (published: true); "
                              f"a published number ({published!r}) needs a rule that compares with it")
    if kind == "share":
        _mapping(value, SHARE_FIELDS, f"{where}.share", source)
        if not (isinstance(value["metric"], str) and _NAME.match(value["metric"])):
            raise ClaimsError(f"{source}: {where}.share.metric: must be a metric name, got {value['metric']!r}")
        t = value["at_least"]
        if not (_is_number(t) and 0 < t <= 1):
            raise ClaimsError(f"{source}: {where}.share.at_least: must be a fraction 0 < t <= 1, got {t!r}")
    if kind in ("tolerance", "relative", "factor", "interval", "share") and not numeric:
        raise ClaimsError(f"{source}: {where}: the rule {kind!r} compares with the published value, which must then be a number (it is {published!r})")
    if kind == "factor" and published <= 0:
        raise ClaimsError(f"{source}: {where}: the rule 'factor' needs a positive published value (it is {published!r})")
    return rule


def _date(value, where: str, source: Path) -> str:
    """A date ``YYYY-MM-DD`` (as text: see :func:`read_yaml`), checked."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return _dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ClaimsError(f"{source}: {where}: must be a date YYYY-MM-DD, got {value!r}")


def _registered(value, where: str, source: Path) -> Registered:
    _mapping(value, REGISTERED_FIELDS, where, source)
    if not isinstance(value["post_hoc"], bool):
        raise ClaimsError(f"{source}: {where}.post_hoc: must be true (set after our results were seen) or false, got {value['post_hoc']!r}")
    commit = value.get("commit")
    if commit is not None and not (isinstance(commit, str) and _COMMIT.match(commit)):
        raise ClaimsError(f"{source}: {where}.commit: must be 7 to 40 lower-case hex digits (quoted if all digits), got {commit!r}")
    return Registered(_date(value["on"], f"{where}.on", source), value["post_hoc"], commit)


def _withdrawn(value, published, where: str, source: Path) -> tuple:
    if not isinstance(value, list):
        raise ClaimsError(f"{source}: {where}: must be a list of withdrawn rules, got {value!r}")
    out = []
    for j, w in enumerate(value):
        at = f"{where}[{j}]"
        _mapping(w, WITHDRAWN_FIELDS, at, source)
        check_rule(w["rule"], published, f"{at}.rule", source, purpose="withdrawn")
        if not isinstance(w["reason"], str) or not w["reason"].strip():
            raise ClaimsError(f"{source}: {at}.reason: must say, in a non-empty string, why the rule was withdrawn")
        out.append(Withdrawn(w["rule"], _registered(w["registered"], f"{at}.registered", source),
                             _date(w["withdrawn_on"], f"{at}.withdrawn_on", source), " ".join(w["reason"].split())))
    return tuple(out)


def read_yaml(path: Path):
    """A YAML file read with YAML 1.2's booleans (only true/false), and dates left as text.

    YAML 1.1, PyYAML's default, also reads on/off/yes/no as booleans, which would turn the
    key of ``registered: {on: ...}`` into True; and it raises a bare ValueError on a date
    such as 2026-13-01, which :func:`load` reports with the file and the field instead.
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)
    bool_tag = "tag:yaml.org,2002:bool"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != bool_tag]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    try:
        return yaml.load(Path(path).read_text(), Loader=Loader)
    except yaml.YAMLError as exc:
        raise ClaimsError(f"{path}: not valid YAML: {exc}") from None


def bibtex_keys(bib: Path) -> set[str]:
    """The entry keys of a BibTeX file."""
    return set(re.findall(r"^\s*@\w+\s*\{\s*([^,\s]+)\s*,", bib.read_text(), flags=re.M))


def _notebook_parameters(path: Path) -> dict:
    from backprop_book.runner import parameters_of, read_notebook

    return parameters_of(read_notebook(path), path)


def load(path: Path | str, root: Path | str, bib_keys: set | None = None) -> Paper:
    """Read and check one claims file; ``root`` is the book's root (notebooks are relative to it)."""
    path, root = Path(path), Path(root)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ClaimsError(f"{path}: must be a mapping with the fields 'paper' and 'claims'")
    _require(data, {"paper": True, "claims": True, "seeds": False}, "top level", path)

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
        kind = c.get("kind", "number")
        if kind not in KINDS:
            close = difflib.get_close_matches(str(kind), KINDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ClaimsError(f"{path}: {where}.kind: must be one of {', '.join(KINDS)}, got {kind!r}{hint}")
        for k in ("where", "claim"):
            if not isinstance(c[k], str) or not c[k].strip():
                raise ClaimsError(f"{path}: {where}.{k}: must be a non-empty string")
        if c.get("source_read") is not None and not (isinstance(c["source_read"], str) and c["source_read"].strip()):
            raise ClaimsError(f"{path}: {where}.source_read: must say in a non-empty string what was read, got {c['source_read']!r}")
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
        if kind == "fact" and c["rule"] != {"tolerance": 0}:
            raise ClaimsError(f"{path}: {where}.rule: a fact (a count the code asserts) is checked exactly: {{tolerance: 0}}, got {c['rule']!r}")
        if c.get("smoke_rule") is not None:
            check_rule(c["smoke_rule"], c["published"], f"{where}.smoke_rule", path, purpose="smoke_rule")
        registered = _registered(c["registered"], f"{where}.registered", path)
        withdrawn = _withdrawn(c["withdrawn"], c["published"], f"{where}.withdrawn", path) if c.get("withdrawn") is not None else ()
        claims.append(Claim(
            paper=path.stem, id=c["id"], where=c["where"], claim=" ".join(c["claim"].split()),
            published=c["published"], verified=c["verified"], notebook=notebook, parameters=dict(parameters),
            metric=c["metric"], rule=c["rule"], registered=registered, kind=kind, unit=str(c.get("unit") or ""),
            source_read=" ".join(str(c.get("source_read") or "").split()), withdrawn=withdrawn,
            smoke_rule=c.get("smoke_rule"), rank=c.get("rank"), limit=c.get("limit"),
            note=" ".join(str(c.get("note") or "").split()), source=path,
        ))
    seeds = _seeds(data.get("seeds", DEFAULT_SEEDS), set(runs), path)
    return Paper(path.stem, paper["key"], paper["title"], paper["where"], tuple(claims), path, seeds)


def _seeds(value, notebooks: set, path: Path) -> dict:
    """The ``seeds`` field as ``{"default": n, notebook: n, ...}``, checked."""
    given = value if isinstance(value, dict) else {"default": value}
    for name, n in given.items():
        if name != "default" and name not in notebooks:
            raise ClaimsError(f"{path}: seeds.{name}: no claim names this notebook; they name {', '.join(sorted(notebooks))}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ClaimsError(f"{path}: seeds{'' if name == 'default' and not isinstance(value, dict) else '.' + name}: "
                              f"must be a positive number of seeds, got {n!r}")
    return dict(given)


def load_all(root: Path | str, folder: str = "reproductions") -> list[Paper]:
    """Every claims file in ``root/folder`` (``*.yaml``), checked, sorted by name."""
    root = Path(root)
    keys = bibtex_keys(root / "references.bib")
    return [load(p, root, keys) for p in sorted((root / folder).glob("*.yaml"))]


def share_of(counts: list, published) -> float:
    """The fraction of networks whose count reaches the published count."""
    return sum(n >= published for n in counts) / len(counts)


def band(rule: dict, published: float) -> tuple[float, float]:
    """The measured values a two-sided rule (tolerance, relative, factor) accepts: ``[low, high]``."""
    (kind, x), = rule.items()
    if kind == "tolerance":
        return published - x, published + x
    if kind == "relative":
        return published - x * abs(published), published + x * abs(published)
    return published / x, published * x  # factor: |log(m / p)| <= log f


def evaluate(rule: dict, published, metrics: dict, measured_name: str, limit: str | None = None, source="the record") -> str:
    """The verdict of ``rule`` on the ``metrics`` of a run: ``"holds"``, ``"misses"`` or ``"inconclusive"``.

    ``measured_name`` is the claim's metric; ``limit`` names the metric holding the run's
    limit, at or above which a value only bounds from below (censored): it then decides
    only what a lower bound can (an interval whose low end is above the published value
    misses; one whose high end is censored is inconclusive, never holds).
    """
    (kind, value), = rule.items()

    def get(name, what="number"):
        if name not in metrics:
            raise ClaimsError(f"{source}: metrics: has no metric {name!r} (it has {', '.join(sorted(metrics)) or 'none'})")
        v = metrics[name]
        if what == "boolean" and not isinstance(v, bool):
            raise ClaimsError(f"{source}: metrics.{name}: the rule 'holds' needs a boolean, got {v!r}")
        if what == "counts" and not (isinstance(v, list) and v and all(_is_number(n) for n in v)):
            raise ClaimsError(f"{source}: metrics.{name}: the rule 'share' needs a non-empty list of numbers (one per network), got {v!r}")
        if what == "number" and not _is_number(v):
            raise ClaimsError(f"{source}: metrics.{name}: must be a finite number, got {v!r}")
        return v

    cap = get(limit) if limit else None

    def censored(v) -> bool:
        return cap is not None and v >= cap

    if kind == "holds":
        return "holds" if get(value, "boolean") else "misses"
    if kind == "share":
        return "holds" if share_of(get(value["metric"], "counts"), published) >= value["at_least"] else "misses"
    if kind == "interval":
        low, high = get(value[0]), get(value[1])
        if censored(low) or censored(high) or (cap is not None and censored(get(measured_name))):
            return "misses" if published < low else "inconclusive"
        return "holds" if low <= published <= high else "misses"
    measured = get(measured_name)
    if kind in ("at_least", "at_most"):
        bound = published if value == "published" else value
        if kind == "at_least":
            return "holds" if measured >= bound else "inconclusive" if censored(measured) else "misses"
        return "misses" if measured > bound else "inconclusive" if censored(measured) else "holds"
    low, high = band(rule, published)
    if measured > high:
        return "misses"  # a censored value is a lower bound: the true one is higher still
    if censored(measured):
        return "inconclusive"
    return "holds" if measured >= low else "misses"


def verdict(claim: Claim, metrics: dict | None, smoke: bool = False, source="the record") -> str:
    """One of :data:`VERDICTS`: ``"not run"`` without metrics, or without a smoke rule for a smoke run."""
    rule = claim.smoke_rule if smoke else claim.rule
    if metrics is None or rule is None:
        return "not run"
    return evaluate(rule, claim.published, metrics, claim.metric, limit=None if smoke else claim.limit, source=source)


def worse(now: str, before: str) -> bool:
    """Whether the verdict ``now`` is worse than ``before`` (holds > inconclusive > misses > not run)."""
    return VERDICTS.index(now) > VERDICTS.index(before)
