"""The relation finder yields the paper's Figs. 1-3 edges from the presets."""

from __future__ import annotations

import pytest

from app.arch.notation import parse
from app.arch.presets import presets
from app.arch.relations import find_relations


def edges(scale: str) -> dict[tuple[str, str], object]:
    suffix = "" if scale == "paper" else "-s36"
    chosen = {p.model: p.spec for p in presets().values() if p.scale == scale}
    assert len(chosen) == 14, suffix
    return {(r.source, r.target): r for r in find_relations(chosen)}


@pytest.mark.parametrize("scale", ["paper", "s36"])
def test_figure_edges(scale: str) -> None:
    found = edges(scale)
    for pair in [("A", "B"), ("A", "C"), ("B", "D"), ("C", "D"), ("D", "E")]:
        assert found[pair].figure == 1
        assert found[pair].factors == {"depth": "up", "filter size": "down"}
    for pair in [("A", "F"), ("F", "G"), ("C", "H"), ("D", "I")]:
        assert found[pair].figure == 2
        assert found[pair].factors == {"depth": "up", "width": "down"}
    for pair in [("B", "F"), ("E", "I")]:
        assert found[pair].figure == 3
        assert set(found[pair].factors) == {"width", "filter size"}
    for model in ("B", "D", "E", "J"):
        assert found[(model, model + "'")].factors == {"stride/pooling": "delayed"}
        assert found[(model, model + "'")].cost_ratio == 1.0
    assert found[("E", "J")].factors["stride/pooling"] == "added"
    assert found[("E", "J")].cost_ratio == 1.0
    assert found[("A", "F")].change.startswith("stage 3: ")


def test_no_edge_between_models_two_replacements_apart() -> None:
    found = edges("paper")
    for pair in [("A", "D"), ("A", "E"), ("C", "E"), ("A", "J"), ("A", "B'")]:
        assert pair not in found and pair[::-1] not in found


def test_unmatched_cost_is_not_an_edge() -> None:
    specs = {"small": parse("(3,64) + (3,64)"), "deep": parse("(3,64)x3 + (3,64)")}
    assert find_relations(specs) == []
    assert [r.factors for r in find_relations(specs, tolerance=2.0)] == [{"depth": "up"}]


def test_duplicates_and_different_inputs_are_not_related() -> None:
    a = presets()["A"].spec
    assert find_relations({"a": a, "again": a}) == []
    other_input = presets()["B"].spec.model_copy(update={"input": a.input.model_copy(update={"height": 225})})
    assert find_relations({"a": a, "b": other_input}) == []
