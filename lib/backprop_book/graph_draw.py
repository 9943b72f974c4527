"""Drawings of a traced program: its computation graph and its adjoint graph.

A teaching tool outside the core: it reads only the public fields of
:class:`backprop.autodiff.reverse.Node` (``parents``, ``op``, ``name``, ``needs_grad``,
``shape``) and :func:`backprop.autodiff.reverse.toposort`, and draws with matplotlib alone.

- :func:`draw_graph` draws the forward computation: leaves on the left, each
  operation to the right of its inputs, arrows in the direction values flow.
- :func:`draw_graph` with ``adjoint=True`` draws the adjoint graph on the same
  positions: the arrows reversed, carrying adjoints ``v_bar = dC/dv`` from the
  output back to the variables; constants (data, targets) receive none and are
  greyed out.

Non-goals: a general graph-layout algorithm. The layout puts each node in the
column after its deepest input and orders each column by the rows of its
neighbours, which is clear for the small programs the book draws.
"""

from __future__ import annotations

import re
from collections import defaultdict

from backprop.autodiff.reverse import Node, toposort

FORWARD_COLOUR = "#0072B2"
ADJOINT_COLOUR = "#D55E00"
FADED = "#BBBBBB"


def layout(out: Node) -> dict[Node, tuple[float, float]]:
    """``(column, row)`` of every node ``out`` depends on."""
    order = toposort(out)
    children = defaultdict(list)
    for node in order:
        for p in node.parents:
            children[p].append(node)
    column = {}
    for node in order:  # parents come first
        column[node] = 1 + max((column[p] for p in node.parents), default=-1)
    for node in order:  # a leaf sits just left of its first use
        if not node.parents and children[node]:
            column[node] = min(column[c] for c in children[node]) - 1
    columns = defaultdict(list)
    for node in order:
        columns[column[node]].append(node)
    row = {node: float(i) for nodes in columns.values() for i, node in enumerate(nodes)}
    for _ in range(3):  # order each column by the mean row of its neighbours
        for c in sorted(columns):
            nodes = columns[c]

            def centre(n):
                near = list(n.parents) or children[n]
                return sum(row[m] for m in near) / len(near) if near else row[n]

            nodes.sort(key=centre)
            for i, node in enumerate(nodes):
                row[node] = i - (len(nodes) - 1) / 2
    return {node: (float(column[node]), -row[node]) for node in order}


def _math(name: str, bar: bool) -> str:
    """``"W1"`` -> ``$W_{1}$`` (``$\\bar{W}_{1}$`` for its adjoint); other names as they are."""
    m = re.fullmatch(r"([A-Za-z]+)(\d*)", name)
    if not m:
        return f"$\\bar{{{name}}}$" if bar else name
    letters, digits = m.groups()
    core = f"\\bar{{{letters}}}" if bar else letters
    return f"${core}_{{{digits}}}$" if digits else f"${core}$"


def _label(node: Node, adjoint: bool) -> str:
    shape = "×".join(str(n) for n in node.shape) or "scalar"
    if node.name:
        head = _math(node.name, bar=adjoint and node.needs_grad)
    elif node.op == "constant":
        head = f"{float(node.value):g}" if not node.shape else "const"
    else:
        head = f"$\\bar{{v}}$ {node.op}" if adjoint and node.needs_grad else node.op
    return f"{head}\n{shape}"


def draw_graph(out: Node, ax=None, adjoint: bool = False, title: str | None = None):
    """Draw the graph of ``out`` (or, with ``adjoint=True``, its adjoint graph) on ``ax``."""
    import matplotlib.pyplot as plt

    if not isinstance(out, Node):
        raise TypeError(f"draw_graph() needs a traced Node (see graph.trace), got {type(out).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    pos = layout(out)
    colour = ADJOINT_COLOUR if adjoint else FORWARD_COLOUR
    for node in pos:
        for p in node.parents:
            carries = not adjoint or (p.needs_grad and node.needs_grad)
            start, end = (pos[node], pos[p]) if adjoint else (pos[p], pos[node])
            ax.annotate(
                "", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color=colour if carries else FADED, lw=1.2,
                                shrinkA=16, shrinkB=16, connectionstyle="arc3,rad=0.05"),
            )
    for node, (x, y) in pos.items():
        if node.op == "variable":
            face, edge = "#D9ECF7", FORWARD_COLOUR
        elif node.op == "constant":
            face, edge = "#F2F2F2", "#888888"
        else:
            face, edge = "white", "#333333"
        faded = adjoint and not node.needs_grad
        ax.text(x, y, _label(node, adjoint), ha="center", va="center", fontsize=8,
                color=FADED if faded else "black",
                bbox=dict(boxstyle="round,pad=0.35", fc="white" if faded else face,
                          ec=FADED if faded else (ADJOINT_COLOUR if adjoint and node is out else edge)))
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
