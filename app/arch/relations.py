"""Trade-off relations: which specs differ by one layer replacement at matched cost.

Two specs are related when, at matched C, either
- they differ in one contiguous run of layers that is conv-only on both sides (a replacement
  within a stage: Figs. 1-3 of He & Sun 2015), or conv-only on one side and convs plus one
  pooling layer on the other (a stage added at equal cost: E -> J); or
- they are identical once conv and pool strides are ignored (subsampling moved: X -> X').

Candidate pairs come from hashing, not from comparing all pairs: specs that differ only inside
stage i share the key (layers outside stage i, i); removing one pool from a spec gives the keys
under which a stage was added; erasing strides gives the key for subsampling moves.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean

from pydantic import BaseModel

from app.arch.analysis import analyse
from app.arch.layers import LAYER_KINDS, Token, kind_of
from app.arch.notation import format_run
from app.arch.spec import AnyLayer, Conv, Pool, Spec, expand

DEFAULT_TOLERANCE = 0.08  # the paper's models span 0.96-1.03 of A and count as equal cost


class Relation(BaseModel):
    source: str
    target: str
    factors: dict[str, str]  # depth/width/filter size: up|down; stride/pooling: delayed|added
    tradeoff: str  # "depth vs filter size", ...
    figure: int | None  # 1, 2 or 3 when the pair is of the kind the paper's figure shows
    cost_ratio: float  # C(target) / C(source)
    change: str  # "stage 3: (3,256)x2 -> (3,160)x5"


Tokens = tuple[Token, ...]
Shape = tuple[int, int, int]  # the input: channels, height, width
StageKey = tuple[object, ...]  # (input, skeleton, stage index, stages before, stages after) or a strides key

_FIGURES = {
    frozenset({"depth", "filter size"}): 1,
    frozenset({"depth", "width"}): 2,
    frozenset({"width", "filter size"}): 3,
}


@dataclass
class _Node:
    name: str
    layers: list[AnyLayer]
    tokens: Tokens
    conv_macs: int
    rank: tuple[
        int, int, int, int
    ]  # sources come before targets: shallower, fewer pools, earlier subsampling first


def _node(name: str, order: int, spec: Spec) -> _Node:
    layers = expand(spec)
    pools = [layer for layer in layers if isinstance(layer, Pool)]
    convs = sum(isinstance(layer, Conv) for layer in layers)
    rank = (convs, len(pools), -math.prod(p.stride or p.size for p in pools), order)
    return _Node(name, layers, tuple(map(_token, layers)), analyse(spec).conv_macs, rank)


def _token(layer: AnyLayer, strides: bool = True) -> Token:
    return kind_of(layer).token(layer, strides)


def _role(token: Token) -> str:
    return LAYER_KINDS[token[0]].role


def _stages(tokens: Tokens) -> tuple[Tokens, list[Tokens]]:
    """(the non-conv layers, the runs of convs between them)."""
    skeleton: list[Token] = []
    stages: list[Tokens] = []
    run: list[Token] = []
    for token in tokens:
        if _role(token) == "conv":
            run.append(token)
        else:
            skeleton.append(token)
            stages.append(tuple(run))
            run = []
    stages.append(tuple(run))
    return tuple(skeleton), stages


def _stage_keys(head: Shape, tokens: Tokens) -> list[StageKey]:
    skeleton, stages = _stages(tokens)
    return [(head, skeleton, i, tuple(stages[:i]), tuple(stages[i + 1 :])) for i in range(len(stages))]


def _keys(node: _Node, head: Shape) -> tuple[list[StageKey], list[StageKey]]:
    """(keys this node is filed under, keys under which it looks for partners)."""
    own = _stage_keys(head, node.tokens)
    own.append((head, "strides", tuple(_token(layer, strides=False) for layer in node.layers)))
    probes = list(own)
    for i, token in enumerate(node.tokens):
        if _role(token) == "pool":
            without = node.tokens[:i] + node.tokens[i + 1 :]
            probes.extend(_stage_keys(head, without))
    return own, probes


def find_relations(specs: Mapping[str, Spec], tolerance: float = DEFAULT_TOLERANCE) -> list[Relation]:
    """Relations among named specs, each edge once, from the shallower (or earlier-subsampling)
    spec to the other. Costs match when the larger C is within `tolerance` of the smaller."""
    nodes = [_node(name, order, spec) for order, (name, spec) in enumerate(specs.items())]
    filed: dict[StageKey, list[int]] = defaultdict(list)
    probes: list[list[StageKey]] = []
    for i, node in enumerate(nodes):
        spec = specs[node.name]
        own, looks = _keys(node, (spec.input.channels, spec.input.height, spec.input.width))
        for key in own:
            filed[key].append(i)
        probes.append(looks)
    pairs: set[tuple[int, int]] = set()
    for i, looks in enumerate(probes):
        for key in looks:
            for j in filed.get(key, ()):
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
    relations = []
    for i, j in sorted(pairs):
        a, b = sorted((nodes[i], nodes[j]), key=lambda n: n.rank)
        low, high = sorted((a.conv_macs, b.conv_macs))
        if low == 0 or high / low - 1 > tolerance:
            continue
        relation = _relate(a.name, a.layers, a.tokens, b.name, b.layers, b.tokens)
        if relation is not None:
            relations.append(relation.model_copy(update={"cost_ratio": b.conv_macs / a.conv_macs}))
    return sorted(relations, key=lambda r: (r.figure or 9, r.source, r.target))


def relate(source: str, a: list[AnyLayer], target: str, b: list[AnyLayer]) -> Relation | None:
    """The single replacement that turns unrolled layers `a` into `b`, or None if there is none.
    `cost_ratio` is left at 1.0 for the caller to fill in."""
    return _relate(source, a, tuple(map(_token, a)), target, b, tuple(map(_token, b)))


def _relate(
    source: str, a: list[AnyLayer], ta: Tokens, target: str, b: list[AnyLayer], tb: Tokens
) -> Relation | None:
    if ta == tb:
        return None
    if len(a) == len(b) and all(_token(x, False) == _token(y, False) for x, y in zip(a, b, strict=True)):
        return Relation(
            source=source, target=target, factors={"stride/pooling": "delayed"}, tradeoff="stride/pooling",
            figure=None, cost_ratio=1.0, change="subsampling moved into later conv layers",
        )  # fmt: skip
    prefix = 0
    while prefix < min(len(ta), len(tb)) and ta[prefix] == tb[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(ta), len(tb)) - prefix and ta[-1 - suffix] == tb[-1 - suffix]:
        suffix += 1
    mid_a, mid_b = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    pools_a = sum(not isinstance(x, Conv) for x in mid_a)
    pools_b = sum(not isinstance(x, Conv) for x in mid_b)
    if (pools_a, pools_b) not in ((0, 0), (0, 1), (1, 0)) or any(
        not isinstance(x, Conv | Pool) for x in (*mid_a, *mid_b)
    ):
        return None
    factors: dict[str, str] = {}
    if pools_a or pools_b:
        factors["stride/pooling"] = "added" if pools_b else "removed"
    convs_a = [x for x in mid_a if isinstance(x, Conv)]
    convs_b = [x for x in mid_b if isinstance(x, Conv)]
    measures: list[tuple[str, float, float]] = [("depth", len(convs_a), len(convs_b))]
    if convs_a and convs_b:  # a run added or removed whole changes depth alone
        measures.append(("width", fmean(c.filters for c in convs_a), fmean(c.filters for c in convs_b)))
        measures.append(("filter size", fmean(c.size for c in convs_a), fmean(c.size for c in convs_b)))
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
    stage = 1 + sum(isinstance(x, Pool) for x in a[:prefix])
    change = f"stage {stage}: {format_run(mid_a)} -> {format_run(mid_b)}"
    return Relation(
        source=source, target=target, factors=factors, tradeoff=tradeoff,
        figure=figure, cost_ratio=1.0, change=change,
    )  # fmt: skip
