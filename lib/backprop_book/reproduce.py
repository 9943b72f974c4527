"""``backprop reproduce``: run the registered notebooks, keep records, print the scoreboard.

For every claims file in ``reproductions/`` (or the ones asked for), each
notebook its claims name is run at the chosen scale once per seed (the claims file's
``seeds``, or ``seeds=``), every run one task of :func:`backprop_book.executor.run_all`
(Dask). A full run leaves a record of every seed and their summary
(``reproductions/records/<paper>/<notebook>.json``, see :mod:`backprop_book.records`).
A claim is judged with its ``rule`` on the summary over the seeds (the median of a number,
a share rule's networks pooled), and on each seed alone: the scoreboard says in how many
seeds it holds, and marks it **fragile** when the seeds disagree. A smoke run (seed 0
unless asked) is judged with the ``smoke_rule`` and leaves no record.

A full run is compared with the **regression baseline** ``reproductions/verdicts.json``
(``{"<stem>.<id>": verdict}``, committed): while any claim's verdict is worse than the
baseline's (holds > inconclusive > misses > not run), every full run exits 1, the
records being written all the same, until ``accept=True`` (``backprop reproduce --accept``)
writes the new verdicts into the baseline; the commit that carries it says why. A
missing baseline counts as empty (nothing can be worse) and is said so. A smoke run
neither reads nor writes it; it exits 1 when a smoke rule misses. A notebook that
fails makes the exit status 1 at either scale.

The scoreboard (:func:`rows`) is computed from the registry and the records alone, so
the book's scoreboard page needs no run. Its headline (:func:`headline`) counts only
falsifiable claims (``kind: number``); facts the code asserts are shown apart
(:func:`facts_table`), withdrawn rules with their reasons (:func:`withdrawn_table`).

Non-goals: scheduling the runs (:mod:`backprop_book.executor` does); deciding what a
claim means (that is the registry's job).
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from backprop_book import claims as _claims
from backprop_book import records as _records

BASELINE = Path("reproductions") / "verdicts.json"  # relative to the book's root
STATE_NOTE = {"stale": "stale record: the library has changed since this run",
              "stale: unknown": "stale record? it predates source hashes"}


@dataclass
class Row:
    """One line of the scoreboard."""

    claim: _claims.Claim
    verdict: str
    measured: object = None  # for a share rule: the fraction of networks reaching the published count
    low: float | None = None
    high: float | None = None
    rank: float | None = None
    limit: float | None = None  # values at or above it are lower bounds (e.g. the sweep limit)
    networks: int | None = None  # for a share rule: how many networks were counted
    record: dict | None = None
    state: str | None = None  # the record's staleness: "current", "stale", "stale: unknown" (None: no record)
    held: int | None = None  # in how many of the record's seeds the claim holds (None: no per-seed verdicts)
    of: int | None = None  # how many seeds the record has
    spread: tuple | None = None  # the claim's metric: lowest and highest over the seeds

    @property
    def fragile(self) -> bool:
        """The per-seed verdicts disagree: the claim holds in some seeds and not in others."""
        return self.of is not None and 0 < self.held < self.of

    @property
    def seeds_text(self) -> str:
        """``"holds in 4 of 5 seeds"`` (``"-"`` without per-seed verdicts)."""
        if self.of is None:
            return "-"
        return f"holds in {self.held} of {self.of} seed{'s' if self.of > 1 else ''}" + (" (fragile)" if self.fragile else "")

    def __repr__(self) -> str:
        return f"Row({self.claim.full_id!r}, {self.verdict!r}, measured={self.measured!r})"

    @property
    def paper_value(self) -> str:
        if self.claim.published is True:
            return "yes (qualitative)"
        return _number(self.claim.published) + (f" {self.claim.unit}" if self.claim.unit else "")

    @property
    def our_value(self) -> str:
        if self.verdict == "not run":
            return "-"
        if self.networks is not None:
            need = self.claim.rule["share"]["at_least"]
            return f"{self.measured:.0%} of {self.networks} networks reach it (needs {need:.0%})"

        def show(v):
            if isinstance(v, bool):
                return "yes" if v else "no"
            return f"≥{_number(v)}" if self.limit is not None and v >= self.limit else _number(v)

        text = show(self.measured) + (f" {self.claim.unit}" if self.claim.unit and not isinstance(self.measured, bool) else "")
        if self.low is not None:
            text += f" ({show(self.low)}-{show(self.high)})"
        if self.spread is not None:
            text += f"; seeds {show(self.spread[0])}-{show(self.spread[1])}"
        return text

    @property
    def hardware(self) -> str:
        """What ran: the record's backend (records from before it: the machine)."""
        if not self.record:
            return "-"
        hw = self.record["hardware"]
        return self.record.get("backend") or hw.get("backend") or hw["gpu"] or f"{hw['cpu']} ({hw['cores']} cores)"

    @property
    def registered(self) -> str:
        """When the rule was set, marked when it was set after our runs were seen."""
        r = self.claim.registered
        return (r.on + (" post hoc" if r.post_hoc else "")) if r else "-"


