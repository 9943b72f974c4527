"""``backprop reproduce``: run the registered notebooks, keep records, print the scoreboard.

For every claims file in ``reproductions/`` (or the ones asked for), each
notebook its claims name is run once through :func:`backprop_book.runner.run_notebook`
at the chosen scale. A full run leaves a record
(``reproductions/records/<paper>/<notebook>.json``, see :mod:`backprop_book.records`)
and is judged with each claim's ``rule``; a smoke run is judged with the
``smoke_rule`` and leaves no record. The exit status is 1 when a claim that
held in the previous record no longer holds, a smoke rule fails, or a notebook
fails; else 0.

The scoreboard (:func:`rows`) is computed from the registry and the records
alone, so the book's scoreboard page needs no run.

Non-goals: running notebooks in parallel; deciding what a claim means (that is
the registry's job).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from backprop_book import claims as _claims
from backprop_book import records as _records
from backprop_book.runner import NotebookError, UnknownParameterError, parameters_of, read_notebook, run_notebook


@dataclass
class Row:
    """One line of the scoreboard."""

    claim: _claims.Claim
    verdict: str
    measured: object = None
    low: float | None = None
    high: float | None = None
    rank: float | None = None
    limit: float | None = None  # values equal to it are lower bounds (e.g. the sweep limit)
    record: dict | None = None

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
        def show(v):
            if isinstance(v, bool):
                return "yes" if v else "no"
            return f"≥{_number(v)}" if self.limit is not None and v >= self.limit else _number(v)

        text = show(self.measured)
        if self.low is not None:
            text += f" ({show(self.low)}-{show(self.high)})"
        return text

    @property
    def hardware(self) -> str:
        if not self.record:
            return "-"
        hw = self.record["hardware"]
        return hw["gpu"] or f"{hw['cpu']} ({hw['cores']} cores)"


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
    for name in claim.metrics_needed():
        if name not in record["metrics"]:
            raise _claims.ClaimsError(f"{path}: metrics: has no metric {name!r}, which {claim.full_id} needs")
    return record


def _previous_verdict(root: Path, claim: _claims.Claim) -> str:
    """The claim's verdict on the record of the previous full run ("not run" if it cannot be judged there)."""
    record = _records.read_if_any(_records.path_for(root, claim.paper, claim.notebook))  # a malformed record is an error
    try:
        return _claims.verdict(claim, record["metrics"]) if record else "not run"
    except _claims.ClaimsError:  # e.g. a claim added since, whose metric the old record lacks
        return "not run"


def rows(root: Path | str, papers: list | None = None) -> list[Row]:
    """The scoreboard: every claim with its verdict from the latest record."""
    root = Path(root)
    papers = _claims.load_all(root) if papers is None else papers
    out = []
    for paper in papers:
        for claim in paper.claims:
            record = load_record(root, claim)
            source = _records.path_for(root, claim.paper, claim.notebook)
            row = _judge(claim, record["metrics"] if record else None, smoke=False, source=source)
            row.record = record
            out.append(row)
    return out


