"""The spread over seeds on a reproduction's page, from its record.

A reproduction's page is one run (its default seed); its record holds every seed of the
full-scale reproduction (:mod:`backprop_book.records`). When the book is built, each
registered notebook's executed page gets a last section, made here from the record: for
every claim, this seed's verdict is beside the median over the seeds, the lowest and
highest value, and in how many seeds the claim holds; then every other number the
notebook records, with its spread. A page whose record is missing says so.

The section is added to the executed notebook at build time rather than computed in the
notebook itself: the record is written after the runs it summarises, so a notebook that
read it would have to run again after every reproduction.

Non-goals: judging (:mod:`backprop_book.reproduce` does), drawing the scoreboard.
"""

from __future__ import annotations

import numbers
from pathlib import Path

from backprop_book import claims as _claims
from backprop_book import records as _records


def _number(x) -> str:
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral) or (isinstance(x, float) and x.is_integer() and abs(x) >= 10):
        return f"{int(x):,}"
    return f"{x:.3g}"


def _cell(x) -> str:
    return str(x).replace("|", "\\|")


def section(root: Path | str, notebook: str) -> str | None:
    """The markdown of the "over the seeds" section of ``notebook`` (relative to the root), or None
    when no claim names the notebook."""
    from backprop_book.reproduce import judge_seeds

    root = Path(root)
    found = [c for p in _claims.load_all(root) for c in p.claims if c.notebook == notebook]
    if not found:
        return None
    paper = found[0].paper
    path = _records.path_for(root, paper, notebook)
    record = _records.read_if_any(path)
    head = "## Over the seeds\n\n"
    if record is None:
        return head + (f"No full-scale record yet (`{path.relative_to(root)}`): `backprop reproduce --paper {paper}` "
                       "makes one, over the seeds its claims file asks for.\n")
    runs = _records.runs_of(record)
    seeds = [r["seed"] for r in runs]
    state = _records.staleness(record, root=root)
    commit = (record["git"].get("commit") or "?")[:7] + (" with uncommitted changes" if record["git"].get("dirty") else "")
    text = [head, f"This page is one run. The full-scale record of this notebook holds {len(runs)} seed"
            f"{'s' if len(runs) > 1 else ''} ({', '.join(map(str, seeds))}), run at commit {commit} on "
            f"{record.get('backend') or record['hardware'].get('cpu')} in {record['seconds'] / 60:.1f} minutes of "
            f"notebook time; the scoreboard judges each claim on them."
            + (" **The record is stale**: the library has changed since it was made." if state != "current" else "") + "\n\n"]
    text.append("| claim | metric | median over the seeds | lowest - highest | holds in |\n|---|---|---|---|---|\n")
    for c in found:
        row = judge_seeds(c, record, path)
        values = [r["metrics"].get(c.metric) for r in runs]
        numeric = [v for v in values if isinstance(v, numbers.Real) and not isinstance(v, bool)]
        span = f"{_number(min(numeric))} - {_number(max(numeric))}" if len(numeric) == len(values) and numeric else "-"
        median = record["metrics"].get(c.metric)
        text.append(f"| {_cell(c.full_id)} | `{c.metric}` | {_cell(_number(median) if median is not None and not isinstance(median, (list, str)) else '-')} "
                    f"| {span} | {row.held} of {row.of}{' (fragile)' if row.fragile else ''}: {row.verdict} |\n")
    others = sorted(k for k in record.get("spread", {}) if k not in {c.metric for c in found})
    if others and len(runs) > 1:
        text.append("\n```{dropdown} Every other number this notebook records, over the seeds\n\n")
        text.append("| metric | median | lowest - highest |\n|---|---|---|\n")
        for k in others:
            lo, hi = record["spread"][k]
            text.append(f"| `{k}` | {_cell(_number(record['metrics'][k]))} | {_number(lo)} - {_number(hi)} |\n")
        text.append("```\n")
    return "".join(text)


def add_to(ipynb: Path | str, root: Path | str, notebook: str) -> bool:
    """Append the section to the executed notebook ``ipynb``; False when the notebook has no claims."""
    import nbformat

    text = section(root, notebook)
    if text is None:
        return False
    nb = nbformat.read(ipynb, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, ipynb)
    return True
