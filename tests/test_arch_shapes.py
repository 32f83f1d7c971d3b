"""Shapes and the paper's exact cost identities (docs/design.md, "The paper's models")."""

from __future__ import annotations

import pytest

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.arch.presets import presets
from app.arch.spec import InputShape


def pool_outputs(name: str) -> list[int]:
    return [layer.out_hw[0] for layer in analyse(presets()[name].spec).layers if layer.kind == "maxpool"]


def test_paper_scale_maps() -> None:
    a = analyse(presets()["A"].spec)
    assert a.layers[0].out_hw == (109, 109)
    assert pool_outputs("A") == [36, 18]
    assert pool_outputs("J") == [36, 18, 6]


def test_s36_maps() -> None:
    assert analyse(presets()["A-s36"].spec).layers[0].out_hw == (36, 36)
    assert pool_outputs("A-s36") == [12, 6]
    assert pool_outputs("J-s36") == [12, 6, 2]


def stage_macs(name: str, stages: set[int]) -> int:
    """Conv MACs of the given stages (stage 1 is conv1; a pool ends a stage)."""
    stage, total = 1, 0
    for layer in analyse(presets()[name].spec).layers:
        if layer.kind == "maxpool":
            stage += 1
        elif layer.kind == "conv" and stage in stages:
            total += layer.macs
    return total


@pytest.mark.parametrize("suffix", ["", "-s36"])
def test_exact_identities(suffix: str) -> None:
    a3 = stage_macs("A" + suffix, {3})
    assert stage_macs("F" + suffix, {3}) == a3
    assert stage_macs("G" + suffix, {3}) == a3
    assert stage_macs("J" + suffix, {3, 4}) == stage_macs("E" + suffix, {3})
    for model in ("B", "D", "E", "J"):
        parent = analyse(presets()[model + suffix].spec).conv_macs
        assert analyse(presets()[model + "'" + suffix].spec).conv_macs == parent


@pytest.mark.parametrize(
    ("model", "ratio"),
    [
        ("B", 0.99),
        ("C", 1.03),
        ("D", 1.01),
        ("E", 1.03),
        ("H", 0.97),
        ("I", 0.96),
        ("F", 1.0),
        ("G", 1.0),
    ],
)
def test_ratios_to_a_at_both_scales(model: str, ratio: float) -> None:
    for suffix in ("", "-s36"):
        reference = presets()["A" + suffix].spec
        got = analyse(presets()[model + suffix].spec, reference).relative_to.ratio
        assert got == pytest.approx(ratio, abs=0.006)


def per_position(notation: str, side: int, channels: int) -> int:
    """Eqn. (1) without the m^2 factor, as the paper's per-position equations write it."""
    spec = parse(notation, InputShape(channels=channels, height=side, width=side))
    return analyse(spec).conv_macs // (side * side)


def test_seed_equations() -> None:
    # (1) one 3x3 layer becomes two 2x2 layers
    assert per_position("(3,256)", 18, 256) == 256 * 3**2 * 256 == 589_824
    assert per_position("(2,256)x2", 18, 256) == 2 * 256 * 2**2 * 256 == 524_288
    # (2) exactly 1,474,560 both sides: A's stage 3 and F's
    assert per_position("(3,256)x3", 18, 128) == 128 * 9 * 256 + 2 * 256 * 9 * 256 == 1_474_560
    assert per_position("(3,160)x5 + (3,256)", 18, 128) == 1_474_560
    assert stage_macs("A", {3}) // 18**2 == stage_macs("F", {3}) // 18**2 == 1_474_560
    # (3) B's stage 3 (six 2x2 layers) against F's
    assert stage_macs("B", {3}) // 18**2 == 128 * 4 * 256 + 5 * 256 * 4 * 256 == 1_441_792


def test_unit_and_convention_are_stated() -> None:
    a = analyse(presets()["A"].spec)
    assert a.unit == "MAC"
    assert "Eqn. (1)" in a.convention and "per image" in a.convention and "FLOPs" in a.convention
    assert a.conv_macs == sum(layer.macs for layer in a.layers if layer.kind == "conv")
    assert a.fc_macs == 12800 * 4096 + 4096 * 4096 + 4096 * 1000
    assert sum(layer.share for layer in a.layers) == pytest.approx(1.0)


def test_grouped_and_non_square() -> None:
    spec = parse("(3,64) groups 4 + (1,32)", InputShape(channels=16, height=10, width=20))
    layers = analyse(spec).layers
    assert layers[0].macs == 16 // 4 * 9 * 64 * 10 * 20
    assert layers[1].out_hw == (10, 20)


def test_strided_same_padding_is_asymmetric_when_needed() -> None:
    spec = parse("(2,8)/2 + (3,8)/2", InputShape(channels=1, height=7, width=7))
    first, second = analyse(spec).layers
    assert first.out_hw == (4, 4) and first.padding == (0, 1, 0, 1)
    assert second.out_hw == (2, 2) and second.padding == (0, 1, 0, 1)
