"""Spec -> ONNX, built from the spec and its analysis with the `onnx` package: no torch, so the API
can export (docs/design.md, "Interchange").

The graph computes exactly what worker/build.py's module computes:
- conv: Conv + Relu. "same" is written `auto_pad=SAME_UPPER` (ONNX's rule is isocost's: the odd
  pixel after, so even filters pad asymmetrically), "valid" `auto_pad=VALID`, `pad p` as `pads`,
  and `pad t:b:l:r` as a Pad node before the conv: the import reads each form back as written;
- pools: MaxPool / AveragePool (averages count the padding, as PyTorch's do);
- spp: per level a MaxPool whose windows are adaptive max pooling's bins, or where bins differ in
  size (a map that the level does not divide) stride-1 MaxPools and a Gather of each bin's cell;
  each level flattened, the levels concatenated;
- gap: GlobalAveragePool + Flatten; fc: [Flatten] [Dropout] Gemm [Relu] (no Relu after the last).
Nodes and parameters are named as the analysis names layers (conv1, conv1.weight, pool1, spp, fc1).
Without weights, each weight is a graph input of its shape (the file is the architecture only);
with weights they are initializers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from app.arch.analysis import LayerReport, analyse
from app.arch.spec import FC, SPP, AnyLayer, Conv, Pool, Spec, expand
from app.interchange.nodes import adaptive_bins

OPSET = 17  # Dropout's ratio as an input (12+), Reshape/Pad inputs; onnxruntime runs it everywhere
IR_VERSION = 8  # the IR of opset 17
INPUT, OUTPUT = "input", "output"


class _Graph:
    """Nodes, parameters (declared as graph inputs) and constants as they are added."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.parameters: list[onnx.ValueInfoProto] = []

    def node(self, op: str, name: str, inputs: list[str], **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def parameter(self, name: str, shape: tuple[int, ...]) -> str:
        self.parameters.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        return name

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name


def _conv(g: _Graph, layer: Conv, report: LayerReport, x: str, classifier: bool) -> str:
    assert report.padding is not None  # the analysis pads every conv
    k, s = layer.size, layer.stride
    attrs: dict[str, Any] = {"kernel_shape": [k, k], "strides": [s, s], "group": layer.groups}
    if layer.padding == "same":
        attrs["auto_pad"] = "SAME_UPPER"
    elif layer.padding == "valid":
        attrs["auto_pad"] = "VALID"
    elif isinstance(layer.padding, int):
        attrs["pads"] = [layer.padding] * 4
    else:  # four numbers: a Pad node before the conv, so that an import gives the four back
        top, bottom, left, right = layer.padding
        pads = g.constant(
            f"{report.name}.pad.pads", np.array([0, 0, top, left, 0, 0, bottom, right], np.int64)
        )
        x = g.node("Pad", f"{report.name}.pad", [x, pads])
    weight = g.parameter(f"{report.name}.weight", (layer.filters, report.in_channels // layer.groups, k, k))
    bias = g.parameter(f"{report.name}.bias", (layer.filters,))
    out = g.node("Conv", report.name, [x, weight, bias], **attrs)
    return g.node("Relu", f"{report.name}.relu", [out])


def _pool(g: _Graph, layer: Pool, report: LayerReport, x: str, classifier: bool) -> str:
    assert layer.stride is not None  # normalised to the size on construction
    attrs: dict[str, Any] = {"kernel_shape": [layer.size] * 2, "strides": [layer.stride] * 2}
    if layer.padding:
        attrs["pads"] = [layer.padding] * 4
    if layer.type == "avgpool":
        attrs["count_include_pad"] = 1  # PyTorch's default, and worker/build.py's
        return g.node("AveragePool", report.name, [x], **attrs)
    return g.node("MaxPool", report.name, [x], **attrs)


def _uniform(bins: list[tuple[int, int]]) -> tuple[int, int] | None:
    """(window, stride) when every bin is one window of a plain pool, else None."""
    sizes = {end - start for start, end in bins}
    stride = bins[1][0] - bins[0][0] if len(bins) > 1 else bins[0][1]
    if len(sizes) != 1 or any(start != i * stride for i, (start, _) in enumerate(bins)):
        return None
    return sizes.pop(), stride


def _spp(g: _Graph, layer: SPP, report: LayerReport, x: str, classifier: bool) -> str:
    assert report.in_hw is not None  # spp pools a map
    h, w = report.in_hw
    levels = []
    for i, level in enumerate(layer.levels):
        name = f"{report.name}.level{i + 1}"
        rows, cols = adaptive_bins(h, level), adaptive_bins(w, level)
        across, down = _uniform(rows), _uniform(cols)
        if across is not None and down is not None:
            pooled = g.node(
                "MaxPool", name, [x], kernel_shape=[across[0], down[0]], strides=[across[1], down[1]]
            )
        else:
            pooled = _uneven(g, name, x, report.in_channels, h, w, rows, cols)
        levels.append(g.node("Flatten", f"{name}.flatten", [pooled], axis=1))
    return g.node("Concat", report.name, levels, axis=1)


def _uneven(
    g: _Graph,
    name: str,
    x: str,
    channels: int,
    h: int,
    w: int,
    rows: list[tuple[int, int]],
    cols: list[tuple[int, int]],
) -> str:
    """Bins of uneven sizes: one stride-1 MaxPool per bin size, each flattened to N x C x cells,
    concatenated, and a Gather of each bin's cell, row-major (N x C x level^2)."""
    shapes = list(dict.fromkeys((r1 - r0, c1 - c0) for r0, r1 in rows for c0, c1 in cols))
    shape = g.constant(f"{name}.shape", np.array([0, channels, -1], dtype=np.int64))
    parts, offsets, offset = [], {}, 0
    for j, (kh, kw) in enumerate(shapes):
        pooled = g.node("MaxPool", f"{name}.pool{j + 1}", [x], kernel_shape=[kh, kw], strides=[1, 1])
        parts.append(g.node("Reshape", f"{name}.pool{j + 1}.cells", [pooled, shape]))
        offsets[kh, kw] = offset
        offset += (h - kh + 1) * (w - kw + 1)
    indices = [
        offsets[r1 - r0, c1 - c0] + r0 * (w - (c1 - c0) + 1) + c0 for r0, r1 in rows for c0, c1 in cols
    ]
    joined = g.node("Concat", f"{name}.cells", parts, axis=2)
    picks = g.constant(f"{name}.bins", np.array(indices, dtype=np.int64))
    return g.node("Gather", f"{name}.gather", [joined, picks], axis=2)


def _gap(g: _Graph, layer: AnyLayer, report: LayerReport, x: str, classifier: bool) -> str:
    pooled = g.node("GlobalAveragePool", report.name, [x])
    return g.node("Flatten", f"{report.name}.flatten", [pooled], axis=1)


def _fc(g: _Graph, layer: FC, report: LayerReport, x: str, classifier: bool) -> str:
    h, w = report.in_hw or (1, 1)
    if report.in_hw:
        x = g.node("Flatten", f"{report.name}.flatten", [x], axis=1)
    if layer.dropout:
        ratio = g.constant(f"{report.name}.dropout.ratio", np.array(layer.dropout, dtype=np.float32))
        x = g.node("Dropout", f"{report.name}.dropout", [x, ratio])  # identity at inference
    weight = g.parameter(f"{report.name}.weight", (layer.units, report.in_channels * h * w))
    bias = g.parameter(f"{report.name}.bias", (layer.units,))
    out = g.node("Gemm", report.name, [x, weight, bias], transB=1)
    return out if classifier else g.node("Relu", f"{report.name}.relu", [out])


Emit = Callable[[_Graph, Any, LayerReport, str, bool], str]
EMIT: dict[str, Emit] = {
    "conv": _conv, "maxpool": _pool, "avgpool": _pool, "spp": _spp, "gap": _gap, "fc": _fc,
}  # fmt: skip


def to_onnx(
    spec: Spec, weights: Mapping[str, np.ndarray] | None = None, check: bool = True
) -> onnx.ModelProto:
    """The ONNX model of `spec`, its graph checked with onnx.checker. Without `weights` every weight
    is a graph input; with them (name -> array, named as the parameters above) they become
    initializers of those shapes (ValueError for a missing or misshapen one)."""
    model = _architecture(spec)
    if check:  # the graph alone: checking 300 MB of weights would take as long as writing them
        onnx.checker.check_model(model)
    if weights is not None:
        _attach(model, weights)
    return model


def _architecture(spec: Spec) -> onnx.ModelProto:
    analysis = analyse(spec)
    layers = expand(spec)
    last_fc = max((i for i, layer in enumerate(layers) if isinstance(layer, FC)), default=-1)
    g = _Graph()
    x = INPUT
    for i, (layer, report) in enumerate(zip(layers, analysis.layers, strict=True)):
        x = EMIT[report.kind](g, layer, report, x, i == last_fc)
    g.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name=OUTPUT))
    last, inp = analysis.layers[-1], spec.input
    image = helper.make_tensor_value_info(
        INPUT, TensorProto.FLOAT, ["batch", inp.channels, inp.height, inp.width]
    )
    out_shape: list[Any] = ["batch", last.out_channels, *(last.out_hw or ())]
    graph = helper.make_graph(
        g.nodes,
        spec.name or "isocost",
        [image, *g.parameters],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, out_shape)],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="isocost",
        ir_version=IR_VERSION,
        doc_string=f"{analysis.notation}\nC = {analysis.conv_macs} MACs per image (Eqn. (1), conv layers)",
    )
    helper.set_model_props(
        model, {"isocost.notation": analysis.notation, "isocost.conv_macs": str(analysis.conv_macs)}
    )
    return model


def _attach(model: onnx.ModelProto, weights: Mapping[str, np.ndarray]) -> None:
    """Turn the weight inputs into initializers, written in place (no copy of the model)."""
    graph = model.graph
    for value in graph.input[1:]:
        shape = tuple(d.dim_value for d in value.type.tensor_type.shape.dim)
        if value.name not in weights:
            raise ValueError(f"no weights for {value.name}")
        array = np.asarray(weights[value.name], dtype="<f4")  # ONNX stores little-endian
        if array.shape != shape:
            raise ValueError(f"{value.name} has shape {array.shape}; the spec needs {shape}")
        tensor = graph.initializer.add()
        tensor.name, tensor.data_type = value.name, TensorProto.FLOAT
        tensor.dims.extend(shape)
        tensor.raw_data = array.tobytes()
    del graph.input[1:]


def onnx_bytes(spec: Spec, weights: Mapping[str, np.ndarray] | None = None) -> bytes:
    """The serialized model; ValueError past protobuf's 2 GB limit on one message."""
    return to_onnx(spec, weights).SerializeToString()
