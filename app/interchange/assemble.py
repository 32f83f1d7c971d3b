"""Neutral nodes -> Spec: the one set of rules for every import (docs/design.md, "Interchange").

A spec is a chain: conv + ReLU, pools, SPP or global average pooling, then fc layers, each but
the last followed by a ReLU, dropout only at an fc's input. The nodes are walked in order; each
must read the output of the one before it (SPP's levels excepted). Whatever a spec cannot say
exactly is refused, naming the node, its op and why: never a spec that computes something else.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pydantic import ValidationError

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.layers import LAYER_KINDS, LayerProblem, Tensor
from app.arch.spec import FC, SPP, AnyLayer, Conv, GlobalAvgPool, Padding, Pool, Spec, compact
from app.interchange import spp
from app.interchange.nodes import Graph, Node, Pads, Refused, adaptive_bins, flattens, refuse, resolve_pads

FLAT_ONLY = "the map was flattened before it; after a flatten only fc layers follow"


@dataclass
class Chain:
    """Where the walk is: the layers so far, the tensor after them, and what is still open."""

    tensor: Tensor
    layers: list[AnyLayer] = field(default_factory=list)
    flattened: bool = False  # a flatten (or gap) ran: only dropout and fc may follow
    rank4: bool = True  # the tensor is still N x C x H x W (gap's N x C x 1 x 1 until flattened)
    pad: tuple[Node, Pads] | None = None  # a Pad waiting for its conv
    dropout: tuple[Node, float] | None = None  # a dropout waiting for its fc
    open: Node | None = None  # a conv or fc whose ReLU has not come yet
    fc_relu: Node | None = None  # the ReLU after the latest fc, if it had one


def assemble(graph: Graph) -> Spec:
    """The spec of `graph`, validated by analysis; Refused (an Invalid, 422) naming the node."""
    regions = spp.find_regions(graph)
    member = {where for region in regions.values() for where in region.members}
    chain = Chain(Tensor(graph.shape.channels, (graph.shape.height, graph.shape.width)))
    current = graph.input
    for node in graph.nodes:
        if node.where in regions:
            region = regions[node.where]
            _expect(node, current, region.source)
            _pyramid(chain, region, graph.batch)
            current = node.output
        elif node.where not in member:
            _expect(node, current)
            _step(chain, node, graph.batch)
            current = node.output
    if current != graph.output:
        raise Refused(
            f"the graph's output {graph.output!r} is not the end of its chain of layers", "graph.output"
        )
    _finish(chain)
    try:
        spec = Spec(name=graph.name, input=graph.shape, layers=compact(chain.layers))
        analyse(spec)  # the documented limits (layers, cost, parameters) hold for imports too
    except (ValidationError, SpecError) as error:
        message = error.message if isinstance(error, SpecError) else str(error.errors()[0]["msg"])
        raise Refused(f"the imported network exceeds a limit: {message}", "graph") from None
    return spec


def _expect(node: Node, current: str, reads: str | None = None) -> None:
    """Every node reads the output of the one before it: a spec is a chain."""
    if node.kind in ("concat", "gather") and reads is None:
        raise refuse(
            node, "joins or picks from tensors outside the pattern of SPP; a spec is a chain of layers"
        )
    reads = reads if reads is not None else (node.inputs[0] if len(node.inputs) == 1 else None)
    if reads != current:
        raise refuse(
            node,
            f"reads {', '.join(map(repr, node.inputs))}, not the output of the layer before it "
            f"({current!r}): branches (residual connections, Inception blocks, several heads) are "
            "not a chain of layers",
        )


def _add(chain: Chain, node: Node, layer: AnyLayer) -> None:
    try:
        step = LAYER_KINDS[layer.type].step(layer, chain.tensor)
    except LayerProblem as problem:
        raise refuse(node, problem.message) from None
    chain.layers.append(layer)
    chain.tensor = step.out


def _build(node: Node, cls: type[AnyLayer], **fields: object) -> AnyLayer:
    try:
        return cls(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise refuse(node, f"{where}: {str(first['msg']).removeprefix('Value error, ')}") from None


def _closed(chain: Chain, node: Node) -> None:
    """Before any node but a ReLU: the conv or hidden fc before it must have had its ReLU (a
    flatten may come between an fc and the end)."""
    opened = chain.open
    if opened is not None and (opened.kind == "conv" or node.kind not in ("flatten", "reshape")):
        rule = (
            "an isocost conv is conv + ReLU"
            if opened.kind == "conv"
            else "every fc but the last has a ReLU after it"
        )
        raise refuse(opened, f"is followed by {node.op} {node.name!r}, not a ReLU; {rule}")
    if chain.pad is not None and node.kind not in ("conv", "pad"):
        raise refuse(chain.pad[0], f"pads before {node.op} {node.name!r}; only a zero pad before a conv maps")
    if chain.dropout is not None and node.kind not in ("fc", "flatten", "reshape", "identity"):
        raise refuse(
            chain.dropout[0],
            f"comes before {node.op} {node.name!r}; isocost has dropout only at an fc's input",
        )


def _map(chain: Chain, node: Node) -> tuple[int, int]:
    if chain.flattened or chain.tensor.hw is None:
        raise refuse(node, FLAT_ONLY)
    return chain.tensor.hw


def _step(chain: Chain, node: Node, batch: int | None) -> None:
    kind = node.kind
    if kind == "identity" or (kind == "dropout" and node.attrs["rate"] == 0):
        return
    if kind == "relu":
        if chain.open is None:
            raise refuse(node, "follows no conv or fc; isocost has a ReLU only after those")
        chain.fc_relu = node if chain.open.kind == "fc" else None
        chain.open = None
        return
    _closed(chain, node)
    if kind == "conv":
        _conv(chain, node)
    elif kind == "pad":
        _map(chain, node)
        pads = node.attrs["pads"]
        before = chain.pad[1] if chain.pad else (0, 0, 0, 0)
        top, bottom, left, right = (a + b for a, b in zip(before, pads, strict=True))
        chain.pad = (node, (top, bottom, left, right))
    elif kind in ("maxpool", "avgpool"):
        _pool(chain, node)
    elif kind in ("global_max", "adaptive_max", "adaptive_avg"):
        _whole(chain, node)
    elif kind == "global_avg":
        _map(chain, node)
        _add(chain, node, GlobalAvgPool())
        chain.flattened, chain.rank4 = True, bool(node.attrs.get("keepdims", True))
    elif kind in ("flatten", "reshape"):
        _flatten(chain, node, batch)
    elif kind == "dropout":
        rate = node.attrs["rate"]
        if chain.dropout is not None:
            raise refuse(node, "a second dropout before the same fc")
        chain.dropout = (node, rate)
    elif kind == "fc":
        _fc(chain, node)
    else:
        raise refuse(node, "has no place in a chain of layers")


def _conv(chain: Chain, node: Node) -> None:
    h, w = _map(chain, node)
    a = node.attrs
    (kh, kw), (sh, sw) = a["kernel"], a["stride"]
    if not a.get("bias", True):
        raise refuse(node, "has no bias; an isocost conv has one (its parameter count would differ)")
    if a.get("dilation", (1, 1)) != (1, 1):
        raise refuse(node, f"is dilated {a['dilation']}; isocost's convs are not")
    if kh != kw or sh != sw:
        raise refuse(
            node, f"has a {kh}x{kw} filter with stride {sh}x{sw}; isocost's filters and strides are square"
        )
    groups = a.get("groups", 1)
    if a["in_channels"] * groups != chain.tensor.channels:
        raise refuse(
            node,
            f"expects {a['in_channels'] * groups} input channels; the tensor before it has {chain.tensor.channels}",
        )
    padding: Padding
    if chain.pad is not None:
        extra = chain.pad[1]
        own = resolve_pads(node, h + extra[0] + extra[1], w + extra[2] + extra[3])
        padding = tuple(x + y for x, y in zip(extra, own, strict=True))  # type: ignore[assignment]
        chain.pad = None  # a Pad node gives the four-number form, as onnx_export writes it
    elif a.get("auto") == "same_upper":
        padding = "same"  # exactly isocost's "same": the odd pixel after (docs/design.md, "Interchange")
    elif a.get("auto") == "valid" or (a.get("auto") is None and a.get("pads") is None):
        padding = "valid"
    else:
        pads = resolve_pads(node, h, w)
        padding = pads[0] if len(set(pads)) == 1 else pads
    _add(
        chain,
        node,
        _build(node, Conv, filters=a["filters"], size=kh, stride=sh, padding=padding, groups=groups),
    )
    chain.open = node


def _pool(chain: Chain, node: Node) -> None:
    h, w = _map(chain, node)
    a = node.attrs
    (kh, kw), (sh, sw) = a["kernel"], a["stride"]
    if kh != kw or sh != sw:
        raise refuse(node, f"has a {kh}x{kw} window with stride {sh}x{sw}; isocost's pools are square")
    if a.get("dilation", (1, 1)) != (1, 1):
        raise refuse(node, "is dilated; isocost's pools are not")
    pads = resolve_pads(node, h, w)
    if len(set(pads)) != 1:
        raise refuse(
            node, f"pads {pads} (top, bottom, left, right); isocost pads a pool equally on every side"
        )
    p = pads[0]
    if a.get("ceil") and any(_ceil(side, kh, sh, p) != (side + 2 * p - kh) // sh + 1 for side in (h, w)):
        raise refuse(
            node, "rounds its output size up (ceil mode) where that adds a window; isocost rounds down"
        )
    if node.kind == "avgpool" and p and not a.get("count_include_pad", True):
        raise refuse(node, "leaves padding out of its averages; isocost's avgpool counts it, as PyTorch does")
    _add(chain, node, _build(node, Pool, type=node.kind, size=kh, stride=sh, padding=p))


def _ceil(side: int, size: int, stride: int, pad: int) -> int:
    out = -(-(side + 2 * pad - size) // stride) + 1
    return out - 1 if (out - 1) * stride >= side + pad else out  # the last window must start inside


def _whole(chain: Chain, node: Node) -> None:
    """A global max pool or adaptive pooling outside SPP: a plain pool when its windows are one."""
    h, w = _map(chain, node)
    out = node.attrs.get("out", (1, 1))
    if node.kind == "adaptive_avg" and out == (1, 1):
        _add(chain, node, GlobalAvgPool())
        chain.flattened = True
        return
    if out == (h, w):
        return  # pooling to the size it has: nothing happens
    rows, cols = adaptive_bins(h, out[0]), adaptive_bins(w, out[1])
    sizes = {end - start for start, end in rows + cols}
    strides = {b[0] - a[0] for bins in (rows, cols) for a, b in itertools.pairwise(bins)} or {h}
    if len(sizes) != 1 or len(strides) != 1 or len(rows) != len(cols):
        raise refuse(
            node,
            f"pools the {h}x{w} map to {out[0]}x{out[1]} with windows of uneven sizes; isocost's pools are uniform",
        )
    kind = "avgpool" if node.kind == "adaptive_avg" else "maxpool"
    _add(chain, node, _build(node, Pool, type=kind, size=sizes.pop(), stride=strides.pop()))


def _flatten(chain: Chain, node: Node, batch: int | None) -> None:
    t = chain.tensor
    dims = (t.channels, *t.hw) if t.hw is not None else ((t.channels, 1, 1) if chain.rank4 else (t.channels,))
    features = t.channels * (t.hw[0] * t.hw[1] if t.hw else 1)
    if node.kind == "reshape" and not flattens(node, dims, batch, (features,)):
        raise refuse(
            node, f"reshapes to {tuple(node.attrs['shape'])}; only a flatten to (batch, features) maps"
        )
    chain.flattened, chain.rank4 = True, False


def _fc(chain: Chain, node: Node) -> None:
    t = chain.tensor
    if (t.hw is not None and not chain.flattened) or chain.rank4:
        raise refuse(node, "reads an unflattened map; flatten it first (Flatten, torch.flatten)")
    features = t.channels * (t.hw[0] * t.hw[1] if t.hw else 1)
    a = node.attrs
    if a["in_features"] != features:
        raise refuse(node, f"expects {a['in_features']} inputs; the tensor before it has {features}")
    if not a.get("bias", True):
        raise refuse(node, "has no bias; an isocost fc has one (its parameter count would differ)")
    rate = chain.dropout[1] if chain.dropout else 0.0
    chain.dropout = None
    _add(chain, node, _build(node, FC, units=a["units"], dropout=rate))
    chain.open, chain.fc_relu, chain.rank4 = node, None, False


def _pyramid(chain: Chain, region: spp.Region, batch: int | None) -> None:
    _closed(chain, region.concat)
    h, w = _map(chain, region.concat)
    levels = spp.levels(region, chain.tensor.channels, h, w, batch)
    _add(chain, region.concat, _build(region.concat, SPP, levels=levels))
    chain.flattened, chain.rank4 = True, False


def _finish(chain: Chain) -> None:
    if chain.open is not None and chain.open.kind == "conv":
        raise refuse(chain.open, "ends the network without a ReLU; an isocost conv is conv + ReLU")
    for pending, what in (
        (chain.pad, "pads after the last layer"),
        (chain.dropout, "is a dropout after the last fc"),
    ):
        if pending is not None:
            raise refuse(pending[0], what)
    if chain.fc_relu is not None and chain.layers and isinstance(chain.layers[-1], FC):
        raise refuse(chain.fc_relu, "follows the last fc; isocost's classifier (the last fc) has no ReLU")
    if not chain.layers:
        raise Refused("the graph has no layer a spec can hold", "graph")
