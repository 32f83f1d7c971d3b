"""The leaderboard's timings: per architecture, device and benchmark protocol, the median over
all its benchmarks with their spread, never one run taken as the fact (docs/design.md,
"Benchmark results").

Benchmarks flagged `noisy` are left out of a group that has quiet ones (a busy host only ever
slows a run down); a group of noisy runs alone is still shown, and says so. The spread is the
10th-90th percentile of the benchmarks' medians, or, for a single benchmark, of its own runs.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from app.jobs.models import Result
from app.jobs.params import BenchmarkParams
from app.jobs.results import BenchmarkDetails
from app.jobs.spread import deciles


class TimingSummary(BaseModel):
    device: str | None
    protocol: str = Field(description="the benchmark protocol: batch, dtype, layout")
    benchmarks: int = Field(description="benchmarks of the architecture on this device and protocol")
    noisy: int = Field(description="of them flagged noisy (busy host or wide spread)")
    used: int = Field(description="benchmarks the numbers are over: the quiet ones, or all if none is")
    latency_ms: float | None = Field(description="batch 1: median over the benchmarks used")
    latency_ms_p10: float | None
    latency_ms_p90: float | None
    throughput: float | None = Field(description="images/s: median over the benchmarks used")
    throughput_p10: float | None
    throughput_p90: float | None


def _details(raw: dict[str, Any] | None) -> BenchmarkDetails | None:
    if raw is None:
        return None
    try:
        return BenchmarkDetails.model_validate(raw)
    except ValidationError:  # stored before the schema: its columns still count
        return None


def _summary(device: str | None, protocol: str, rows: list[Result]) -> TimingSummary:
    parsed = [(row, _details(row.details)) for row in rows]
    quiet = [(row, d) for row, d in parsed if not (d and d.noisy)]
    used = quiet or parsed

    def spread(values: list[float], own: tuple[float, float] | None) -> tuple[float | None, ...]:
        if not values:
            return None, None, None
        if len(values) == 1:
            low, high = own or (values[0], values[0])
            return values[0], low, high
        p10, p90 = deciles(values)
        return statistics.median(values), p10, p90

    only = used[0][1] if len(used) == 1 else None
    latency = spread(
        [row.latency_ms for row, _ in used if row.latency_ms is not None],
        (only.latency.p10_s * 1e3, only.latency.p90_s * 1e3) if only else None,
    )
    throughput = spread(
        [row.throughput for row, _ in used if row.throughput is not None],
        (only.throughput.images_per_s_p10, only.throughput.images_per_s_p90) if only else None,
    )
    return TimingSummary(
        device=device,
        protocol=protocol,
        benchmarks=len(rows),
        noisy=len(parsed) - len(quiet),
        used=len(used),
        latency_ms=latency[0],
        latency_ms_p10=latency[1],
        latency_ms_p90=latency[2],
        throughput=throughput[0],
        throughput_p10=throughput[1],
        throughput_p90=throughput[2],
    )


def benchmark_timings(session: Session, ids: list[int]) -> dict[int, list[TimingSummary]]:
    """architecture_id -> its timings, one per device and protocol: the most benchmarked first, and
    of those benchmarked as often, the one benchmarked last."""
    if not ids:
        return {}
    groups: dict[tuple[int, str | None, str], list[Result]] = defaultdict(list)
    rows = session.scalars(
        select(Result)
        .options(defer(Result.provenance))  # a JSON document per row that a summary never reads
        .where(Result.kind == "benchmark", Result.architecture_id.in_(ids))
        .order_by(Result.id)
    )
    for row in rows:
        groups[(row.architecture_id, row.device, row.protocol)].append(row)
    ranked: dict[int, list[tuple[int, int, TimingSummary]]] = defaultdict(list)
    for (architecture_id, device, protocol), members in groups.items():
        # the most benchmarked first; of equals, the one benchmarked last
        ranked[architecture_id].append((-len(members), -members[-1].id, _summary(device, protocol, members)))
    return {
        key: [summary for *_, summary in sorted(items, key=lambda item: item[:2])]
        for key, items in ranked.items()
    }


# BenchmarkParams.protocol()'s text; benchmark_protocol checks a match by writing it again
_PROTOCOL = re.compile(r"benchmark, batch 1 and (\d+), (\w+)(, channels_last)?")


def benchmark_protocol(text: str) -> BenchmarkParams | None:
    """The batch, dtype and layout a benchmark's protocol text states, or None for any other text
    (a training protocol, or one written before the current form)."""
    match = _PROTOCOL.fullmatch(text)
    if match is None:
        return None
    try:
        params = BenchmarkParams.model_validate(
            {"batch_size": int(match[1]), "dtype": match[2], "channels_last": bool(match[3])}
        )
    except ValidationError:
        return None
    return params if params.protocol() == text else None


Keep = Callable[[BenchmarkParams, BenchmarkDetails | None], bool]


def device_timings(
    session: Session, ids: list[int], device: str, keep: Keep, protocol: str
) -> dict[int, TimingSummary]:
    """architecture_id -> one summary over all its benchmarks on `device` whose protocol (and
    details) `keep` accepts, labelled `protocol`: a time budget's measurements, which may span
    several benchmark protocols (batch-1 latency is measured whatever the throughput batch)."""
    if not ids:
        return {}
    groups: dict[int, list[Result]] = defaultdict(list)
    rows = session.scalars(
        select(Result)
        .options(defer(Result.provenance))
        .where(Result.kind == "benchmark", Result.device == device, Result.architecture_id.in_(ids))
        .order_by(Result.id)
    )
    for row in rows:
        params = benchmark_protocol(row.protocol)
        if params is not None and keep(params, _details(row.details)):
            groups[row.architecture_id].append(row)
    return {key: _summary(device, protocol, members) for key, members in groups.items()}
