"""One reader per ONNX operator that a spec can hold: the node's attributes and constant inputs in
the neutral words of app.interchange.nodes (docs/design.md, "Interchange"). An operator missing
here is refused with the reason in app.interchange.refusals."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx

from app.interchange.nodes import Kind, Node, Pads, Pair, refuse

if TYPE_CHECKING:
    from app.interchange.onnx_import import Reader

Attrs = dict[str, Any]
Read = Callable[["Reader", onnx.NodeProto, Node, Attrs], tuple[Kind | None, Attrs]]

# Inputs that hold weights, not data: a graph input read only here is a weight, not the image.
WEIGHT_SLOTS: dict[str, tuple[int, ...]] = {"Conv": (1, 2), "Gemm": (1, 2), "MatMul": (1,), "Add": (0, 1)}
AUTO_PAD = {"NOTSET": None, "SAME_UPPER": "same_upper", "SAME_LOWER": "same_lower", "VALID": "valid"}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _pair(node: Node, attrs: Attrs, key: str) -> Pair:
    value = tuple(attrs.get(key, (1, 1)))
    if len(value) != 2:
        raise refuse(node, f"{key} {list(value)}: isocost reads 2-D images only")
    return (int(value[0]), int(value[1]))


def _geometry(node: Node, attrs: Attrs, kernel: Any) -> Attrs:
    """Kernel, strides, dilations and padding of a conv or pool, in (top, bottom, left, right)."""
    kernel = tuple(kernel)
    if len(kernel) != 2:
        raise refuse(node, f"a {len(kernel)}-D window; isocost reads 2-D images only")
    auto = _text(attrs.get("auto_pad", "NOTSET"))
    if auto not in AUTO_PAD:
        raise refuse(node, f"auto_pad {auto!r} is not ONNX's")
    pads: Pads | None = None
    if "pads" in attrs:
        p = [int(v) for v in attrs["pads"]]
        if len(p) != 4 or min(p) < 0:
            raise refuse(node, f"pads {p}: four non-negative numbers are needed for a 2-D map")
        pads = (p[0], p[2], p[1], p[3])  # ONNX: begins (top, left), then ends (bottom, right)
    return {
        "kernel": (int(kernel[0]), int(kernel[1])),
        "stride": _pair(node, attrs, "strides"),
        "dilation": _pair(node, attrs, "dilations"),
        "pads": pads,
        "auto": AUTO_PAD[auto],
    }


def _conv(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    weight = r.weight(proto, 1, node, 4)
    assert weight is not None  # a Conv always has weights (ONNX requires the input)
    if tuple(attrs.get("kernel_shape", weight[2:])) != weight[2:]:
        raise refuse(node, f"kernel_shape {attrs['kernel_shape']} differs from its weights' {weight[2:]}")
    bias = r.weight(proto, 2, node, 1)
    if bias is not None and bias[0] != weight[0]:
        raise refuse(node, f"has {bias[0]} biases for {weight[0]} filters")
    out = _geometry(node, attrs, weight[2:])
    groups = int(attrs.get("group", 1))
    return "conv", out | {
        "filters": weight[0],
        "in_channels": weight[1],
        "groups": groups,
        "bias": bias is not None,
    }


def _pool(kind: Kind) -> Read:
    def read(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
        if "kernel_shape" not in attrs:
            raise refuse(node, "has no kernel_shape")
        out = _geometry(node, attrs, attrs["kernel_shape"])
        out["ceil"] = bool(attrs.get("ceil_mode", 0))
        out["count_include_pad"] = bool(attrs.get("count_include_pad", 0))  # ONNX's default: excluded
        return kind, out

    return read


def _gemm(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    if (
        attrs.get("transA", 0)
        or float(attrs.get("alpha", 1.0)) != 1.0
        or float(attrs.get("beta", 1.0)) != 1.0
    ):
        raise refuse(node, "transposes its input or scales by alpha or beta; an fc does neither")
    weight = r.weight(proto, 1, node, 2)
    assert weight is not None  # Gemm's B is required
    units, features = weight if attrs.get("transB", 0) else weight[::-1]
    bias = r.weight(proto, 2, node, None)
    if bias is not None and math.prod(bias) != units:
        raise refuse(node, f"has a bias of shape {bias} for {units} units")
    return "fc", {"units": units, "in_features": features, "bias": bias is not None}


def _matmul(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    weight = r.weight(proto, 1, node, 2)
    assert weight is not None  # MatMul has two inputs
    output = r.bias_add(proto)
    if output is None:
        raise refuse(node, "is not followed by the Add of a constant bias; an isocost fc has a bias")
    return "fc", {"units": weight[1], "in_features": weight[0], "bias": True, "_output": output}


def _flatten(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    if int(attrs.get("axis", 1)) != 1:
        raise refuse(node, f"flattens from axis {attrs['axis']}; only a flatten to (batch, features) maps")
    return "flatten", {}


def _reshape(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    shape = r.constant(proto, 1, node, "shape")
    if shape is None or shape.ndim != 1:
        raise refuse(node, "has no constant 1-D shape")
    return "reshape", {"shape": tuple(int(v) for v in shape), "allowzero": bool(attrs.get("allowzero", 0))}


def _dropout(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    ratio = r.constant(proto, 1, node, "ratio")
    training = r.constant(proto, 2, node, "training mode")
    if training is not None and bool(np.asarray(training).any()):
        raise refuse(node, "drops at inference (training mode); isocost's dropout is identity at inference")
    value = float(ratio) if ratio is not None else float(attrs.get("ratio", 0.5))
    if not 0.0 <= value < 1.0:
        raise refuse(node, f"a dropout rate of {value}; it must be in [0, 1)")
    # the shortest decimal that is this float32: 0.3 stays 0.3, not 0.30000001192092896
    return "dropout", {"rate": float(str(np.float32(value)))}


def _pad(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    if _text(attrs.get("mode", "constant")) != "constant":
        raise refuse(node, f"pads by {_text(attrs['mode'])!r}; only zero padding maps onto a conv's")
    given = r.constant(proto, 1, node, "pads")
    pads = [int(v) for v in (given if given is not None else attrs.get("pads", ()))]
    value = r.constant(proto, 2, node, "constant value")
    fill = (
        float(np.asarray(value).reshape(-1)[0])
        if value is not None and value.size
        else float(attrs.get("value", 0.0))
    )
    axes = r.constant(proto, 3, node, "axes")
    if axes is not None:  # opset 18: pads for these axes only
        full = [0] * 8
        for i, axis in enumerate(int(a) % 4 for a in axes):
            full[axis], full[axis + 4] = pads[i], pads[i + len(axes)]
        pads = full
    if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) or min(pads) < 0 or fill != 0.0:
        raise refuse(node, f"pads {pads} with {fill}; only zeros around the map (not batch or channels) map")
    return "pad", {"pads": (pads[2], pads[6], pads[3], pads[7])}


def _reduce_mean(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    given = r.constant(proto, 1, node, "axes")
    axes = {int(a) % 4 for a in (given if given is not None else attrs.get("axes", ()))}
    if axes != {2, 3}:
        raise refuse(node, "averages over other axes than the map's; only global average pooling maps")
    return "global_avg", {"keepdims": bool(attrs.get("keepdims", 1))}


def _concat(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    parts = list(proto.input)
    if parts and all(name in r.constants or name in r.tensors for name in parts):  # a shape being built
        values = [r.constant(proto, i, node, "input") for i in range(len(parts))]
        r.constants[proto.output[0]] = np.concatenate([v for v in values if v is not None])
        return None, {}
    return "concat", {"axis": int(attrs.get("axis", 0)), "_inputs": tuple(parts)}


def _gather(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    indices = r.constant(proto, 1, node, "indices")
    if indices is None or indices.ndim != 1:
        raise refuse(node, "has no constant 1-D indices")
    return "gather", {"axis": int(attrs.get("axis", 0)), "indices": tuple(int(i) for i in indices)}


def _identity(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
    source, output = (proto.input[0] if proto.input else ""), proto.output[0]
    if source in r.shapes:  # a weight passed on: its shape is what is read (and its value if small)
        r.shapes[output] = r.shapes[source]
        if source in r.tensors:
            r.tensors[output] = r.tensors[source]
        return None, {}
    if source in r.constants:
        r.constants[output] = r.constants[source]
        return None, {}
    return "identity", {}


def _plain(kind: Kind, **extra: Any) -> Read:
    def read(r: Reader, proto: onnx.NodeProto, node: Node, attrs: Attrs) -> tuple[Kind | None, Attrs]:
        return kind, dict(extra)

    return read


READERS: dict[str, Read] = {
    "Conv": _conv,
    "Relu": _plain("relu"),
    "MaxPool": _pool("maxpool"),
    "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _plain("global_avg", keepdims=True),
    "GlobalMaxPool": _plain("global_max"),
    "ReduceMean": _reduce_mean,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Dropout": _dropout,
    "Pad": _pad,
    "Identity": _identity,
    "Concat": _concat,
    "Gather": _gather,
}
