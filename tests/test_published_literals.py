"""No notebook types a registered published value into its code: it reads it with ``published``.

The registry (``reproductions/<stem>.yaml``) is the one source of truth for the
papers' numbers. A notebook that writes ``rank_of(558, ...)`` or
``ax.axhline(0.01, ...)`` instead of ``published("rhw1986_pdp.xor_skip_sweeps")``
keeps a stale rank, marker or table when the registry is corrected. This test
parses every code cell of every notebook a claim names and fails on a numeric
literal equal to the published value of a claim on that same notebook.

Not checked: small integers (|v| <= 10: counts such as 2 or 4 are everywhere),
booleans and prose (its numbers are glued). There is no way to excuse a literal:
a number that only happens to equal a published one (a marker size) is changed.
"""

from __future__ import annotations

import ast
import numbers
from collections import defaultdict
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SMALL = 10  # literals with |v| <= SMALL are never flagged


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def registered_values() -> dict[str, list[tuple[str, float]]]:
    """notebook path -> [(full claim id, published value)] for every claim with a numeric value."""
    by_notebook = defaultdict(list)
    for path in sorted((ROOT / "reproductions").glob("*.yaml")):
        for claim in (yaml.safe_load(path.read_text()) or {}).get("claims", []) or []:
            value, notebook = claim.get("published"), claim.get("notebook")
            if notebook and _is_number(value):
                by_notebook[notebook].append((f"{path.stem}.{claim['id']}", value))
    return dict(by_notebook)


def numeric_literals(tree: ast.AST):
    """(line, value) of every int or float literal in ``tree``; ``-558`` counts as one literal, -558."""
    negated = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and _is_number(node.operand.value)
        ):
            negated.add(id(node.operand))
            sign = -1 if isinstance(node.op, ast.USub) else 1
            yield node.lineno, sign * node.operand.value
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and _is_number(node.value) and id(node) not in negated:
            yield node.lineno, node.value


def code_cells(path: Path):
    """(first line of the cell's source in the file, source) of every code cell of a MyST notebook."""
    text = path.read_text()
    at = 0
    for cell in jupytext.read(path).cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        found = text.find(cell.source, at)
        at = found if found >= 0 else at
        yield (text.count("\n", 0, found) + 1 if found >= 0 else 0), cell.source


def typed_values(notebook: str, claims: list[tuple[str, float]]) -> list[str]:
    """A line per literal in ``notebook``'s code that equals one of ``claims``' published values."""
    found = []
    for start, source in code_cells(ROOT / notebook):
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics and the like: not Python, nothing to check
            continue
        for line, value in sorted(numeric_literals(tree), key=lambda lv: lv[0]):
            if abs(value) <= SMALL:
                continue
            for claim_id, published in claims:
                if value == published:
                    found.append(
                        f"{notebook}:{start + line - 1} (line {line} of the code cell at line {start}): "
                        f"literal {value!r} is the published value of {claim_id}; "
                        f'read it with published("{claim_id}")'
                    )
    return found


REGISTERED = registered_values()


@pytest.mark.parametrize("notebook", sorted(REGISTERED))
def test_no_published_value_typed_in_code(notebook):
    assert (ROOT / notebook).is_file(), f"a claim names {notebook}, which does not exist"
    found = typed_values(notebook, REGISTERED[notebook])
    assert not found, "published values typed into notebook code:\n" + "\n".join(found)


def test_the_check_sees_a_typed_value(tmp_path):
    """The detector itself: a literal (also a negative one) equal to a published value is found."""
    nb = tmp_path / "nb.md"
    nb.write_text(
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n  language: python\n---\n\n"
        "# t\n\n```{code-cell} ipython3\nx = 1\n```\n\n"
        "```{code-cell} ipython3\nrank = rank_of(558, runs)\nslope_off = slope / -33 - 1\nsmall = 4\n"
        "plt.scatter(x, y, s=558)  # a marker size\n```\n"
    )
    claims = [("p.sweeps", 558), ("p.slope", -33), ("p.count", 33), ("p.ratio", 4)]
    found = typed_values(str(nb), claims)
    assert len(found) == 3, found
    assert "nb.md:15 " in found[0] and "p.sweeps" in found[0]
    assert "nb.md:16 " in found[1] and "p.slope" in found[1]