def _number(x) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 10):
        return f"{int(x):,}"
    return f"{x:.3g}"


def _judge(claim: _claims.Claim, metrics: dict | None, smoke: bool, source) -> Row:
    verdict = _claims.verdict(claim, metrics, smoke=smoke, source=source)
    if verdict == "not run":
        return Row(claim, verdict)
    rule = claim.smoke_rule if smoke else claim.rule
    (kind, value), = rule.items()
    name = claim.metric  # the claim's own number, also where a boolean judges it (a win rate by its interval)
    if kind == "holds" and name not in metrics:
        name = value
    row = Row(claim, verdict, measured=metrics.get(name))
    if kind == "interval":
        row.low, row.high = metrics[value[0]], metrics[value[1]]
    if kind == "share":
        counts = metrics[value["metric"]]
        row.measured, row.networks = _claims.share_of(counts, claim.published), len(counts)
    if claim.rank and claim.rank in metrics and not smoke:
        row.rank = metrics[claim.rank]
    if claim.limit and claim.limit in metrics:
        row.limit = metrics[claim.limit]
    return row


def load_record(root: Path, claim: _claims.Claim) -> dict | None:
    """The latest full-scale record of the claim's notebook, checked against the claim, or None."""
    path = _records.path_for(root, claim.paper, claim.notebook)
    record = _records.read_if_any(path)
    if record is None:
        return None
    for field, expected in (("paper", claim.paper), ("notebook", claim.notebook), ("scale", "full")):
        if record[field] != expected:
            raise _claims.ClaimsError(f"{path}: field {field!r} is {record[field]!r}, but {claim.full_id} expects {expected!r}")
    for where, metrics in [("metrics", record["metrics"])] + [(f"runs[{i}].metrics", r["metrics"]) for i, r in enumerate(record.get("runs", []))]:
        for name in claim.metrics_needed():
            if name not in metrics:
                raise _claims.ClaimsError(f"{path}: {where}: has no metric {name!r}, which {claim.full_id} needs")
    return record


def rows(root: Path | str, papers: list | None = None) -> list[Row]:
    """The scoreboard: every claim with its verdict from the latest record, and that record's staleness."""
    root = Path(root)
    papers = _claims.load_all(root) if papers is None else papers
    current = {}  # notebook -> the tree's hash of what its metrics depend on
    out = []
    for paper in papers:
        for claim in paper.claims:
            record = load_record(root, claim)
            source = _records.path_for(root, claim.paper, claim.notebook)
            row = judge_seeds(claim, record, source) if record else _judge(claim, None, False, source)
            if record and claim.notebook not in current:
                current[claim.notebook] = _records.tree_hash(root / claim.notebook)
            row.record, row.state = record, _records.staleness(record, current.get(claim.notebook))
            out.append(row)
    return out


