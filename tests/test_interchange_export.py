"""Export: the ONNX built from a spec (no torch) runs in onnxruntime to the outputs of
worker/build.py's module with the same weights, and the generated PyTorch source is the same
network under the paper's layer names."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from hypothesis import HealthCheck, given, settings

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.arch.presets import of_scale, presets
from app.arch.spec import InputShape
from app.interchange.onnx_export import onnx_bytes, to_onnx
from tests.interchange_support import run_onnx, source_module, trained
from tests.strategies import specs

S36 = [preset.name for preset in of_scale("s36")]
TOLERANCE = 1e-4  # max abs difference, float32


def torch_and_onnx(spec, batch: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    model, weights = trained(spec, seed)
    x = torch.randn(
        batch,
        spec.input.channels,
        spec.input.height,
        spec.input.width,
        generator=torch.Generator().manual_seed(seed),
    )
    with torch.no_grad():
        expected = model(x).numpy()
    return expected, run_onnx(onnx_bytes(spec, weights), x.numpy())


@pytest.mark.parametrize("name", [*S36, "A", "J'"])
def test_onnx_runs_to_the_torch_models_outputs(name: str) -> None:
    spec = presets()[name].spec
    expected, got = torch_and_onnx(spec, batch=2 if name in S36 else 1)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < TOLERANCE


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs())
def test_onnx_matches_torch_on_random_specs(spec) -> None:
    expected, got = torch_and_onnx(spec)
    assert got.shape == expected.shape
    assert got.size == 0 or np.abs(got - expected).max() < TOLERANCE


def test_even_filters_pad_same_asymmetrically_and_uneven_spp_bins_are_exact() -> None:
    # a 5x5 map: spp level 3 has bins of sizes 2, 3, 2 (adaptive max pooling), level 2 of 3 and 3
    spec = parse("(2,8) + (3,8)/2 + spp(3,2,1) + fc 6", InputShape(channels=2, height=10, width=10))
    assert [layer.padding for layer in analyse(spec).layers[:1]] == [(0, 1, 0, 1)]
    model = to_onnx(spec)
    ops = [node.op_type for node in model.graph.node]
    conv1 = next(node for node in model.graph.node if node.name == "conv1")
    assert (
        onnx.helper.get_attribute_value(next(a for a in conv1.attribute if a.name == "auto_pad"))
        == b"SAME_UPPER"
    )
    assert "Gather" in ops  # the uneven level's bins are picked cell by cell
    expected, got = torch_and_onnx(spec, batch=3)
    assert np.abs(got - expected).max() < TOLERANCE


def test_the_architecture_alone_has_its_weights_as_named_inputs() -> None:
    spec = presets()["A-s36"].spec
    model = to_onnx(spec)
    onnx.checker.check_model(model)
    assert not [t for t in model.graph.initializer if t.name.endswith((".weight", ".bias"))]
    inputs = [value.name for value in model.graph.input]
    assert inputs[0] == "input" and "conv1.weight" in inputs and "fc3.bias" in inputs
    torch_model, weights = trained(spec)
    x = torch.randn(2, 3, 36, 36)
    with torch.no_grad():
        expected = torch_model(x).numpy()
    got = run_onnx(model.SerializeToString(), x.numpy(), weights)
    assert np.abs(got - expected).max() < TOLERANCE


@pytest.mark.parametrize("name", [*S36, "A"])
def test_pytorch_source_is_the_same_network(name: str) -> None:
    spec = presets()[name].spec
    model, _ = trained(spec)
    exported = source_module(spec)
    assert sum(p.numel() for p in exported.parameters()) == sum(p.numel() for p in model.parameters())
    layers = [report.name for report in analyse(spec).layers]
    assert [n for n, _ in exported.named_children()] == layers  # conv1, pool1, ..., spp, fc1 ...
    from worker.weights import plain_state_dict

    exported.load_state_dict(plain_state_dict(model))  # strict: the same names and shapes
    x = torch.randn(1, spec.input.channels, spec.input.height, spec.input.width)
    with torch.no_grad():
        assert torch.allclose(exported(x), model(x), atol=1e-5)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs())
def test_pytorch_source_matches_build_on_random_specs(spec) -> None:
    from worker.weights import plain_state_dict

    model, _ = trained(spec)
    exported = source_module(spec)
    exported.load_state_dict(plain_state_dict(model))
    x = torch.randn(2, spec.input.channels, spec.input.height, spec.input.width)
    with torch.no_grad():
        assert torch.allclose(exported(x), model(x), atol=1e-5)
