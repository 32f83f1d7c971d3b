"""Graph helpers for the relation figures: the paper's figure subsets, transitive reduction and a
layered layout (plotly draws no graphs, so positions are computed here).

Pure functions on names and edges; no plotly, no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import pairwise

# The models each of the paper's figures compares (docs/design.md, "Relations").
PAPER_FIGURES: dict[int, tuple[str, ...]] = {
    1: ("A", "B", "C", "D", "E"),  # depth vs filter size
    2: ("A", "F", "G", "C", "H", "D", "I"),  # depth vs width
    3: ("B", "F", "E", "I"),  # width vs filter size at equal depth
}
FIGURE_TITLES = {
    1: "Fig. 1: depth vs filter size",
    2: "Fig. 2: depth vs width",
    3: "Fig. 3: width vs filter size at equal depth",
}

Edge = tuple[str, str]


def transitive_reduction(edges: Iterable[Edge]) -> list[Edge]:
    """Drop every edge u->w that another path u->...->w implies (the graph must be acyclic).

    The relation finder links B->E as well as B->D and D->E; the paper draws only the chain.
    Each node's descendants are one bit set (an int), built children first, so the cost is
    O(V + E) set unions rather than a search per edge (docs/design.md, "Bounded cost").
    """
    edges = list(dict.fromkeys(edges))
    successors: dict[str, list[str]] = defaultdict(list)
    bit: dict[str, int] = {}
    for source, target in edges:
        successors[source].append(target)
        for name in (source, target):
            bit.setdefault(name, 1 << len(bit))
    below: dict[str, int] = {}  # node -> the bits of every node reachable from it
    for root in successors:
        if root in below:
            continue
        below[root] = 0
        stack = [(root, iter(successors[root]))]
        while stack:  # depth first, a node's set completed after its children's
            node, children = stack[-1]
            child = next((c for c in children if c not in below), None)
            if child is not None:
                below[child] = 0
                stack.append((child, iter(successors.get(child, ()))))
                continue
            stack.pop()
            for c in successors.get(node, ()):
                below[node] |= bit[c] | below[c]
    via_children = {s: _union(below[c] for c in children) for s, children in successors.items()}
    return [(s, t) for s, t in edges if not bit[t] & via_children[s]]


def _union(sets: Iterable[int]) -> int:
    out = 0
    for bits in sets:
        out |= bits
    return out


def layered_layout(
    depths: Mapping[str, int], edges: Iterable[Edge], gap: float = 1.0
) -> dict[str, tuple[float, float]]:
    """Positions for a layered drawing: x is the node's depth (its number of conv layers).

    Columns are placed left to right. A node sits at the mean of where its parents (in earlier
    columns) put it, each parent fanning its children out around its own height, so siblings
    part and rejoin (the paper's A -> B, C -> D diamond); then the nodes of one column are pushed
    at least `gap` apart, keeping their order and their mean height. Ties keep the given order.
    """
    index = {name: i for i, name in enumerate(depths)}
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    for source, target in dict.fromkeys(edges):
        if source in depths and target in depths and source != target:
            parents[target].append(source)
            children[source].append(target)
    for kids in children.values():
        kids.sort(key=lambda name: (depths[name], index[name]))
    columns: dict[int, list[str]] = defaultdict(list)
    for name in depths:
        columns[depths[name]].append(name)

    y: dict[str, float] = {}
    for depth in sorted(columns):
        names = columns[depth]
        for name in names:
            wanted = [
                y[p] + ((len(children[p]) - 1) / 2 - children[p].index(name)) * gap
                for p in parents[name]
                if depths[p] < depth
            ]
            y[name] = sum(wanted) / len(wanted) if wanted else 0.0
        centre = sum(y[n] for n in names) / len(names)
        names.sort(key=lambda n: (-y[n], index[n]))
        for above, below in pairwise(names):
            y[below] = min(y[below], y[above] - gap)
        shift = centre - sum(y[n] for n in names) / len(names)
        for name in names:
            y[name] += shift
    return {name: (float(depths[name]), y[name]) for name in depths}


def edge_curve(
    start: tuple[float, float], end: tuple[float, float], points: int = 16
) -> list[tuple[float, float]]:
    """Points along a gently bent quadratic Bezier from `start` to `end`.

    Straight lines between layered nodes run through the nodes between them (B -> B' at equal
    depth passes F and H); a bend keeps edges off those nodes and apart from each other. Edges
    within one column bow to the right; others bend to the left of their direction by 12 % of
    their length.
    """
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    if abs(dx) < 1e-9:
        cx, cy = x0 + 0.35 + 0.05 * abs(dy), (y0 + y1) / 2
    else:
        cx, cy = (x0 + x1) / 2 - 0.12 * dy, (y0 + y1) / 2 + 0.12 * dx
    out = []
    for i in range(points + 1):
        t = i / points
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
        out.append((a * x0 + b * cx + c * x1, a * y0 + b * cy + c * y1))
    return out