def table(rows: list[Row]) -> str:
    """The scoreboard as plain text, for the terminal."""
    lines = [("claim", "paper", "ours", "verdict", "hardware")]
    lines += [(r.claim.full_id, r.paper_value, r.our_value, r.verdict, r.hardware) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    text = [fmt.format(*lines[0]), fmt.format(*("-" * w for w in widths))]
    text += [fmt.format(*line) for line in lines[1:]]
    return "\n".join(text)


def reproduce(
    root: Path | str = ".",
    scale: str = "full",
    papers: list[str] | None = None,
    force: bool = False,
    device: str | None = None,
    cache_dir: Path | str | None = None,
    log=sys.stderr,
    out=sys.stdout,
) -> int:
    """Run the registered notebooks at ``scale``; returns the exit status (see the module docstring)."""
    root = Path(root).resolve()
    cache_dir = Path(cache_dir) if cache_dir else root / "_build" / "executed"
    registry = _claims.load_all(root)
    if papers:
        unknown = sorted(set(papers) - {p.stem for p in registry})
        if unknown:
            raise _claims.ClaimsError(f"no claims file for {', '.join(unknown)}; there are {', '.join(p.stem for p in registry)}")
        registry = [p for p in registry if p.stem in papers]
    smoke = scale == "smoke"
    judged, failures = [], []
    for paper in registry:
        for notebook, extra in paper.notebooks().items():
            mine = [c for c in paper.claims if c.notebook == notebook]
            before = {c.id: _previous_verdict(root, c) for c in mine}
            parameters = {**extra, "scale": scale, **({"device": device} if device else {})}
            try:
                result = run_notebook(root / notebook, parameters, cache_dir, force=force, log=log)
            except (NotebookError, UnknownParameterError, FileNotFoundError) as exc:
                print(f"{paper.stem}: {notebook} failed: {exc}", file=log)
                judged += [(Row(c, "not run"), before[c.id]) for c in mine]
                failures.append(notebook)
                continue
            metrics, source = result.metrics, f"{notebook} ({scale} run)"
            if not smoke:
                seed = parameters_of(read_notebook(root / notebook)).get("seed", 0)
                record = _records.make(paper.stem, notebook, scale, {**extra, **({"device": device} if device else {})},
                                       metrics, result.seconds, root, seed=parameters.get("seed", seed))
                for c in mine:  # a record that cannot be judged is not written
                    _claims.verdict(c, metrics, source=source)
                written = _records.write(_records.path_for(root, paper.stem, notebook), record)
                print(f"record: {written.relative_to(root)} ({result.seconds:.1f} s)", file=log)
            for c in mine:
                row = _judge(c, metrics, smoke, source)
                row.record = None if smoke else record
                judged.append((row, before[c.id]))
    if not smoke:
        for entry in cache_dir.glob("scoreboard-*"):  # the scoreboard page reads the records
            shutil.rmtree(entry, ignore_errors=True)

    if smoke:
        print("smoke scale: the verdicts are those of the smoke rules, and no record is written", file=out)
    print(table([row for row, _ in judged]), file=out)
    if smoke:
        failed = [row.claim.full_id for row, _ in judged if row.verdict == "misses" or (row.verdict == "not run" and row.claim.smoke_rule)]
        if failed:
            print(f"\nsmoke rules that fail: {', '.join(failed)}", file=out)
        return 1 if failed or failures else 0
    lost = [row.claim.full_id for row, previous in judged if previous == "holds" and row.verdict != "holds"]
    if lost:
        print(f"\nclaims that held and no longer hold: {', '.join(lost)}", file=out)
    held = sum(row.verdict == "holds" for row, _ in judged)
    print(f"\n{held} of {len(judged)} claims hold", file=out)
    return 1 if lost or failures else 0


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


def html_table(rows: list[Row], caption: str, links: bool = True) -> str:
    """The scoreboard (or one notebook's verdicts) as an HTML table."""
    import html

    def cell(text, tag="td"):
        return f"<{tag}>{text}</{tag}>"

    head = ["claim", "where", "paper", "ours", "verdict", "source checked"] + (["hardware", "notebook"] if links else [])
    out = [f'<table class="scoreboard">\n<caption>{html.escape(caption)}</caption>\n<thead><tr>'
           + "".join(f'<th scope="col">{h}</th>' for h in head) + "</tr></thead>\n<tbody>"]
    for r in rows:
        c = r.claim
        cells = [f"<strong>{html.escape(c.full_id)}</strong><br>{html.escape(c.claim)}", html.escape(c.where),
                 html.escape(r.paper_value), html.escape(r.our_value) + (f"<br>the paper's value sits at our {r.rank:.0%} percentile"
                 if r.rank is not None else ""), f"<strong>{r.verdict}</strong>", "yes" if c.verified else "no"]
        if links:
            page = Path(c.notebook).stem
            cells += [html.escape(r.hardware), f'<a href="{page}.html">{html.escape(page)}</a>']
        out.append("<tr>" + "".join(cell(x) for x in cells) + "</tr>")
    out.append("</tbody>\n</table>")
    return "\n".join(out)
