"""PyTorch -> Spec: trace a plain convnet with torch.fx and read it with the same rules as an ONNX
file (app.interchange.assemble; docs/design.md, "Interchange"). Worker side, as it needs torch:
`isocost import module.py:factory` imports this lazily; the API never does.

Each traced call becomes a neutral node: modules (nn.Conv2d, nn.MaxPool2d ...), functions
(F.relu, torch.flatten, F.adaptive_max_pool2d, torch.cat ...) and methods (x.view, x.flatten ...).
Anything else is refused with the reason the ONNX importer gives for the same operator.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn
from torch.nn import functional as F

from app.arch.spec import InputShape, Spec
from app.exceptions import Invalid
from app.interchange import refusals
from app.interchange.assemble import assemble
from app.interchange.nodes import Graph, Kind, Node, refuse

Attrs = dict[str, Any]
Read = tuple[Kind, Attrs] | str | None  # what a node does, or why it is refused (None: the op's reason)

# torch's names for operators the ONNX importer knows by ONNX's name, for the same refusal
ONNX_NAMES = {
    "BatchNorm1d": "BatchNormalization", "BatchNorm2d": "BatchNormalization", "LayerNorm": "LayerNormalization",
    "GroupNorm": "GroupNormalization", "InstanceNorm2d": "InstanceNormalization", "LocalResponseNorm": "LRN",
    "LeakyReLU": "LeakyRelu", "PReLU": "PRelu", "ELU": "Elu", "SELU": "Selu", "CELU": "Celu", "GELU": "Gelu",
    "SiLU": "Swish", "Hardswish": "HardSwish", "Hardsigmoid": "HardSigmoid", "ReLU6": "Clip", "Mish": "Mish",
    "Sigmoid": "Sigmoid", "Tanh": "Tanh", "Softmax": "Softmax", "LogSoftmax": "LogSoftmax", "Softplus": "Softplus",
    "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax", "log_softmax": "LogSoftmax", "gelu": "Gelu",
    "leaky_relu": "LeakyRelu", "silu": "Swish", "relu6": "Clip", "hardtanh": "Clip",
    "add": "Add", "iadd": "Add", "sub": "Sub", "mul": "Mul", "matmul": "Mul", "cat": "Concat", "chunk": "Split",
    "split": "Split", "ConvTranspose2d": "ConvTranspose", "Upsample": "Resize", "interpolate": "Resize",
    "permute": "Transpose", "transpose": "Transpose", "batch_norm": "BatchNormalization",
}  # fmt: skip


def load_factory(target: str) -> Callable[[], nn.Module]:
    """`path/to/module.py:factory` -> the callable (a function or an nn.Module class)."""
    path_text, _, attribute = target.rpartition(":")
    path = Path(path_text)
    if not path_text or not attribute or path.suffix != ".py":
        raise Invalid(
            f"{target!r}: expected FILE.py:FACTORY, a function or class that builds the module", "source"
        )
    if not path.is_file():
        raise Invalid(f"{path} is not a file", "source")
    spec = importlib.util.spec_from_file_location(f"isocost_import_{path.stem}", path)
    assert spec is not None and spec.loader is not None  # a .py file always has a source loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise Invalid(f"{path} has no callable {attribute!r}", "source")
    return factory


def import_module(module: nn.Module, shape: InputShape, name: str | None = None) -> Spec:
    """The spec of `module` on an input of `shape`; Refused (422) naming the traced node."""
    try:
        traced = fx.symbolic_trace(module.eval())
    except Exception as error:  # tracing runs the user's forward: any error is theirs to see
        raise Invalid(
            f"torch.fx cannot trace the module: {type(error).__name__}: {error}", "source"
        ) from None
    inputs = [n for n in traced.graph.nodes if n.op == "placeholder"]
    outputs = [n for n in traced.graph.nodes if n.op == "output"]
    if len(inputs) != 1:
        raise Invalid(f"a spec has one input image; forward takes {len(inputs)} arguments", "source")
    result = outputs[0].args[0]
    if not isinstance(result, fx.Node):
        raise Invalid("forward must return one tensor", "source")
    reader = _Reader(traced)
    nodes = [
        node for n in traced.graph.nodes if n.op not in ("placeholder", "output") and (node := reader.node(n))
    ]
    return assemble(Graph(inputs[0].name, shape, tuple(nodes), result.name, name))


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class _Reader:
    def __init__(self, traced: fx.GraphModule) -> None:
        self.traced = traced
        self.sizes: set[str] = set()  # x.size(0) results: the batch, when a view is built from it

    def node(self, n: fx.Node) -> Node | None:
        target = n.target
        if n.op == "call_module":
            assert isinstance(target, str)  # call_module targets are qualified names
            module = self.traced.get_submodule(target)
            op, read = type(module).__name__, lambda: self._module(module, n)
        elif n.op == "call_function":
            op = getattr(target, "__name__", str(target))
            read = lambda: self._function(n)  # noqa: E731
        elif n.op == "call_method":
            op = str(target)
            read = lambda: self._method(n)  # noqa: E731
        else:
            op = n.op
            read = lambda: None  # noqa: E731
        data = tuple(a.name for a in n.all_input_nodes if a.name not in self.sizes)
        node = Node(
            f"graph.{n.name}", str(target) if n.op == "call_module" else n.name, op, "identity", data, n.name
        )
        if op == "size":
            if n.args[1:2] != (0,):
                raise refuse(node, "reads a size other than the batch's; export with fixed shapes")
            self.sizes.add(n.name)
            return None
        got: Read = read()
        if got is None or isinstance(got, str):
            raise refuse(node, got or refusals.why(ONNX_NAMES.get(op, op)))
        kind, attrs = got
        return Node(node.where, node.name, op, kind, attrs.pop("_inputs", data[:1]), n.name, attrs)

    def _module(self, m: nn.Module, n: fx.Node) -> Read:
        if isinstance(m, nn.Conv2d):
            if m.padding_mode != "zeros":
                return f"pads by {m.padding_mode!r}; only zero padding maps onto a conv's"
            return "conv", _conv(
                m.weight.shape, m.stride, m.padding, m.dilation, m.groups, m.bias is not None
            )
        if isinstance(m, nn.ReLU):
            return "relu", {}
        if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
            kind: Kind = "maxpool" if isinstance(m, nn.MaxPool2d) else "avgpool"
            if getattr(m, "return_indices", False) or getattr(m, "divisor_override", None):
                return "returns indices or divides by a set number; isocost's pools do neither"
            extra = {"dilation": _pair(m.dilation)} if isinstance(m, nn.MaxPool2d) else {}
            return kind, _pool(
                m.kernel_size, m.stride, m.padding, m.ceil_mode, getattr(m, "count_include_pad", True)
            ) | extra
        if isinstance(m, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
            kind = "adaptive_avg" if isinstance(m, nn.AdaptiveAvgPool2d) else "adaptive_max"
            return kind, {"out": _pair(m.output_size)}
        if isinstance(m, nn.Flatten):
            return ("flatten", {}) if (m.start_dim, m.end_dim) == (1, -1) else None
        if isinstance(m, nn.Linear):
            return "fc", {"units": m.out_features, "in_features": m.in_features, "bias": m.bias is not None}
        if type(m) is nn.Dropout:
            return "dropout", {"rate": float(m.p)}
        if isinstance(m, nn.ZeroPad2d | nn.ConstantPad2d) and float(getattr(m, "value", 0.0)) == 0.0:
            return "pad", {"pads": _torch_pad(m.padding)}
        if isinstance(m, nn.Identity):
            return "identity", {}
        return None

    def _function(self, n: fx.Node) -> Read:
        f, args, kw = n.target, n.args, n.kwargs
        if f in (F.relu, torch.relu, torch.relu_):
            return "relu", {}
        if f in (F.max_pool2d, F.avg_pool2d):
            kind: Kind = "maxpool" if f is F.max_pool2d else "avgpool"
            k = _arg(args, kw, 1, "kernel_size")
            stride = _arg(args, kw, 2, "stride", None) or k
            ceil = _arg(args, kw, 4 if kind == "avgpool" else 5, "ceil_mode", False)
            count = _arg(args, kw, 5, "count_include_pad", True) if kind == "avgpool" else True
            if _arg(args, kw, 6, "divisor_override" if kind == "avgpool" else "return_indices", None):
                return "returns indices or divides by a set number; isocost's pools do neither"
            out = _pool(k, stride, _arg(args, kw, 3, "padding", 0), ceil, count)
            if kind == "maxpool":
                out["dilation"] = _pair(_arg(args, kw, 4, "dilation", 1))
            return kind, out
        if f in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
            kind = "adaptive_avg" if f is F.adaptive_avg_pool2d else "adaptive_max"
            return kind, {"out": _pair(_arg(args, kw, 1, "output_size"))}
        if f is torch.flatten:
            return _flatten(args, kw)
        if f is F.dropout:
            return "dropout", {"rate": float(_arg(args, kw, 1, "p", 0.5))}
        if (
            f is F.pad
            and _arg(args, kw, 2, "mode", "constant") == "constant"
            and not _arg(args, kw, 3, "value", 0)
        ):
            return "pad", {"pads": _torch_pad(_arg(args, kw, 1, "pad"))}
        if f is torch.cat:
            parts: Any = args[0] if args else kw["tensors"]
            return "concat", {
                "axis": int(_arg(args, kw, 1, "dim", 0)),
                "_inputs": tuple(part.name for part in parts),
            }
        if f is torch.mean:
            return _mean(args, kw)
        return None

    def _method(self, n: fx.Node) -> Read:
        name, args, kw = n.target, n.args, n.kwargs
        if name in ("relu", "relu_"):
            return "relu", {}
        if name == "flatten":
            return _flatten(args, kw)
        if name in ("view", "reshape"):
            dims = args[1] if len(args) == 2 and isinstance(args[1], tuple | list) else args[1:]
            shape = tuple(0 if isinstance(d, fx.Node) and d.name in self.sizes else d for d in dims)
            if not all(isinstance(d, int) for d in shape):
                return None
            return "reshape", {"shape": shape, "allowzero": False}
        if name == "mean":
            return _mean(args, kw)
        if name == "contiguous":
            return "identity", {}
        return None


def _arg(args: tuple[Any, ...], kw: dict[str, Any], index: int, key: str, default: Any = ...) -> Any:
    if len(args) > index:
        return args[index]
    if key in kw:
        return kw[key]
    if default is ...:
        raise KeyError(key)
    return default


def _conv(weight: Any, stride: Any, padding: Any, dilation: Any, groups: int, bias: bool) -> Attrs:
    auto = {"same": "same_upper", "valid": "valid"}.get(padding) if isinstance(padding, str) else None
    ph, pw = (0, 0) if isinstance(padding, str) else _pair(padding)
    return {
        "filters": int(weight[0]), "in_channels": int(weight[1]), "kernel": (int(weight[2]), int(weight[3])),
        "stride": _pair(stride), "dilation": _pair(dilation), "groups": groups, "bias": bias,
        "pads": None if auto else (ph, ph, pw, pw), "auto": auto,
    }  # fmt: skip


def _pool(kernel: Any, stride: Any, padding: Any, ceil: bool, count_include_pad: bool) -> Attrs:
    ph, pw = _pair(padding)
    return {
        "kernel": _pair(kernel), "stride": _pair(stride if stride not in (None, ()) else kernel),
        "dilation": (1, 1), "pads": (ph, ph, pw, pw), "auto": None, "ceil": bool(ceil),
        "count_include_pad": bool(count_include_pad),
    }  # fmt: skip


def _torch_pad(pad: Any) -> tuple[int, int, int, int]:
    """torch's (left, right, top, bottom) (or one number) -> (top, bottom, left, right)."""
    if isinstance(pad, int):
        return (pad, pad, pad, pad)
    values = [int(v) for v in pad] + [0, 0]
    left, right, top, bottom = values[:4]
    return (top, bottom, left, right)


def _flatten(args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[Kind, Attrs] | None:
    start, end = _arg(args, kw, 1, "start_dim", 0), _arg(args, kw, 2, "end_dim", -1)
    return ("flatten", {}) if (start, end) == (1, -1) else None


def _mean(args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[Kind, Attrs] | None:
    dims = _arg(args, kw, 1, "dim", None)
    if dims is None or {int(d) % 4 for d in (dims if isinstance(dims, tuple | list) else [dims])} != {2, 3}:
        return None
    return "global_avg", {"keepdims": bool(_arg(args, kw, 2, "keepdim", False))}
