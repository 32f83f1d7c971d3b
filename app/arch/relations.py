"""Trade-off relations: which specs differ by one layer replacement at matched cost.

Two specs are related when, at matched C, either
- they differ in one contiguous run of layers that is conv-only on both sides (a replacement
  within a stage: Figs. 1-3 of He & Sun 2015), or conv-only on one side and convs plus one
  pooling layer on the other (a stage added at equal cost: E -> J); or
- they are identical once conv and pool strides are ignored (subsampling moved: X -> X').

Candidate pairs come from hashing, not from comparing all pairs (`app.arch.relation_index`):
specs that differ only inside stage i share the key (layers outside stage i); removing one pool
from a spec gives the key under which a stage was added; erasing strides gives the key for
subsampling moves. The work is bounded (docs/design.md, "Bounded cost"): identical specs are
compared once, candidate pairs are counted before any is compared, and a caller's `max_pairs`
refuses a request over it with `TooManyPairs`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from pydantic import BaseModel

from app.arch.analysis import analyse
from app.arch.relation_index import Candidates, Index, Key, Node, Shape, common_prefix
from app.arch.spec import AnyLayer, Spec, expand

DEFAULT_TOLERANCE = 0.08  # the paper's models span 0.96-1.03 of A and count as equal cost


class Relation(BaseModel):
    source: str
    target: str
    factors: dict[str, str]  # depth/width/filter size: up|down; stride/pooling: delayed|added
    tradeoff: str  # "depth vs filter size", ...
    figure: int | None  # 1, 2 or 3 when the pair is of the kind the paper's figure shows
    cost_ratio: float  # C(target) / C(source)
    change: str  # "stage 3: (3,256)x2 -> (3,160)x5"


class TooManyPairs(ValueError):
    """The specs give more candidate pairs at matched cost than the caller allows; nothing
    was compared. `pairs` counts pairs of names (a spec sent twice is paired twice)."""

    def __init__(self, pairs: int, limit: int) -> None:
        super().__init__(f"{pairs:,} pairs of specs at matched cost to compare; the limit is {limit:,}")
        self.pairs, self.limit = pairs, limit


_Edge = tuple[dict[str, str], str, int | None, str]  # factors, tradeoff, figure, change

_FIGURES = {
    frozenset({"depth", "filter size"}): 1,
    frozenset({"depth", "width"}): 2,
    frozenset({"width", "filter size"}): 3,
}


def find_relations(
    specs: Mapping[str, Spec],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    conv_macs: Mapping[str, int] | None = None,
    max_pairs: int | None = None,
) -> list[Relation]:
    """Relations among named specs, each edge once, from the shallower (or earlier-subsampling)
    spec to the other. Costs match when the larger C is within `tolerance` of the smaller.

    `conv_macs` (by name) saves analysing specs the caller has analysed already. With
    `max_pairs`, raises `TooManyPairs` before comparing anything when the candidate pairs at
    matched cost are more than that."""
    index = Index()
    nodes: list[Node] = []
    keys: list[tuple[list[Key], list[Key]]] = []
    by_sequence: dict[tuple[Shape, bytes], Node] = {}
    for names in _same_json(specs).values():
        spec = specs[names[0][1]]
        head = (spec.input.channels, spec.input.height, spec.input.width)
        macs = conv_macs[names[0][1]] if conv_macs is not None else analyse(spec).conv_macs
        node = index.node(expand(spec), macs, names)
        twin = by_sequence.get((head, node.forward))
        if twin is not None:  # the same layers written another way ((3,64)x2 or two (3,64))
            twin.names.extend(names)
            continue
        by_sequence[(head, node.forward)] = node
        nodes.append(node)
        keys.append(index.keys(node, head))
    candidates = Candidates(nodes, keys, tolerance)
    if max_pairs is not None:
        pairs = candidates.count()
        if pairs > max_pairs:
            raise TooManyPairs(pairs, max_pairs)
    relations = []
    for i, j in dict.fromkeys(candidates.pairs()):
        relations.extend(_between(index, nodes[i], nodes[j]))
    return sorted(relations, key=lambda r: (r.figure or 9, r.source, r.target))


def _same_json(specs: Mapping[str, Spec]) -> dict[str, list[tuple[int, str]]]:
    """(order, name) of the specs, grouped by their JSON without the name: identical specs are
    expanded, keyed and compared once (a request of 1,000 copies costs what one does)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    seen: dict[int, str] = {}  # one object under many names is serialised once
    for order, (name, spec) in enumerate(specs.items()):
        key = seen.get(id(spec))
        if key is None:
            key = seen[id(spec)] = spec.model_dump_json(exclude={"name"})
        groups.setdefault(key, []).append((order, name))
    return groups


