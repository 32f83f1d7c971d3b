"""The replacement solver rediscovers the paper's models; delayed subsampling keeps C."""

from __future__ import annotations

import pytest

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.notation import format_spec, parse
from app.arch.presets import presets
from app.arch.replace import delay_subsampling, replace_segment


def stage3(name: str) -> str:
    return format_spec(presets()[name].spec)


@pytest.mark.parametrize("suffix", ["", "-s36"])
def test_deeper_and_narrower_rediscovers_f_and_g(suffix: str) -> None:
    a = presets()["A" + suffix].spec
    best = replace_segment(a, 3, 5, size=3, depth=6)[0]
    assert best.width == (160 if not suffix else 40) and best.change == 0.0
    assert best.notation == presets()["F" + suffix].notation
    best = replace_segment(a, 3, 5, size=3, depth=9)[0]
    assert best.width == (128 if not suffix else 32) and best.change == 0.0
    assert best.notation == presets()["G" + suffix].notation


def test_smaller_filters_rediscover_b() -> None:
    candidates = replace_segment(presets()["A"].spec, 3, 5, size=2, width=256)
    assert candidates[0].depth == 6 and candidates[0].within_tolerance
    assert candidates[0].notation == presets()["B"].notation
    assert candidates[0].change == pytest.approx(-0.0124, abs=1e-4)
    assert all(abs(c.change) >= abs(candidates[0].change) for c in candidates)


def test_rounding_to_multiples_of_8() -> None:
    candidates = replace_segment(presets()["A"].spec, 2, 2, size=3, depth=4, multiple_of=8)
    assert {c.width for c in candidates} == {64, 72}
    assert "(3,64)x3 + (3,128)" in {c.description.split(" -> ")[1] for c in candidates}


def test_fully_specified_replacement_is_flagged_not_dropped() -> None:
    (only,) = replace_segment(presets()["A"].spec, 3, 5, size=3, depth=3, width=512)
    assert not only.within_tolerance and only.change > 0.05
    assert only.conv_macs == analyse(only.spec).conv_macs


def test_first_layer_keeps_the_stride() -> None:
    spec = parse("(3,16) + pool 3/1 | (5,32)/3 + (3,32)", presets()["A-s36"].spec.input)
    best = replace_segment(spec, 2, 3, size=3, depth=3)[0]
    assert format_spec(best.spec).startswith("(3,16) + pool 3/1 | (3,")
    assert best.spec.layers[2].stride == 3


@pytest.mark.parametrize("model", ["B", "D", "E", "J"])
def test_delayed_subsampling_gives_primed_models(model: str) -> None:
    for suffix in ("", "-s36"):
        parent = presets()[model + suffix].spec
        primed = delay_subsampling(parent)
        assert format_spec(primed) == presets()[model + "'" + suffix].notation
        assert analyse(primed).conv_macs == analyse(parent).conv_macs


def test_delay_one_pool() -> None:
    a = presets()["A"].spec
    moved = delay_subsampling(a, pool=2)
    assert format_spec(moved).startswith(
        "(7,64)/2 valid + pool 3 | (5,128) + pool 2/1 | (3,256)/2 + (3,256)x2"
    )
    assert analyse(moved).conv_macs == analyse(a).conv_macs


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (
            lambda a: replace_segment(a, 3, 5, size=3),
            "give the replacement's depth, its width, or both",
        ),
        (
            lambda a: replace_segment(a, 4, 9, size=3, depth=2),
            "conv layers 4..9 do not exist: the spec has conv1..conv5",
        ),
        (lambda a: replace_segment(a, 2, 3, size=3, depth=2), "span a pooling layer"),
        (lambda a: replace_segment(a, 0, 1, size=3, depth=2), "do not exist"),
        (lambda a: replace_segment(a, 3, 5, size=0, depth=2), "filter size must be 1 to 64"),
        (lambda a: delay_subsampling(a, pool=3), "pool3 does not exist"),
        (lambda a: delay_subsampling(delay_subsampling(a), pool=1), "pool1 already has stride 1"),
        (
            lambda a: delay_subsampling(parse("(3,8) + pool 2 + fc 10")),
            "no pooling layer can pass its stride",
        ),
    ],
)
def test_errors(call, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        call(presets()["A"].spec)
