"""bench/latency_model.py's bias by size: the median of predicted / measured per quarter of the
specs, shortest first (docs/design.md, "Device profiles")."""

from __future__ import annotations

from app.arch.spec import FC, InputShape, Spec
from bench.latency_model import ROUNDS, _bias_by_size, _in_rounds, _steadiness


def test_each_quarter_has_its_own_median_ratio_shortest_first() -> None:
    # 8 specs, measured 1..8 ms; the short ones predicted 20% slow, the long ones right
    rows = [
        {"measured_ms": float(m), "predicted_ms": m * (1.2 if m <= 4 else 1.0)}
        for m in (8, 3, 1, 6, 2, 7, 4, 5)
    ]
    groups = _bias_by_size(rows)
    assert [(g["from_ms"], g["to_ms"]) for g in groups] == [(1, 2), (3, 4), (5, 6), (7, 8)]
    assert [round(g["median_ratio"], 6) for g in groups] == [1.2, 1.2, 1.0, 1.0]


def test_fewer_specs_than_quarters() -> None:
    groups = _bias_by_size([{"measured_ms": 2.0, "predicted_ms": 3.0}])
    assert groups == [{"from_ms": 2.0, "to_ms": 2.0, "median_ratio": 1.5}]


def test_no_spec_is_left_out() -> None:
    rows = [{"measured_ms": float(m), "predicted_ms": float(m)} for m in range(1, 8)]  # 7 specs
    groups = _bias_by_size(rows)
    assert groups[0]["from_ms"] == 1 and groups[-1]["to_ms"] == 7 and len(groups) == 4


def test_specs_are_measured_in_rounds_through_all_of_them() -> None:
    calls: list[str] = []

    class Device:
        def seconds(self, spec: Spec) -> float:
            calls.append(spec.name)
            return float(len(calls))

    specs = [
        Spec(name=name, input=InputShape(channels=3, height=8, width=8), layers=[FC(units=2)])
        for name in "ab"
    ]
    done: list[int] = []
    times = _in_rounds(Device(), specs, done.append)  # type: ignore[arg-type]
    assert calls == ["a", "b"] * ROUNDS and done == list(range(1, ROUNDS + 1))
    assert times == [[2.0 * r + 1 for r in range(ROUNDS)], [2.0 * r + 2 for r in range(ROUNDS)]]


def test_the_summary_says_how_steady_the_calibration_was() -> None:
    fit = {"round_times": [1.0, 0.94, 1.06, 1.0, 1.01], "noisy": True}
    assert _steadiness(fit) == "its 5 rounds at 0.94-1.06x their median time (noisy: the host's speed moved)"
    assert _steadiness({**fit, "noisy": False}).endswith("(steady)")