def _between(index: Index, x: Node, y: Node) -> list[Relation]:
    """The relation between every name of `x` and every name of `y`, directed by rank (and,
    between specs of equal rank, by the order they were given in)."""
    found: dict[bool, _Edge | None] = {}
    out = []
    for order_x, name_x in x.names:
        for order_y, name_y in y.names:
            forward = (x.rank, order_x) < (y.rank, order_y)
            if forward not in found:
                found[forward] = _relate(index, x, y) if forward else _relate(index, y, x)
            edge = found[forward]
            if edge is not None:
                a, b = (x, y) if forward else (y, x)
                source, target = (name_x, name_y) if forward else (name_y, name_x)
                out.append(_relation(source, target, edge, b.conv_macs / a.conv_macs))
    return out


def _relation(source: str, target: str, edge: _Edge, cost_ratio: float) -> Relation:
    factors, tradeoff, figure, change = edge
    # built from checked parts: model_construct skips a validation per edge (up to the pair budget)
    return Relation.model_construct(
        source=source, target=target, factors=dict(factors), tradeoff=tradeoff,
        figure=figure, cost_ratio=cost_ratio, change=change,
    )  # fmt: skip


def relate(source: str, a: list[AnyLayer], target: str, b: list[AnyLayer]) -> Relation | None:
    """The single replacement that turns unrolled layers `a` into `b`, or None if there is none.
    `cost_ratio` is left at 1.0 for the caller to fill in."""
    index = Index()
    edge = _relate(index, index.node(a, 0, []), index.node(b, 0, []))
    return _relation(source, target, edge, 1.0) if edge is not None else None


def _relate(index: Index, a: Node, b: Node) -> _Edge | None:
    """The replacement from `a` to `b`, in O(log L) plus the `change` text:
    the differing run comes from common prefix and suffix searches, its measures from the
    nodes' prefix sums."""
    if a.forward == b.forward:
        return None
    if a.loose == b.loose:
        return (
            {"stride/pooling": "delayed"},
            "stride/pooling",
            None,
            "subsampling moved into later conv layers",
        )
    shortest = min(len(a.ids), len(b.ids))
    start = common_prefix(a.forward, b.forward, shortest)
    suffix = common_prefix(a.backward, b.backward, shortest - start)
    end_a, end_b = len(a.ids) - suffix, len(b.ids) - suffix
    if a.others[end_a] != a.others[start] or b.others[end_b] != b.others[start]:
        return None  # the head or an spp changed: not a replacement
    pools = (a.pools[end_a] - a.pools[start], b.pools[end_b] - b.pools[start])
    if pools not in ((0, 0), (0, 1), (1, 0)):
        return None
    factors: dict[str, str] = {}
    if pools != (0, 0):
        factors["stride/pooling"] = "added" if pools[1] else "removed"
    convs_a, convs_b = a.convs[end_a] - a.convs[start], b.convs[end_b] - b.convs[start]
    measures: list[tuple[str, float, float]] = [("depth", convs_a, convs_b)]
    if convs_a and convs_b:  # a run added or removed whole changes depth alone
        for factor, sums_a, sums_b in (("width", a.filters, b.filters), ("filter size", a.sizes, b.sizes)):
            before = (sums_a[end_a] - sums_a[start]) / convs_a
            measures.append((factor, before, (sums_b[end_b] - sums_b[start]) / convs_b))
    for factor, before, after in measures:
        if not math.isclose(before, after):
            factors[factor] = "up" if after > before else "down"
    moved = frozenset(factors) - {"stride/pooling"}
    if "stride/pooling" in factors:
        tradeoff, figure = "stride/pooling", None
    else:
        tradeoff = " vs ".join(f for f in ("depth", "width", "filter size") if f in moved)
        figure = _FIGURES.get(moved)
        if len(moved) == 3:
            tradeoff = "depth vs width and filter size"
    stage = 1 + a.pools[start]
    change = f"stage {stage}: {index.describe(a, start, end_a)} -> {index.describe(b, start, end_b)}"
    return factors, tradeoff, figure, change