def counts(rows: list[Row]) -> dict:
    """How many falsifiable claims hold, miss, are inconclusive, or were not run; facts apart."""
    claims = [r for r in rows if r.claim.falsifiable]
    facts = [r for r in rows if not r.claim.falsifiable]
    out = {v: sum(r.verdict == v for r in claims) for v in _claims.VERDICTS}
    out.update(claims=len(claims), facts=len(facts), facts_hold=sum(r.verdict == "holds" for r in facts),
               post_hoc=sum(bool(r.claim.registered and r.claim.registered.post_hoc) for r in claims),
               stale=sum(r.state in STATE_NOTE for r in rows if r.record),
               fragile=sum(r.fragile for r in claims))
    return out


def headline(rows: list[Row]) -> str:
    """``"H hold, M miss, I inconclusive of N falsifiable claims"`` (and how many were not run)."""
    n = counts(rows)
    text = f"{n['holds']} hold, {n['misses']} miss, {n['inconclusive']} inconclusive of {n['claims']} falsifiable claims"
    notes = ([f"{n['not run']} not run"] if n["not run"] else []) + ([f"{n['fragile']} fragile: their seeds disagree"] if n["fragile"] else [])
    return text + (f" ({'; '.join(notes)})" if notes else "")


def withdrawn(rows: list[Row]) -> list[tuple[_claims.Claim, _claims.Withdrawn]]:
    """Every withdrawn rule of the claims on ``rows``, with its claim."""
    return [(r.claim, w) for r in rows for w in r.claim.withdrawn]


def _text_table(lines: list[tuple]) -> list[str]:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return [fmt.format(*lines[0]), fmt.format(*("-" * w for w in widths))] + [fmt.format(*line) for line in lines[1:]]


def table(rows: list[Row]) -> str:
    """The scoreboard as plain text, for the terminal: the falsifiable claims, then the facts apart."""
    head = ("claim", "paper", "ours", "verdict", "seeds", "rule set", "ran on", "record")

    def line(r):
        held = f"{r.held}/{r.of}" + (" fragile" if r.fragile else "") if r.of is not None else "-"
        return (r.claim.full_id, r.paper_value, r.our_value, r.verdict, held, r.registered, r.hardware, r.state or "-")

    claims = [line(r) for r in rows if r.claim.falsifiable]
    facts = [line(r) for r in rows if not r.claim.falsifiable]
    text = _text_table([head] + claims) if claims else []
    if facts:
        text += ([""] if claims else []) + ["facts the code asserts (shown apart, not counted):"] + _text_table([head] + facts)
    return "\n".join(text)


def read_baseline(root: Path | str) -> dict | None:
    """The committed verdicts ``{"<stem>.<id>": verdict}``, checked; None when there is no baseline yet."""
    path = Path(root) / BASELINE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise _claims.ClaimsError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _claims.ClaimsError(f"{path}: must be a JSON object of claim ids and verdicts")
    for key, v in data.items():
        if v not in _claims.VERDICTS:
            raise _claims.ClaimsError(f"{path}: {key}: the verdict must be one of {', '.join(_claims.VERDICTS)}, got {v!r}")
    return data


def write_baseline(root: Path | str, verdicts: dict) -> Path:
    path = Path(root) / BASELINE
    path.write_text(json.dumps(dict(sorted(verdicts.items())), indent=1) + "\n")
    return path


def compare(verdicts: dict, baseline: dict) -> tuple[list, list]:
    """The claims now worse and now better than the baseline: ``[(full_id, before, now), ...]`` each
    (a claim the baseline does not know is neither)."""
    changed = [(k, baseline[k], v) for k, v in sorted(verdicts.items()) if k in baseline and v != baseline[k]]
    return ([c for c in changed if _claims.worse(c[2], c[1])], [c for c in changed if _claims.worse(c[1], c[2])])


def _recorded_verdict(root: Path, claim: _claims.Claim) -> str:
    """The claim's verdict on its record on disk ("not run" without one, or when the record cannot judge it)."""
    path = _records.path_for(root, claim.paper, claim.notebook)
    if _records.read_if_any(path) is None:  # a malformed record is an error
        return "not run"
    try:
        return _claims.verdict(claim, load_record(root, claim)["metrics"], source=path)
    except _claims.ClaimsError:  # e.g. a claim added since, whose metric the old record lacks
        return "not run"


