"""The torch model built from a spec costs exactly what `app.arch` says, layer by layer."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from torch.utils.flop_counter import FlopCounterMode

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.arch.spec import Spec
from tests.strategies import specs
from worker.build import build_model


def measured(spec: Spec) -> tuple[int, dict[str, tuple[int, ...]]]:
    """(conv MACs counted by FlopCounterMode, output shape of each named layer), on `meta`."""
    with torch.device("meta"):
        model = build_model(spec)
        x = torch.empty(1, spec.input.channels, spec.input.height, spec.input.width)
    shapes: dict[str, tuple[int, ...]] = {}
    for name, module in model.named_children():
        module.register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))
        )
    with FlopCounterMode(display=False) as counter:
        model(x)
    flops = counter.get_flop_counts().get("Global", {}).get(torch.ops.aten.convolution, 0)
    assert flops % 2 == 0
    return flops // 2, shapes


def check(spec: Spec) -> None:
    analysis = analyse(spec)
    macs, shapes = measured(spec)
    assert macs == analysis.conv_macs
    assert list(shapes) == [layer.name for layer in analysis.layers]
    for layer in analysis.layers:
        expected = (layer.out_channels, *layer.out_hw) if layer.out_hw else (layer.out_channels,)
        assert shapes[layer.name] == expected, layer.name


@pytest.mark.parametrize("name", sorted(presets()))
def test_presets_match_flop_counter(name: str) -> None:
    check(presets()[name].spec)


@given(specs())
@settings(max_examples=200, deadline=None)
def test_random_specs_match_flop_counter(spec: Spec) -> None:
    check(spec)


def test_real_forward_and_backward_on_s36() -> None:
    spec = presets()["J'-s36"].spec.with_classes(10)
    model = build_model(spec)
    out = model(torch.randn(2, 3, 36, 36))
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
