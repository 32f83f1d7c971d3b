"""Notation: parse, print, round trip, and errors that say where and what."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.arch.errors import NotationError
from app.arch.notation import format_spec, parse
from app.arch.presets import presets
from tests.strategies import specs

MODEL_A = (
    "(7,64)/2 valid + pool 3 | (5,128) + pool 2 | (3,256)x3 + spp(6,3,2,1)"
    " + fc 4096 drop 0.5 + fc 4096 drop 0.5 + fc 1000"
)


def test_model_a_prints_as_documented() -> None:
    assert presets()["A"].notation == MODEL_A
    assert format_spec(parse(MODEL_A)) == MODEL_A


@pytest.mark.parametrize("name", sorted(presets()))
def test_round_trip_on_presets(name: str) -> None:
    spec = presets()[name].spec
    assert parse(format_spec(spec), spec.input, spec.name) == spec


@given(specs())
@settings(max_examples=200, deadline=None)
def test_round_trip_on_generated_specs(spec) -> None:
    assert parse(format_spec(spec), spec.input) == spec


def test_accepted_spellings() -> None:
    canonical = parse("(3,64)x2 + pool 2 | (3,128)")
    for text in (
        "(3, 64) x 2, pool 2/2, (3,128)",
        "(3,64)×2 | maxpool 2 + (3,128) same",
        "(3,64)X2+POOL 2+(3,128)",
    ):
        assert parse(text) == canonical


word = st.sampled_from(
    [
        "(3,64)",
        "(2,128)/2",
        "(5,32)x3",
        "pool 3",
        "pool 3/2",
        "avgpool 2/1 pad 1",
        "(3,8) valid",
        "(3,8) pad 0:1:0:1",
        "(3,8) groups 2",
        "gap",
        "spp(2,1)",
        "fc 10",
        "fc 64 drop 0.5",
    ]
)


@given(
    st.lists(word, min_size=1, max_size=10),
    st.lists(st.sampled_from([" + ", ",", " | ", "+"]), min_size=10, max_size=10),
)
def test_generated_strings_print_canonically(words, separators) -> None:
    text = "".join(w + s for w, s in zip(words, separators, strict=False))[: -len(separators[len(words) - 1])]
    spec = parse(text)
    assert parse(format_spec(spec)) == spec
    assert format_spec(parse(format_spec(spec))) == format_spec(spec)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "expected a layer"),
        ("(3,64", 5, "expected ')' after the number of filters"),
        ("(3 64)", 3, "expected ',' between filter size"),
        ("(3,64) pool 2", 7, "expected '+', ',' or '|'"),
        ("(3,64) + ", 9, "expected a layer"),
        ("(3,64)x", 7, "expected a repeat count"),
        ("(3,64) + pool", 13, "expected a window size"),
        ("(3,64) + conv 3", 9, "expected a layer"),
        ("(3,64) $", 7, "unexpected character '$'"),
        ("spp(2,", 6, "expected a pyramid level"),
        ("(3,64) pad 1:2", 14, "one padding or four"),
        ("(3,0)", 0, "layer 1: filters: Input should be greater than or equal to 1"),
        ("(3,64) + (99,8)", 9, "layer 2: size: Input should be less than or equal to 64"),
        ("(3,64) + pool 3 pad 2", 9, "exceeds half the window"),
        ("fc 10 drop 1.5", 0, "dropout"),
        ("(3.5,64)", 1, "expected the filter size"),
    ],
)
def test_errors_name_position_and_expectation(text: str, position: int, fragment: str) -> None:
    with pytest.raises(NotationError) as caught:
        parse(text)
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("text", ["(3," + "9" * 4301 + ")", "fc " + "1" * 13, "fc 10 drop 0." + "5" * 30])
def test_huge_numbers_are_a_notation_error(text: str) -> None:
    """Python refuses int() of over 4,300 digits; the parser refuses long numbers before that."""
    with pytest.raises(NotationError) as caught:
        parse(text)
    assert caught.value.loc == ("notation",) and caught.value.position > 0
    assert len(str(caught.value)) < 300  # a long token is quoted cut short, with its length
