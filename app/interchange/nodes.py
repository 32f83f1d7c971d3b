"""A network read from elsewhere, as neutral nodes: what an ONNX graph (app.interchange.onnx_import)
and a torch.fx trace (worker/fx_import.py) both become before one set of rules turns it into a
spec (app.interchange.assemble). docs/design.md, "Interchange".

Pure: the standard library and app.arch only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.arch.layers import same_padding
from app.arch.spec import InputShape
from app.exceptions import Invalid

Pads = tuple[int, int, int, int]  # top, bottom, left, right: the order of app.arch's reports
Pair = tuple[int, int]  # (height, width)

# What a node does. Its attributes, by kind:
#   conv          filters, in_channels (per group), kernel, stride, dilation (Pairs), groups,
#                 bias (bool), pads (Pads | None), auto ("same_upper" | "same_lower" | "valid" | None)
#   pad           pads (zeros only)
#   maxpool,      kernel, stride, dilation, pads, auto, ceil (bool);
#   avgpool       avgpool also count_include_pad (bool)
#   global_avg    keepdims (bool: the output is still N x C x 1 x 1)
#   global_max    -
#   adaptive_max, out (Pair): adaptive pooling to that grid (torch.fx only)
#   adaptive_avg
#   flatten       - (from dimension 1 on)
#   reshape       shape (ints; 0 copies the input's dimension, -1 is inferred)
#   fc            units, in_features, bias (bool)
#   dropout       rate
#   relu, identity
#   concat        axis;  gather  axis, indices: only inside the pattern of SPP
Kind = Literal[
    "conv", "pad", "relu", "maxpool", "avgpool", "global_avg", "global_max", "adaptive_max",
    "adaptive_avg", "flatten", "reshape", "fc", "dropout", "identity", "concat", "gather",
]  # fmt: skip


@dataclass(frozen=True)
class Node:
    where: str  # the field an error names: "graph.node[5]" for ONNX, "graph.conv1" for torch.fx
    name: str  # as the source names it
    op: str  # the source's operator: "Conv", "nn.Conv2d", "F.relu"
    kind: Kind
    inputs: tuple[str, ...]  # the data tensors it reads (weights and constants are attributes)
    output: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Graph:
    input: str
    shape: InputShape
    nodes: tuple[Node, ...]
    output: str
    name: str | None = None
    batch: int | None = None  # the input's batch size, when the graph fixes it


class Refused(Invalid):
    """A network that a spec cannot express: the message names the node, its op and why (422)."""


def refuse(node: Node, why: str) -> Refused:
    return Refused(f"node {node.name!r} ({node.op}): {why}", node.where)


def resolve_pads(node: Node, h: int, w: int) -> Pads:
    """The explicit (top, bottom, left, right) padding of a conv or pool node on an h x w map."""
    auto = node.attrs.get("auto")
    (kh, kw), (sh, sw) = node.attrs["kernel"], node.attrs["stride"]
    if auto in ("same_upper", "same_lower"):
        top, bottom = same_padding(h, kh, sh)
        left, right = same_padding(w, kw, sw)
        if auto == "same_lower":  # the odd pixel goes before
            top, bottom, left, right = bottom, top, right, left
        return (top, bottom, left, right)
    pads: Pads | None = node.attrs.get("pads")
    return pads if pads is not None and auto != "valid" else (0, 0, 0, 0)


def windows(node: Node, h: int, w: int) -> tuple[list[Pair], list[Pair]]:
    """The [start, end) rows and columns that each output cell of an unpadded max pool covers."""
    (kh, kw), (sh, sw) = node.attrs["kernel"], node.attrs["stride"]
    rows = [(i * sh, i * sh + kh) for i in range((h - kh) // sh + 1)] if h >= kh else []
    cols = [(j * sw, j * sw + kw) for j in range((w - kw) // sw + 1)] if w >= kw else []
    return rows, cols


def adaptive_bins(size: int, level: int) -> list[Pair]:
    """Adaptive pooling's bins (PyTorch's rule): [floor(i * size / level), ceil((i + 1) * size / level))."""
    return [(i * size // level, -(-(i + 1) * size // level)) for i in range(level)]


def flattens(node: Node, dims: Sequence[int], batch: int | None, want: Sequence[int]) -> bool:
    """Whether a reshape node turns a tensor of per-image `dims` into per-image `want` dimensions,
    keeping the batch first (ONNX Reshape: 0 copies the input's dimension unless allowzero, -1 is
    inferred)."""
    target = list(node.attrs["shape"])
    if len(target) != 1 + len(want):
        return False
    full: list[int | None] = [batch, *dims]
    if not node.attrs.get("allowzero"):
        target = [(full[i] if i < len(full) else -2) if t == 0 else t for i, t in enumerate(target)]
    first, rest = target[0], target[1:]
    if first == -1:
        return rest == list(want)
    if first is None or (batch is not None and first == batch):  # the batch, copied or literal
        if rest.count(-1) > 1 or any(t is None or t < -1 for t in rest):
            return False
        known = math.prod(t for t in rest if t is not None and t != -1)
        if -1 in rest:
            if known == 0 or math.prod(dims) % known:
                return False
            rest[rest.index(-1)] = math.prod(dims) // known
        return rest == list(want)
    return False
