"""Finding spatial pyramid pooling in an imported graph (docs/design.md, "Interchange").

SPP is the one place where a spec's network branches: each level max-pools the same map to an
l x l grid, is flattened, and the levels are concatenated. A level is recognised when its cells
cover exactly the bins of adaptive max pooling to l x l (what worker/build.py runs), written as
  - one MaxPool (kernel, stride, no padding) whose windows are those bins,
  - a GlobalMaxPool (level 1), or torch.fx's adaptive_max_pool2d, or
  - isocost's own export of bins of uneven sizes (app.interchange.onnx_export): stride-1 MaxPools,
    one per bin size, each reshaped to N x C x cells, concatenated, then a Gather of the cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.interchange.nodes import Graph, Node, Pair, adaptive_bins, flattens, refuse, windows

POOLS = ("maxpool", "global_max", "adaptive_max")


@dataclass(frozen=True)
class Branch:
    pools: tuple[Node, ...]  # the nodes that read the pyramid's input
    reshapes: tuple[Node, ...]  # uneven bins: each pool's reshape to N x C x cells
    gather: Node | None  # uneven bins: the Gather that picks each bin's cell
    flatten: Node  # the flatten (or reshape) that ends the level


@dataclass(frozen=True)
class Region:
    source: str  # the map the pyramid pools
    concat: Node
    branches: tuple[Branch, ...]
    members: frozenset[str]  # `where` of every node of the pyramid


def find_regions(graph: Graph) -> dict[str, Region]:
    """Every concat of flattened max-pool levels of one map, by the `where` of its concat node."""
    producer = {node.output: node for node in graph.nodes}
    readers: dict[str, int] = {}
    for node in graph.nodes:
        for name in node.inputs:
            readers[name] = readers.get(name, 0) + 1
    regions = {}
    for node in graph.nodes:
        if node.kind == "concat" and node.attrs.get("axis") in (1, -1):
            region = _match(node, producer, readers)
            if region is not None:
                regions[node.where] = region
    return regions


def _match(concat: Node, producer: dict[str, Node], readers: dict[str, int]) -> Region | None:
    branches, members = [], {concat.where}
    for name in concat.inputs:
        flatten = producer.get(name)
        if flatten is None or flatten.kind not in ("flatten", "reshape") or readers.get(name) != 1:
            return None
        inner = producer.get(flatten.inputs[0])
        if inner is None or readers.get(flatten.inputs[0]) != 1:
            return None
        if inner.kind in POOLS:
            branch = Branch((inner,), (), None, flatten)
            chain = [flatten, inner]
        elif inner.kind == "gather" and inner.attrs.get("axis") in (2, -1):
            pools, reshapes, chain = _gathered(inner, producer, readers)
            if not pools:
                return None
            branch = Branch(tuple(pools), tuple(reshapes), inner, flatten)
            chain.append(flatten)
        else:
            return None
        branches.append(branch)
        members.update(node.where for node in chain)
    sources = {pool.inputs[0] for branch in branches for pool in branch.pools}
    if len(sources) != 1:
        return None
    return Region(sources.pop(), concat, tuple(branches), frozenset(members))


def _gathered(
    gather: Node, producer: dict[str, Node], readers: dict[str, int]
) -> tuple[list[Node], list[Node], list[Node]]:
    """The max pools under a Gather of isocost's uneven-bin pattern, their reshapes, and every
    node from the Gather down."""
    joined = producer.get(gather.inputs[0])
    chain = [gather]
    if joined is not None and joined.kind == "concat" and joined.attrs.get("axis") in (2, -1):
        chain.append(joined)
        parts = joined.inputs
    else:
        parts = gather.inputs[:1]
    pools, reshapes = [], []
    for name in parts:
        reshape = producer.get(name)
        if reshape is None or reshape.kind != "reshape" or readers.get(name) != 1:
            return [], [], []
        pool = producer.get(reshape.inputs[0])
        if pool is None or pool.kind != "maxpool" or readers.get(reshape.inputs[0]) != 1:
            return [], [], []
        chain += [reshape, pool]
        pools.append(pool)
        reshapes.append(reshape)
    return pools, reshapes, chain


def levels(region: Region, channels: int, h: int, w: int, batch: int | None) -> tuple[int, ...]:
    """The pyramid's levels, in order, after checking every level's cells against adaptive max
    pooling's bins on the h x w map; Refused naming the node whose windows differ."""
    out = []
    for branch in region.branches:
        cells = _cells(branch, channels, h, w, batch)
        level = math.isqrt(len(cells))
        expected = [(r, c) for r in adaptive_bins(h, level) for c in adaptive_bins(w, level)]
        if not cells or level * level != len(cells) or cells != expected:
            node = branch.gather or branch.pools[0]
            raise refuse(
                node,
                "its windows are not the bins of a pyramid level (adaptive max pooling to an l x l "
                f"grid of the {h}x{w} map), so this concat of pooled maps is not SPP",
            )
        flat = channels * len(cells)
        if branch.flatten.kind == "reshape" and not flattens(
            branch.flatten,
            (channels, level, level) if branch.gather is None else (channels, len(cells)),
            batch,
            (flat,),
        ):
            raise refuse(branch.flatten, "does not flatten the pooled level to (batch, features)")
        out.append(level)
    return tuple(out)


Cell = tuple[Pair, Pair]  # the rows and the columns an output cell covers


def _cells(branch: Branch, channels: int, h: int, w: int, batch: int | None) -> list[Cell]:
    if branch.gather is None:
        pool = branch.pools[0]
        if pool.kind == "global_max":
            return [((0, h), (0, w))]
        if pool.kind == "adaptive_max":
            oh, ow = pool.attrs["out"]
            return [(r, c) for r in adaptive_bins(h, oh) for c in adaptive_bins(w, ow)]
        return _pooled(pool, h, w)
    cells: list[Cell] = []
    for pool, reshape in zip(branch.pools, branch.reshapes, strict=True):
        pooled = _pooled(pool, h, w)
        if not pooled:
            return []
        rows, cols = windows(pool, h, w)
        if not flattens(reshape, (channels, len(rows), len(cols)), batch, (channels, len(pooled))):
            raise refuse(reshape, "does not reshape the pooled map to (batch, channels, cells)")
        cells += pooled
    indices = branch.gather.attrs["indices"]
    if any(not 0 <= i < len(cells) for i in indices):
        raise refuse(branch.gather, "an index is out of range of the pooled cells")
    return [cells[i] for i in indices]


def _pooled(pool: Node, h: int, w: int) -> list[Cell]:
    """The cells of an unpadded, undilated max pool, row-major (what a reshape to N x C x cells keeps)."""
    if pool.kind != "maxpool" or pool.attrs.get("dilation", (1, 1)) != (1, 1) or pool.attrs.get("ceil"):
        return []
    if pool.attrs.get("auto") in ("same_upper", "same_lower") or any(pool.attrs.get("pads") or ()):
        return []
    rows, cols = windows(pool, h, w)
    return [(r, c) for r in rows for c in cols]