def _pooled(claims: list[_claims.Claim]) -> set[str]:
    """The metrics that are one value per network (a share rule's counts): pooled over the seeds."""
    return {c.rule["share"]["metric"] for c in claims if "share" in c.rule}


def judge_seeds(claim: _claims.Claim, record: dict, source) -> Row:
    """The claim judged on the record's summary over its seeds, with in how many seeds it holds."""
    row = _judge(claim, record["metrics"], False, source)
    runs = _records.runs_of(record)
    row.held = sum(_claims.verdict(claim, r["metrics"], source=f"{source}, seed {r['seed']}") == "holds" for r in runs)
    row.of = len(runs)
    spread = record.get("spread", {}).get(claim.metric)
    row.spread = tuple(spread) if spread and len(runs) > 1 else None
    return row


def reproduce(
    root: Path | str = ".",
    scale: str = "full",
    papers: list[str] | None = None,
    force: bool = False,
    device: str | None = None,
    cache_dir: Path | str | None = None,
    accept: bool = False,
    seeds: list[int] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    log=sys.stderr,
    out=sys.stdout,
) -> int:
    """Run the registered notebooks at ``scale``, each over its seeds (the claims file's count, or
    ``seeds``), as tasks of :func:`backprop_book.executor.run_all`; returns the exit status (see the
    module docstring). A smoke run uses seed 0 unless ``seeds`` says otherwise."""
    from backprop_book import executor

    root = Path(root).resolve()
    cache_dir = Path(cache_dir) if cache_dir else root / "_build" / "executed"
    smoke = scale == "smoke"
    if smoke and accept:
        raise ValueError("--accept records the verdicts of a full run in the baseline; a smoke run has none")
    if seeds is not None:
        seeds = executor.check_seeds(seeds)
    everything = _claims.load_all(root)
    registry = everything
    if papers:
        unknown = sorted(set(papers) - {p.stem for p in registry})
        if unknown:
            raise _claims.ClaimsError(f"no claims file for {', '.join(unknown)}; there are {', '.join(p.stem for p in registry)}")
        registry = [p for p in registry if p.stem in papers]

    plan = []  # (paper, notebook, parameters, seeds)
    tasks = []
    for paper in registry:
        for notebook, extra in paper.notebooks().items():
            mine = seeds if seeds is not None else ([0] if smoke else list(range(paper.seeds_of(notebook))))
            parameters = {**extra, "scale": scale, **({"device": device} if device else {})}
            plan.append((paper, notebook, parameters, mine))
            tasks += [executor.Task(notebook, {**parameters, "seed": s}) for s in mine]
    expected = {}  # seconds per run of each notebook, from its last record: the longest start first
    for paper, notebook, _, _ in plan:
        old = _records.read_if_any(_records.path_for(root, paper.stem, notebook)) if not smoke else None
        if old:
            expected[Path(notebook).stem] = old["seconds"] / len(_records.runs_of(old))

    settled: dict[str, list] = {}
    judged, failures, written = [], [], set()

    def settle(paper, notebook, parameters, mine, done):
        """All seeds of one notebook are done: write its record (full scale) and judge its claims."""
        claims = [c for c in paper.claims if c.notebook == notebook]
        failed = [o for o in done if o.error is not None]
        if failed:
            for o in failed:
                print(f"{paper.stem}: {notebook} seed {o.task.seed} failed: {o.error}", file=log)
            judged.extend(Row(c, "not run") for c in claims)
            failures.append(notebook)
            return
        runs = [{"seed": o.task.seed, "metrics": o.result.metrics, "seconds": o.result.seconds, "worker": o.worker} for o in done]
        source = f"{notebook} ({scale} run, {len(runs)} seed{'s' if len(runs) > 1 else ''})"
        kept = {k: v for k, v in parameters.items() if k != "scale"}
        record = _records.make(paper.stem, notebook, scale, kept, runs, root, pooled=_pooled(claims))
        if not smoke:
            for c in claims:  # a record that cannot be judged is not written
                _claims.verdict(c, record["metrics"], source=source)
            path = _records.write(_records.path_for(root, paper.stem, notebook), record)
            print(f"record: {path.relative_to(root)} ({len(runs)} seeds, {record['seconds']:.1f} s)", file=log)
        for c in claims:
            row = _judge(c, record["metrics"], True, source) if smoke else judge_seeds(c, record, source)
            row.record, row.state = (record, "current") if not smoke else (None, None)
            judged.append(row)

    by_notebook = {nb: (paper, nb, parameters, mine) for paper, nb, parameters, mine in plan}

    def on_done(outcome):
        entry = by_notebook[outcome.task.notebook]
        settled.setdefault(outcome.task.notebook, []).append(outcome)
        if len(settled[outcome.task.notebook]) == len(entry[3]):
            done = sorted(settled[outcome.task.notebook], key=lambda o: o.task.seed)
            try:
                settle(*entry, done)
            except _claims.ClaimsError as exc:  # e.g. a metric a claim needs is missing: say so, run on
                print(f"{entry[0].stem}: {entry[1]}: {exc}", file=log)
                judged.extend(Row(c, "not run") for c in entry[0].claims if c.notebook == entry[1])
                failures.append(entry[1])

    executor.run_all(root, tasks, cache_dir, force=force, scheduler=scheduler, workers=workers, log=log,
                     expected=expected, on_done=on_done)
    order = {c.full_id: i for i, (paper, _, _, _) in enumerate(plan) for c in paper.claims}
    judged.sort(key=lambda r: order.get(r.claim.full_id, 0))

    if smoke:
        print("smoke scale: the verdicts are those of the smoke rules; no record is written and the baseline is not read", file=out)
        print(table(judged), file=out)
        failed = [r.claim.full_id for r in judged if r.verdict == "misses" or (r.verdict == "not run" and r.claim.smoke_rule)]
        if failed:
            print(f"\nsmoke rules that fail: {', '.join(failed)}", file=out)
        return 1 if failed or failures else 0

    for entry in cache_dir.glob("scoreboard-*"):  # the scoreboard page reads the records
        shutil.rmtree(entry, ignore_errors=True)
    print(table(judged), file=out)
    verdicts = {c.full_id: _recorded_verdict(root, c) for p in everything for c in p.claims}  # the claims not run now
    verdicts.update({r.claim.full_id: r.verdict for r in judged})
    baseline = read_baseline(root)
    worse, better = compare(verdicts, baseline or {})
    print(f"\n{headline(judged)}", file=out)
    if baseline is None:
        print(f"no baseline yet ({BASELINE}): nothing counts as worse; `backprop reproduce --accept` writes one", file=out)
    for what, changes in (("worse", worse), ("better", better)):
        if changes:
            listed = ", ".join(f"{k} ({before} -> {now})" for k, before, now in changes)
            print(f"{what} than the baseline ({BASELINE}): {listed}", file=out)
    if accept:
        write_baseline(root, verdicts)
        print(f"baseline written: {BASELINE} ({len(worse) + len(better)} changed; say why in the commit)", file=out)
    elif worse:
        print("every full run fails until the change is fixed, or recorded with `backprop reproduce --accept` "
              "(and the reason in the commit)", file=out)
    return 1 if (worse and not accept) or failures else 0


