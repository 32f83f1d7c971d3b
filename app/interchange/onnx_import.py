"""ONNX -> Spec. The file is untrusted input (docs/design.md, "Interchange"):

- its size is checked before it is parsed, and protobuf's errors are a 422 naming the body;
- tensors stored outside the file (external data) are refused, never opened, whatever path they name;
- nodes and parameters are counted against documented limits before anything is walked;
- weights are never decoded, only their shapes read (small constants are: pads, shapes, a ratio);
- only the default ONNX domain is read; subgraphs (If, Loop) and functions are refused with their op.
Each node becomes a neutral node (app.interchange.nodes; the readers are app.interchange.onnx_ops)
and app.interchange.assemble decides what spec it is, or refuses naming the node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper
from pydantic import ValidationError

from app.arch.spec import InputShape, Limits, Spec
from app.exceptions import Invalid
from app.interchange import refusals
from app.interchange.assemble import assemble
from app.interchange.nodes import Graph, Node, refuse
from app.interchange.onnx_ops import READERS, WEIGHT_SLOTS

MAX_CONSTANT = 4096  # elements of a constant read as numbers (pads, shapes, indices); weights are not


@dataclass(frozen=True)
class ImportLimits:
    """README, "Limits": ISOCOST_MAX_IMPORT_BYTES, ISOCOST_MAX_IMPORT_NODES, ISOCOST_MAX_IMPORT_PARAMS."""

    max_bytes: int
    max_nodes: int
    max_params: int


def parse_model(data: bytes, limits: ImportLimits) -> onnx.ModelProto:
    """The model in `data`, after the size limit; Invalid (422) if protobuf cannot parse it."""
    if len(data) > limits.max_bytes:
        raise Invalid(f"the file has {len(data):,} bytes; the limit is {limits.max_bytes:,}", "body")
    if not data:
        raise Invalid("the body is empty; send the .onnx file as application/octet-stream", "body")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as error:
        raise Invalid(f"not an ONNX model: protobuf cannot parse it ({error})", "body") from None
    return model


def import_onnx(data: bytes, limits: ImportLimits) -> Spec:
    """The spec of the ONNX model in `data`; Invalid or Refused (both 422) naming what is wrong."""
    return assemble(Reader(parse_model(data, limits), limits).graph())


class Reader:
    """One model's initializers, constants and data input; `graph()` reads its nodes in order."""

    def __init__(self, model: onnx.ModelProto, limits: ImportLimits) -> None:
        g = self.proto = model.graph
        if len(g.node) > limits.max_nodes:
            raise Invalid(
                f"the graph has {len(g.node):,} nodes; the limit is {limits.max_nodes:,}", "graph.node"
            )
        if len(g.sparse_initializer):
            raise Invalid("sparse initializers are not read", "graph.sparse_initializer")
        self.tensors: dict[str, onnx.TensorProto] = {}
        for i, tensor in enumerate(g.initializer):
            _no_external(tensor, f"graph.initializer[{i}]")
            self.tensors[tensor.name] = tensor
        self.shapes: dict[str, tuple[int, ...]] = {name: tuple(t.dims) for name, t in self.tensors.items()}
        self.constants: dict[str, np.ndarray] = {}
        self.readers: dict[str, list[int]] = {}  # tensor -> indices of the nodes that read it
        for i, node in enumerate(g.node):
            for name in node.input:
                self.readers.setdefault(name, []).append(i)
        self.fused: dict[int, str] = {}  # an Add folded into the MatMul before it -> its output
        data_inputs = self._inputs()
        if any(d < 0 for shape in self.shapes.values() for d in shape):
            raise Invalid("a weight has a negative dimension", "graph.initializer")
        params = sum(math.prod(shape) for shape in self.shapes.values())
        if params > limits.max_params:
            raise Invalid(
                f"the graph holds {params:,} parameters; the limit is {limits.max_params:,}", "graph"
            )
        if len(data_inputs) != 1:
            names = ", ".join(repr(v.name) for v in data_inputs) or "none"
            raise Invalid(f"a spec has one input image; the graph's data inputs are {names}", "graph.input")
        self.input = data_inputs[0]

    def _inputs(self) -> list[onnx.ValueInfoProto]:
        """The graph's inputs that are data: not initializers, and not read only as weights."""
        nodes = self.proto.node
        weights = {n.input[s] for n in nodes for s in WEIGHT_SLOTS.get(n.op_type, ()) if s < len(n.input)}
        data = {n.input[0] for n in nodes if n.input and n.op_type != "Add"}
        out = []
        for value in self.proto.input:
            if value.name in self.tensors:
                continue
            if value.name in weights and value.name not in data:
                self.shapes[value.name] = _dims(value)
            else:
                out.append(value)
        return out

    def graph(self) -> Graph:
        g = self.proto
        shape, batch = self._input_shape()
        if len(g.output) != 1:
            raise Invalid(f"a spec has one output; the graph has {len(g.output)}", "graph.output")
        nodes = [node for i, proto in enumerate(g.node) if (node := self._node(i, proto)) is not None]
        name = g.name if 0 < len(g.name) <= Limits.max_name_length and g.name.isprintable() else None
        return Graph(self.input.name, shape, tuple(nodes), g.output[0].name, name, batch)

    def _input_shape(self) -> tuple[InputShape, int | None]:
        dims = self.input.type.tensor_type.shape.dim
        if len(dims) != 4 or not all(d.HasField("dim_value") for d in dims[1:]):
            raise Invalid(
                f"input {self.input.name!r} must be an N x C x H x W image of fixed C, H and W "
                "(export with a fixed input size)",
                "graph.input",
            )
        batch = dims[0].dim_value if dims[0].HasField("dim_value") else None
        try:
            shape = InputShape(channels=dims[1].dim_value, height=dims[2].dim_value, width=dims[3].dim_value)
        except ValidationError as error:
            raise Invalid(f"input {self.input.name!r}: {error.errors()[0]['msg']}", "graph.input") from None
        return shape, batch

    # -- values the readers ask for ------------------------------------------------------------

    def constant(self, proto: onnx.NodeProto, slot: int, node: Node, what: str) -> np.ndarray | None:
        """A small constant input (pads, a shape, a ratio) read as numbers; None if absent."""
        if slot >= len(proto.input) or not proto.input[slot]:
            return None
        name = proto.input[slot]
        if name in self.constants:
            return self.constants[name]
        tensor = self.tensors.get(name)
        if tensor is None:
            raise refuse(node, f"its {what} is computed in the graph; isocost reads it only as a constant")
        return _array(tensor, node)

    def weight(
        self, proto: onnx.NodeProto, slot: int, node: Node, rank: int | None
    ) -> tuple[int, ...] | None:
        """The shape of a weight input (an initializer or a weight graph input), of `rank` if one
        is given; None if absent."""
        if slot >= len(proto.input) or not proto.input[slot]:
            return None
        name = proto.input[slot]
        shape = self.shapes.get(name)
        if shape is None and name in self.constants:
            shape = self.constants[name].shape
        if shape is None or (rank is not None and len(shape) != rank):
            rank_text = f" of rank {rank}" if rank is not None else ""
            raise refuse(node, f"its weights ({name!r}) are not a constant{rank_text}")
        return tuple(int(d) for d in shape)

    def bias_add(self, proto: onnx.NodeProto) -> str | None:
        """After a MatMul, an Add of a constant is the fc's bias: fold it in; its output, or None."""
        readers = self.readers.get(proto.output[0], [])
        if len(readers) != 1 or self.proto.node[readers[0]].op_type != "Add":
            return None
        add = self.proto.node[readers[0]]
        other = [name for name in add.input if name != proto.output[0]]
        if len(other) != 1 or (other[0] not in self.shapes and other[0] not in self.constants):
            return None
        self.fused[readers[0]] = add.output[0]
        return add.output[0]

    # -- nodes ---------------------------------------------------------------------------------

    def _node(self, index: int, proto: onnx.NodeProto) -> Node | None:
        op = proto.op_type
        where = f"graph.node[{index}]"
        output = proto.output[0] if proto.output else ""
        node = Node(where, proto.name or f"{op}_{index}", op, "identity", tuple(proto.input[:1]), output)
        if proto.domain not in ("", "ai.onnx"):
            raise refuse(
                node, f"is in the operator domain {proto.domain!r}; isocost reads standard ONNX only"
            )
        for attribute in proto.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                _no_external(attribute.t, f"{where}.attribute")
        if index in self.fused:
            return None
        if any(name in self.readers for name in proto.output[1:] if name):
            raise refuse(node, "a second output of it is used (a max pool's indices, a dropout's mask)")
        if op == "Constant":
            self.constants[output] = self._constant_value(proto, node)
            return None
        read = READERS.get(op)
        if read is None:
            raise refuse(node, refusals.why(op))
        kind, attrs = read(
            self, proto, node, {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        )
        if kind is None:
            return None
        inputs = attrs.pop("_inputs", node.inputs)
        return replace(node, kind=kind, attrs=attrs, inputs=inputs, output=attrs.pop("_output", output))

    def _constant_value(self, proto: onnx.NodeProto, node: Node) -> np.ndarray:
        attributes = {a.name: a for a in proto.attribute}
        if "value" in attributes:
            return _array(attributes["value"].t, node)
        for key in ("value_int", "value_ints", "value_float", "value_floats"):
            if key in attributes:
                return np.array(onnx.helper.get_attribute_value(attributes[key]))
        raise refuse(node, "a kind of constant isocost does not read")


def _no_external(tensor: onnx.TensorProto, field: str) -> None:
    if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
        location = next((e.value for e in tensor.external_data if e.key == "location"), "?")
        raise Invalid(
            f"tensor {tensor.name!r} is stored outside the file (at {location!r}); isocost reads only "
            "self-contained files and never opens a path that a file names (PyTorch writes one with "
            "torch.onnx.export(..., external_data=False))",
            field,
        )


def _array(tensor: onnx.TensorProto, node: Node) -> np.ndarray:
    if math.prod(tensor.dims) > MAX_CONSTANT:
        raise refuse(node, f"a constant of over {MAX_CONSTANT} elements where isocost reads numbers")
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError) as error:
        raise refuse(node, f"a constant that cannot be read ({error})") from None


def _dims(value: onnx.ValueInfoProto) -> tuple[int, ...]:
    dims = value.type.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        raise Invalid(f"weight input {value.name!r} has no fixed shape", "graph.input")
    return tuple(d.dim_value for d in dims)
