"""Every class of invalid spec gives a message that names the layer and field at fault."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.notation import parse
from app.arch.spec import Conv, InputShape, Limits, Spec


@pytest.mark.parametrize(
    ("notation", "side", "loc", "fragment"),
    [
        (
            "(3,64) + (9,64) valid",
            8,
            ("layers", 1, "size"),
            "layers[1] (9,64) valid: the 8x8 input map is smaller than the 9x9 filter",
        ),
        ("(3,64)x3 + pool 4 | (3,64)x4 valid", 12, ("layers", 2, "size"), "(repeat 2 of 4)"),
        (
            "(3,6) groups 4",
            8,
            ("layers", 0, "groups"),
            "groups 4 must divide 3 input and 6 output channels",
        ),
        ("(3,8) + pool 3 + pool 3", 8, ("layers", 2, "size"), "smaller than the 3x3 window"),
        (
            "(3,8) + spp(4,1)",
            2,
            ("layers", 1, "levels"),
            "level 4 needs a map of at least that side; the map is 2x2",
        ),
        ("(3,8) + gap + (3,8)", 8, ("layers", 2), "the tensor is already flat"),
        ("fc 10 + pool 2", 8, ("layers", 1), "already flat"),
        ("(3,16384)x3", 4096, ("layers",), "exceeds the limit of 1e+13 MACs per image"),
        (
            "(1,1)x500 + (1,1)x13",
            8,
            ("layers",),
            "513 layers after repeats are unrolled; the limit is 512",
        ),
    ],
)
def test_shape_errors(notation: str, side: int, loc: tuple, fragment: str) -> None:
    spec = parse(notation, InputShape(height=side, width=side))
    with pytest.raises(SpecError) as caught:
        analyse(spec)
    assert caught.value.loc == loc
    assert fragment in str(caught.value)


def test_parameter_limit() -> None:
    spec = parse("fc 16384 + fc 16384 + fc 16384", InputShape(channels=16384, height=64, width=64))
    with pytest.raises(SpecError, match="parameters exceed the limit"):
        analyse(spec)


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"layers": []}, ("layers",)),
        ({"layers": [{"type": "conv", "filters": 0, "size": 3}]}, ("layers", 0, "conv", "filters")),
        (
            {"layers": [{"type": "conv", "filters": Limits.max_width + 1, "size": 3}]},
            ("layers", 0, "conv", "filters"),
        ),
        (
            {"layers": [{"type": "conv", "filters": 8, "size": 3, "padding": "full"}]},
            ("layers", 0, "conv", "padding", "literal['same','valid']"),
        ),
        ({"layers": [{"type": "conv", "filters": 8}]}, ("layers", 0, "conv", "size")),
        ({"layers": [{"type": "deconv", "filters": 8, "size": 3}]}, ("layers", 0)),
        (
            {"layers": [{"type": "conv", "filters": 8, "size": 3, "dilation": 2}]},
            ("layers", 0, "conv", "dilation"),
        ),
        ({"input": {"height": 5000}, "layers": [{"type": "gap"}]}, ("input", "height")),
        ({"layers": [{"type": "fc", "units": 8, "dropout": 1.0}]}, ("layers", 0, "fc", "dropout")),
    ],
)
def test_field_errors_have_locations(payload: dict, loc: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        Spec.model_validate(payload)
    assert caught.value.errors()[0]["loc"][: len(loc)] == loc


def test_with_classes_keeps_conv_cost() -> None:
    spec = parse("(3,8) + gap + fc 1000")
    assert analyse(spec.with_classes(10)).conv_macs == analyse(spec).conv_macs
    assert spec.with_classes(10).num_classes == 10
    assert parse("(3,8) + gap").with_classes(7).layers[-1].units == 7


def test_pool_stride_defaults_to_size() -> None:
    assert parse("pool 3").layers[0].stride == 3
    assert Conv(filters=8, size=3).stride == 1