def judge_run(notebook: str, metrics: dict, root: Path | str | None = None) -> list[Row]:
    """Every registered claim on ``notebook`` judged by its full-scale rule on the ``metrics`` of a run.

    A notebook calls this at its end to show its own verdicts (at smoke scale they
    are only a preview: the book's are those of the full run).
    """
    from backprop_book.build import find_root

    root = Path(root) if root else find_root(".")
    found = [c for paper in _claims.load_all(root) for c in paper.claims if c.notebook == notebook]
    if not found:
        raise _claims.ClaimsError(f"no claim in {root / 'reproductions'} names the notebook {notebook}")
    return [_judge(c, metrics, False, f"{notebook} (this run)") for c in found]


VERDICT_CSS = {v: "verdict-" + v.replace(" ", "-") for v in _claims.VERDICTS}  # a badge per verdict (book.css)


def _html(head: list[str], body: list, caption: str, css: str = "scoreboard") -> str:
    """A table; each row of ``body`` is a list of cells, or ``(attributes, cells)`` with the row's
    ``data-`` attributes (what the scoreboard's filters read). Each cell carries its column's name
    (``data-label``), which the narrow layout shows beside the value."""
    out = [f'<table class="{css}">\n<caption>{html.escape(caption)}</caption>\n<thead><tr>'
           + "".join(f'<th scope="col">{h}</th>' for h in head) + "</tr></thead>\n<tbody>"]
    for row in body:
        attributes, cells = row if isinstance(row, tuple) else ({}, row)
        attrs = "".join(f' data-{k}="{html.escape(str(v))}"' for k, v in attributes.items())
        out.append(f"<tr{attrs}>" + "".join(f'<td data-label="{html.escape(h)}">{x}</td>' for h, x in zip(head, cells)) + "</tr>")
    out.append("</tbody>\n</table>")
    return "\n".join(out)


