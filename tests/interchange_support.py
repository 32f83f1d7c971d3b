"""Helpers for the interchange tests: hand-built ONNX graphs, onnxruntime, and running the
generated PyTorch source."""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from app.arch.spec import Spec
from app.interchange.onnx_import import ImportLimits
from app.interchange.pytorch_source import pytorch_source
from worker.build import build_model
from worker.weights import plain_state_dict

LIMITS = ImportLimits(max_bytes=10**9, max_nodes=10_000, max_params=10**10)


def model_bytes(
    nodes: Sequence[onnx.NodeProto],
    weights: Mapping[str, np.ndarray],
    shape: Sequence[int | str] = (1, 3, 8, 8),
    output: str = "y",
    opset: int = 17,
) -> bytes:
    """A model reading `x` of `shape`, with `weights` as initializers (float32 unless integer)."""
    initializers = [numpy_helper.from_array(np.asarray(v), k) for k, v in weights.items()]
    graph = helper.make_graph(
        list(nodes),
        "hand",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return model.SerializeToString()


def conv_weights(name: str, filters: int, channels: int, size: int) -> dict[str, np.ndarray]:
    return {
        f"{name}.w": np.zeros((filters, channels, size, size), np.float32),
        f"{name}.b": np.zeros((filters,), np.float32),
    }


def conv(name: str, x: str, out: str, size: int = 3, **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(
        "Conv", [x, f"{name}.w", f"{name}.b"], [out], name=name, kernel_shape=[size, size], **attrs
    )


def trained(spec: Spec, seed: int = 0) -> tuple[torch.nn.Module, dict[str, np.ndarray]]:
    """worker/build.py's model of `spec` in eval mode, and its weights under the exported names."""
    torch.manual_seed(seed)
    model = build_model(spec).eval()
    return model, {name: t.numpy() for name, t in plain_state_dict(model).items()}


def run_onnx(data: bytes, x: np.ndarray, feeds: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    result: np.ndarray = session.run(None, {"input": x, **(feeds or {})})[0]
    return result


def source_module(spec: Spec) -> torch.nn.Module:
    """The exported PyTorch source of `spec`, executed as a module, and its Net() in eval mode."""
    module = types.ModuleType("exported")
    exec(compile(pytorch_source(spec), "exported.py", "exec"), module.__dict__)
    net: torch.nn.Module = module.Net().eval()
    return net
