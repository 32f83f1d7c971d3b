"""Why an operator has no place in a spec: one sentence per kind of operator, shared by the ONNX
and the torch.fx importers so that both refuse alike (docs/design.md, "Interchange")."""

from __future__ import annotations

_NOT_RELU = "an activation other than ReLU; isocost follows convs and hidden fc layers with ReLU only"
_NORM = "normalization is not a layer kind of isocost (the paper's models have none)"

REASONS: dict[str, str] = {
    "Add": "adds two tensors (a residual connection); a spec is a plain chain of layers",
    "Sum": "adds tensors (a residual connection); a spec is a plain chain of layers",
    "Sub": "subtracts tensors; a spec is a plain chain of layers",
    "Mul": "multiplies tensors (attention, squeeze-and-excitation, scaling); no layer kind does",
    "Div": "divides tensors; no layer kind does",
    "Concat": "joins tensors outside the pattern of SPP (Inception, DenseNet); a spec is a chain",
    "Split": "splits a tensor into branches; a spec is a chain",
    "BatchNormalization": f"batch {_NORM}",
    "InstanceNormalization": f"instance {_NORM}",
    "LayerNormalization": f"layer {_NORM}",
    "GroupNormalization": f"group {_NORM}",
    "LRN": f"local response {_NORM}",
    "ConvTranspose": "a transposed convolution; isocost's convs go forward only",
    "Resize": "resizes the map; no layer kind does",
    "Upsample": "upsamples the map; no layer kind does",
    "Transpose": "permutes dimensions; no layer kind does",
    "LpPool": "Lp pooling; isocost pools by max or average",
    "GlobalLpPool": "Lp pooling; isocost pools by max or average",
    "Shape": "computes with the tensor's shape; export with a fixed input size and torch.flatten",
    "If": "a conditional subgraph; a spec is a fixed chain of layers",
    "Loop": "a loop subgraph; a spec is a fixed chain of layers",
    "Scan": "a loop subgraph; a spec is a fixed chain of layers",
}
for _op in (
    "Sigmoid", "Tanh", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish",
    "Gelu", "Softplus", "Softsign", "Clip", "Mish", "ThresholdedRelu", "Softmax", "LogSoftmax", "Swish",
):  # fmt: skip
    REASONS[_op] = _NOT_RELU


def why(op: str) -> str:
    """The reason an operator (ONNX's name for it) is refused."""
    return REASONS.get(op, "an operator that no isocost layer kind expresses")