def _breakable(name: str) -> str:
    """``name`` escaped, with a line-break opportunity after each dot and underscore (ids are long words)."""
    return html.escape(name).replace(".", ".<wbr>").replace("_", "_<wbr>")


def _rule_cell(r: Row) -> str:
    reg = r.claim.registered
    if reg is None:
        return "-"
    text = html.escape(reg.on) + (f" ({html.escape(reg.commit)})" if reg.commit else "")
    if reg.post_hoc:
        text += "<br><strong>post hoc</strong>: set after our runs were seen"
    n = len(r.claim.withdrawn)
    return text + (f"<br>replaces {n} withdrawn rule{'s' if n > 1 else ''}" if n else "")


def _record_cell(r: Row) -> str:
    return html.escape(r.hardware) + (f"<br><strong>{STATE_NOTE[r.state]}</strong>" if r.state in STATE_NOTE else "")


def rule_words(claim: _claims.Claim) -> str:
    """The claim's full-scale rule in words, e.g. ``"holds when ours is within 10% of the paper's (450-550)"``."""
    (kind, x), = claim.rule.items()
    p = claim.published
    if kind in ("tolerance", "relative", "factor"):
        low, high = _claims.band(claim.rule, p)
        how = {"tolerance": f"within {_number(x)} of", "relative": f"within {x:.0%} of", "factor": f"within a factor {_number(x)} of"}[kind]
        return f"holds when ours is {how} the paper's value ({_number(low)} to {_number(high)})"
    if kind == "interval":
        return f"holds when the paper's value lies between our {x[0]} and {x[1]}"
    if kind in ("at_least", "at_most"):
        bound = "the paper's value" if x == "published" else _number(x)
        return f"holds when ours is {'at least' if kind == 'at_least' else 'at most'} {bound}"
    if kind == "holds":
        return f"holds when the run's {x} is true"
    return f"holds when at least {x['at_least']:.0%} of our networks reach the paper's count ({x['metric']})"


def _seeds_cell(r: Row) -> str:
    if r.of is None:
        return "-"
    return f"{r.held} of {r.of}" + ('<br><span class="fragile">fragile</span>' if r.fragile else "")


