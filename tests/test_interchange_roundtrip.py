"""Round trips are exact: a spec exported to ONNX and imported back is the same spec (canonical
notation, C, identity), for every preset and for random specs; a worker/build.py module traced
with torch.fx is the same network (C and parameters)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from app.arch.analysis import analyse
from app.arch.notation import format_layers
from app.arch.presets import presets
from app.arch.spec import Spec, compact, expand
from app.interchange.onnx_export import onnx_bytes
from app.interchange.onnx_import import import_onnx
from tests.interchange_support import LIMITS
from tests.strategies import specs


def canonical(spec: Spec) -> str:
    """The canonical notation with runs of identical convs folded, as any import writes them."""
    return format_layers(compact(expand(spec)))


@pytest.mark.parametrize("name", list(presets()))
def test_every_preset_comes_back_from_onnx(name: str) -> None:
    spec = presets()[name].spec
    back = import_onnx(onnx_bytes(spec), LIMITS)
    before, after = analyse(spec), analyse(back)
    assert after.notation == before.notation
    assert after.conv_macs == before.conv_macs
    assert after.spec_hash == before.spec_hash and after.input == before.input


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs())
def test_random_specs_come_back_from_onnx(spec: Spec) -> None:
    back = import_onnx(onnx_bytes(spec), LIMITS)
    before, after = analyse(spec), analyse(back)
    assert after.notation == canonical(spec)
    assert after.conv_macs == before.conv_macs and after.params == before.params
    assert after.spec_hash == before.spec_hash


@pytest.mark.parametrize("name", ["A", "J'", "A-s36", "E'-s36"])
def test_a_traced_torch_module_is_the_same_network(name: str) -> None:
    from worker.build import build_model
    from worker.fx_import import import_module

    spec = presets()[name].spec
    back = import_module(build_model(spec), spec.input)
    before, after = analyse(spec), analyse(back)
    assert after.conv_macs == before.conv_macs and after.params == before.params
    assert [layer.out_hw for layer in after.layers] == [layer.out_hw for layer in before.layers]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs())
def test_traced_random_specs_are_the_same_network(spec: Spec) -> None:
    from worker.build import build_model
    from worker.fx_import import import_module

    before, after = analyse(spec), analyse(import_module(build_model(spec), spec.input))
    assert after.conv_macs == before.conv_macs and after.params == before.params
    assert [layer.kind for layer in after.layers] == [layer.kind for layer in before.layers]


def test_the_exported_pytorch_source_traces_back_to_its_spec(tmp_path) -> None:
    from app.interchange.pytorch_source import pytorch_source
    from worker.fx_import import import_module, load_factory

    spec = presets()["B'-s36"].spec
    path = tmp_path / "b.py"
    path.write_text(pytorch_source(spec))
    back = import_module(load_factory(f"{path}:Net")(), spec.input)
    assert analyse(back).conv_macs == analyse(spec).conv_macs
