"""Import: what ONNX writes for each layer kind maps onto the spec, networks written in PyTorch
and exported by torch.onnx.export import with the cost torch's FlopCounterMode counts, and
anything a spec cannot hold is refused naming the node, its op and why."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from onnx import helper
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from app.arch.analysis import analyse
from app.arch.notation import format_spec
from app.exceptions import Invalid
from app.interchange.nodes import Refused
from app.interchange.onnx_import import import_onnx
from tests.interchange_support import LIMITS, conv, conv_weights, model_bytes


class VGGStyle(nn.Module):
    """A plain VGG-style net: 3x3 convs in stages, max pools, two hidden fc layers with dropout."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width, repeats in ((16, 2), (32, 2), (64, 3)):
            for _ in range(repeats):
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                channels = width
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Linear(64 * 4 * 4, 128), nn.ReLU(True), nn.Dropout(), nn.Linear(128, 128), nn.ReLU(True),
            nn.Dropout(), nn.Linear(128, 10),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class AlexNetStyle(nn.Module):
    """AlexNet's shape at a small scale: a large strided first filter, overlapping 3/2 pools,
    padded 5x5 and 3x3 convs, dropout before each hidden fc."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 24, 11, stride=4, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(24, 64, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 96, 3, padding=1), nn.ReLU(True), nn.Conv2d(96, 64, 3, padding=1), nn.ReLU(True),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(3, 2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Dropout(), nn.Linear(64 * 6 * 6, 256), nn.ReLU(True), nn.Dropout(), nn.Linear(256, 256),
            nn.ReLU(True), nn.Linear(256, 100),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


@pytest.mark.parametrize(("net", "side", "expected"), [
    (VGGStyle, 32, "(3,16)x2 pad 1 + pool 2 | (3,32)x2 pad 1 + pool 2 | (3,64)x3 pad 1 + pool 2 | fc 128 + fc 128 + fc 10"),
    (AlexNetStyle, 224, "(11,24)/4 pad 2 + pool 3/2 | (5,64) pad 2 + pool 3/2 | (3,96) pad 1 + (3,64)x2 pad 1 + pool 3/2 | fc 256 + fc 256 + fc 100"),
])  # fmt: skip
def test_torch_onnx_export_imports_with_the_cost_torch_counts(
    net, side: int, expected: str, tmp_path
) -> None:
    model = net().eval()
    x = torch.randn(1, 3, side, side)
    torch.onnx.export(
        model, (x,), tmp_path / "net.onnx", external_data=False
    )  # one file (see test_interchange_safety)
    spec = import_onnx((tmp_path / "net.onnx").read_bytes(), LIMITS)
    with FlopCounterMode(display=False) as counter:
        model(x)
    conv_flops = counter.get_flop_counts()["Global"][torch.ops.aten.convolution]
    analysis = analyse(spec)
    assert analysis.conv_macs == conv_flops // 2  # FLOPs count a multiply and an add
    assert analysis.params == sum(p.numel() for p in model.parameters())
    # eval mode drops Dropout from the export: the imported fcs have none
    assert format_spec(spec) == expected
    assert (spec.input.height, spec.input.width) == (side, side)


def test_each_onnx_form_of_a_layer_maps() -> None:
    """Pad before a conv, SAME_LOWER, MatMul + Add, Reshape, ReduceMean and a Dropout's ratio."""
    weights = {
        **conv_weights("c1", 4, 3, 3),
        **conv_weights("c2", 4, 4, 2),
        "pads": np.array([0, 0, 1, 0, 0, 0, 0, 2], np.int64),
        "fc.w": np.zeros((4, 5), np.float32),
        "fc.b": np.zeros((5,), np.float32),
        "ratio": np.array(0.3, np.float32),
    }
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"),
        conv("c1", "p", "c1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        conv("c2", "r1", "c2", size=2, auto_pad="SAME_LOWER"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node(
            "MaxPool", ["r2"], ["m"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        ),
        helper.make_node("ReduceMean", ["m"], ["g"], name="mean", axes=[2, 3], keepdims=0),
        helper.make_node("Dropout", ["g", "ratio"], ["d"], name="drop"),
        helper.make_node("MatMul", ["d", "fc.w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "fc.b"], ["y"], name="bias"),
    ]
    spec = import_onnx(model_bytes(nodes, weights), LIMITS)
    assert format_spec(spec) == "(3,4) pad 1:0:0:2 + (2,4) pad 1:0:1:0 + pool 3/2 pad 1 | gap + fc 5 drop 0.3"
    assert spec.input.height == 8 and spec.input.channels == 3


def refusal(nodes, weights, shape=(1, 3, 8, 8), output="y") -> Invalid:
    with pytest.raises(Invalid) as caught:
        import_onnx(model_bytes(nodes, weights, shape, output), LIMITS)
    return caught.value


C1 = conv_weights("c1", 4, 3, 3)
RELU1 = helper.make_node("Relu", ["c1"], ["r1"], name="relu1")


@pytest.mark.parametrize(("extra", "weights", "field", "fragment"), [
    # a residual connection: conv -> relu, added to its own input
    ([helper.make_node("Add", ["r1", "x4"], ["y"], name="residual")], {"x4": np.zeros((1, 4, 8, 8), np.float32)},
     "graph.node[2]", "node 'residual' (Add): adds two tensors (a residual connection)"),
    ([helper.make_node("BatchNormalization", ["r1", "s", "b", "m", "v"], ["y"], name="bn")],
     {k: np.ones(4, np.float32) for k in "sbmv"}, "graph.node[2]", "node 'bn' (BatchNormalization): batch normalization"),
    ([helper.make_node("Sigmoid", ["r1"], ["y"], name="act")], {}, "graph.node[2]",
     "node 'act' (Sigmoid): an activation other than ReLU"),
    ([helper.make_node("Concat", ["r1", "r1"], ["y"], name="join", axis=1)], {}, "graph.node[2]",
     "node 'join' (Concat): joins or picks from tensors outside the pattern of SPP"),
    ([helper.make_node("Softmax", ["r1"], ["y"], name="soft")], {}, "graph.node[2]", "other than ReLU"),
])  # fmt: skip
def test_what_a_spec_cannot_hold_is_refused_naming_the_node(extra, weights, field, fragment) -> None:
    error = refusal([conv("c1", "x", "c1", pads=[1, 1, 1, 1]), RELU1, *extra], {**C1, **weights})
    assert isinstance(error, Refused) and error.field == field
    assert fragment in error.message


@pytest.mark.parametrize(("node", "fragment"), [
    (conv("c1", "x", "y", pads=[1, 1, 1, 1]), "node 'c1' (Conv): ends the network without a ReLU"),
    (conv("c1", "x", "c1", dilations=[2, 2]), "is dilated"),
    (helper.make_node("AveragePool", ["x"], ["y"], name="avg", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
     "node 'avg' (AveragePool): leaves padding out of its averages"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="wide", kernel_shape=[2, 3]), "isocost's pools are square"),
    (helper.make_node("MaxPool", ["x"], ["y"], name="ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
     "rounds its output size up"),
])  # fmt: skip
def test_layers_of_other_geometry_are_refused(node, fragment) -> None:
    nodes = (
        [node]
        if node.output[0] == "y"
        else [node, helper.make_node("Relu", [node.output[0]], ["y"], name="relu")]
    )
    assert fragment in refusal(nodes, C1).message


def test_a_relu_after_the_classifier_and_a_hidden_fc_without_one_are_refused() -> None:
    weights = {"w1": np.zeros((6, 3 * 8 * 8), np.float32), "b1": np.zeros(6, np.float32),
               "w2": np.zeros((2, 6), np.float32), "b2": np.zeros(2, np.float32)}  # fmt: skip
    flat = helper.make_node("Flatten", ["x"], ["f"], name="flat")
    fc1 = helper.make_node("Gemm", ["f", "w1", "b1"], ["h"], name="fc1", transB=1)
    fc2 = helper.make_node("Gemm", ["h", "w2", "b2"], ["z"], name="fc2", transB=1)
    error = refusal([flat, fc1, fc2, helper.make_node("Relu", ["z"], ["y"], name="last")], weights)
    assert "node 'fc1' (Gemm): is followed by Gemm 'fc2', not a ReLU" in error.message
    relu = helper.make_node("Relu", ["h"], ["r"], name="r")
    fc2 = helper.make_node("Gemm", ["r", "w2", "b2"], ["z"], name="fc2", transB=1)
    error = refusal([flat, fc1, relu, fc2, helper.make_node("Relu", ["z"], ["y"], name="last")], weights)
    assert error.message.startswith("node 'last' (Relu): follows the last fc")


def test_an_input_without_a_fixed_size_is_refused() -> None:
    error = refusal(
        [conv("c1", "x", "c1"), helper.make_node("Relu", ["c1"], ["y"])], C1, shape=("n", 3, "h", "w")
    )
    assert error.field == "graph.input" and "fixed" in error.message