def _details(r: Row, links: bool) -> str:
    """What one click on a claim opens: its wording, where the paper says it, the rule, and the run."""
    c = r.claim
    items = [("the paper says", html.escape(c.claim)), ("where", html.escape(c.where)),
             ("source checked", ("yes" + (f": {html.escape(c.source_read)}" if c.source_read else "")) if c.verified else "no"),
             ("rule", f"{html.escape(rule_words(c))} <code>{html.escape(json.dumps(c.rule))}</code>"),
             ("rule set", _rule_cell(r))]
    if r.rank is not None:
        items.append(("percentile", f"the paper's value sits at our {r.rank:.0%} percentile"))
    if r.of is not None:
        items.append(("seeds", html.escape(r.seeds_text)))
    if c.note:
        items.append(("note", html.escape(c.note)))
    if links:
        page = Path(c.notebook).stem
        items += [("ran on", _record_cell(r)), ("notebook", f'<a href="{page}.html">{html.escape(page)}</a>')]
    elif r.state in STATE_NOTE:
        items.append(("record", _record_cell(r)))
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def html_table(rows: list[Row], caption: str, links: bool = True) -> str:
    """The scoreboard (or one notebook's verdicts) as an HTML table: one compact row per claim
    (claim, ours, paper, verdict, seeds), the wording, source and rule folded under the claim
    (``<details>``); every row given, facts included (the scoreboard page passes the falsifiable
    ones, and the facts to :func:`facts_table`). Each row carries its paper and verdict
    (``data-paper``, ``data-verdict``) for the page's filters (``book/_static/scoreboard.js``)."""
    body = []
    for r in rows:
        summary = f"<strong>{_breakable(r.claim.full_id)}</strong>"
        cells = [f"<details><summary>{summary}</summary>{_details(r, links)}</details>", html.escape(r.our_value),
                 html.escape(r.paper_value), f'<strong class="verdict {VERDICT_CSS[r.verdict]}">{r.verdict}</strong>',
                 _seeds_cell(r)]
        body.append(({"claim": r.claim.full_id, "paper": r.claim.paper, "verdict": r.verdict}, cells))
    return _html(["claim", "ours", "paper", "verdict", "seeds"], body, caption, css="scoreboard scoreboard-claims")


def summary_table(rows: list[Row], caption: str = "Falsifiable claims per paper and verdict") -> str:
    """How many falsifiable claims of each paper hold, are inconclusive, miss or were not run, with
    the totals; on the scoreboard page, a count is also a filter of the table of claims (scoreboard.js)."""
    claims = [r for r in rows if r.claim.falsifiable]
    papers = list(dict.fromkeys(r.claim.paper for r in claims))

    def count(paper, verdict):
        n = sum((paper is None or r.claim.paper == paper) and (verdict is None or r.verdict == verdict) for r in claims)
        attributes = "".join(f' data-{k}="{html.escape(v)}"' for k, v in (("paper", paper), ("verdict", verdict)) if v)
        return f'<span class="count"{attributes}>{n}</span>'

    body = [[f"<strong>{_breakable(p)}</strong>"] + [count(p, v) for v in _claims.VERDICTS] + [count(p, None)] for p in papers]
    body.append(["<strong>all papers</strong>"] + [count(None, v) for v in _claims.VERDICTS] + [count(None, None)])
    return _html(["paper", *_claims.VERDICTS, "all"], body, caption, css="scoreboard scoreboard-summary")


def facts_table(rows: list[Row], caption: str = "Facts the code asserts (not counted as reproductions)") -> str:
    """The short table of ``kind: fact`` claims: counts the network's constructor asserts."""
    body = [({"claim": r.claim.full_id, "verdict": r.verdict},
             [f"<details><summary><strong>{_breakable(r.claim.full_id)}</strong></summary><dl><dt>the paper says</dt>"
              f"<dd>{html.escape(r.claim.claim)}</dd><dt>where</dt><dd>{html.escape(r.claim.where)}</dd><dt>ran on</dt>"
              f"<dd>{_record_cell(r)}</dd></dl></details>",
              html.escape(r.our_value), html.escape(r.paper_value),
              f'<strong class="verdict {VERDICT_CSS[r.verdict]}">{r.verdict}</strong>'])
            for r in rows if not r.claim.falsifiable]
    return _html(["fact", "ours", "paper", "verdict"], body, caption, css="scoreboard scoreboard-facts")


def withdrawn_table(rows: list[Row], caption: str = "Rules withdrawn, and why") -> str:
    """Every withdrawn rule of the claims on ``rows``: the rule, when it was set and withdrawn, the reason."""
    body = [[_breakable(c.full_id), f"<code>{html.escape(json.dumps(w.rule))}</code>", html.escape(str(w.registered)),
             html.escape(w.withdrawn_on), html.escape(w.reason)] for c, w in withdrawn(rows)]
    return _html(["claim", "withdrawn rule", "set", "withdrawn", "reason"], body, caption, css="scoreboard scoreboard-withdrawn")
