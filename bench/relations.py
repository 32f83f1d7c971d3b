"""The relation search at its documented limits (docs/design.md, "Bounded cost"): the worst
requests we could construct for POST /api/v1/relations and for the team relation figure, each
timed over real HTTP against the 28 presets sent as specs in the same run (the baseline), and
reported as a ratio. Each is timed twice: the wall clock, and the CPU the server spent on it
(which other work on a shared machine disturbs far less). Target: every case answered, or
refused with 422, within 1 s.

The builders are also the correctness cases of tests/test_hardening_cost.py.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.arch.analysis import analyse
from app.arch.identity import spec_hash
from app.arch.notation import format_spec, parse
from app.arch.presets import presets
from app.arch.spec import InputShape, Spec
from app.architectures.models import Architecture
from app.db import session_scope
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team
from bench.timing import save
from tests.stack import api_server

LIMITS = Settings()  # the documented defaults
S36 = InputShape(height=36, width=36)
Body = dict[str, Any]


def _body(notations: list[str], prefix: str = "s") -> Body:
    return {"specs": [{"name": f"{prefix}{i}", "notation": text} for i, text in enumerate(notations)]}


def presets_body() -> Body:
    """The baseline: the 28 presets, sent as specs (26 + 26 relations)."""
    return {"specs": [{"name": name, "preset": name} for name in presets()]}


def identical(count: int = 1000) -> Body:
    """`count` copies of one max-layer spec with as many stages (keys) as fit the body limit."""
    stages = 48
    text = " | ".join(["(1,8)x9 + pool 1"] * stages) + f" | (3,8)x{512 - 10 * stages}"
    return _body([text] * count)


def _variant(i: int, before: str) -> str:
    """Distinct last stages of nearly equal cost: (1,a) + (1,b) cost under 3% of the rest."""
    return f"{before} + pool 2 | (3,64)x4 + (1,{1 + i % 32}) + (1,{1 + i // 32})"


def one_stage_count() -> int:
    """As many such specs as the layer limit lets through (at most 1,000, the request's limit)."""
    return min(1000, LIMITS.max_relation_layers // len(parse(_variant(0, "(3,32)x2"), S36).unrolled()))


def one_stage(count: int | None = None) -> Body:
    """`count` distinct specs that share every key but one stage's, all at matched cost: every
    pair is a candidate (153,735 for 555 specs), over the pair limit; the most work a refusal costs."""
    return _body([_variant(i, "(3,32)x2") for i in range(count or one_stage_count())])


def at_pair_limit(
    pairs: int = LIMITS.max_relation_pairs, layers: int = LIMITS.max_relation_layers, extra: int = 0
) -> Body:
    """As many such specs as the pair limit allows (and `extra` more), each as long as the layer
    limit then allows: every pair is related, so the answer has n(n-1)/2 relations at (just
    under) the limit."""
    count = max(n for n in range(2, 2000) if n * (n - 1) // 2 <= pairs)
    per_spec = min(512, layers // (count + extra))  # the extra spec must pass the layer limit
    return _body([_variant(i, f"(3,32)x{per_spec - 7}") for i in range(count + extra)])


BASE = ["(3,8) + pool 1"] * 256  # the 512-layer spec with the most stages (pool 1 keeps the map)


def _changed(k: int, text: str, width: int = 1) -> str:
    """The base with stages k..k+width-1 replaced by `text`."""
    return " | ".join([*BASE[:k], text, *BASE[k + width :]])


def many_pools(count: int = LIMITS.max_relation_layers // 512) -> Body:
    """Max-layer specs (512) with 255 pools, as many as the layer limit allows: the base, the
    base with one pool removed (a stage added at equal cost) and with one stage widened. Removed
    pools and widened stages are far apart, so exactly 2 x ((count - 1) // 2) relations exist,
    all to the base."""
    half = (count - 1) // 2
    texts = [" | ".join(BASE)]
    texts += [_changed(k, "(3,8) + (3,8) + pool 1", width=2) for k in range(100, 100 + half)]
    texts += [_changed(k, "(3,9) + pool 1") for k in range(half)]
    return _body(texts)


def over_layer_limit(count: int = 1000) -> Body:
    """`count` distinct max-layer specs: 512,000 layers, refused at the layer limit."""
    return _body([f"(3,8)x{511 - i % 400} + (1,{8 + i})" for i in range(count)])


# Team variants that are all related, with half the pair limit's pairs: over the figure's edge
# limit, well within the pair limit.
EDGE_VARIANTS = max(n for n in range(2, 2000) if n * (n - 1) // 2 <= LIMITS.max_relation_pairs // 2)
assert LIMITS.max_figure_relations < EDGE_VARIANTS * (EDGE_VARIANTS - 1) // 2


def team_variants(count: int) -> dict[str, Spec]:
    """`count` team architectures at s36 that differ in one stage, all at matched cost."""
    return {f"v{i}": parse(_variant(i, "(3,16)x2"), S36) for i in range(count)}


def team_max(count: int = LIMITS.max_figure_architectures) -> dict[str, Spec]:
    """`count` max-layer architectures at s36: the 256-stage base and the base with stage k
    widened, for k < count - 1; each relates to the base alone. The figure draws the newest
    that fit the layer limit."""
    out = {f"wide{k}": parse(_changed(k, "(3,9) + pool 1"), S36) for k in range(count - 1)}
    out["base"] = parse(" | ".join(BASE), S36)  # saved last: among the newest the figure keeps
    return out


def store(database_url: str, team_id: int, specs: dict[str, Spec]) -> list[int]:
    """Save `specs` as the team's architectures, in order, directly (no quota); their ids."""
    with session_scope(database_url) as session:
        rows = [
            Architecture(
                team_id=team_id, name=name, spec=spec.model_dump(mode="json"), notation=format_spec(spec),
                conv_macs=analyse(spec).conv_macs, spec_hash=spec_hash(spec),
            )
            for name, spec in specs.items()
        ]  # fmt: skip
        for row in rows:  # one at a time: ids in order, the last saved the newest
            session.add(row)
            session.flush()
        return [row.id for row in rows]


CASES: dict[str, Callable[[], Body]] = {
    "identical x1000": identical,
    "one stage, at the layer limit": one_stage,
    "at the pair limit": at_pair_limit,
    "many pools, max layers": many_pools,
    "over the layer limit": over_layer_limit,
}
TEAMS: dict[str, Callable[[], dict[str, Spec]]] = {
    "team: max architectures, max layers": team_max,
    "team: over the pair limit": lambda: team_variants(LIMITS.max_figure_architectures),
    "team: over the edge limit": lambda: team_variants(EDGE_VARIANTS),
}


RUNS = 5


def _server_cpu_s(pid: int) -> float:
    """CPU seconds of every thread of process `pid` so far (Linux). Beside the wall time, as
    other processes on a shared machine slow the wall clock far more than the CPU time."""
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir()) / 1e9


def _timed(send: Callable[[], httpx.Response], pid: int) -> dict[str, Any]:
    """Wall and server CPU seconds per request: medians of RUNS after one warm-up."""
    response = send()
    walls, cpus = [], []
    for _ in range(RUNS):
        cpu, start = _server_cpu_s(pid), time.perf_counter()
        send()
        walls.append(time.perf_counter() - start)
        cpus.append(_server_cpu_s(pid) - cpu)
    return {
        "status": response.status_code,
        "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus),
    }


def main() -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="isocost-bench-relations-") as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/api.db", broker_url=f"sqla+sqlite:///{tmp}/broker.db"
        )
        upgrade(settings.database_url)
        tokens = {}
        for name, build in TEAMS.items():
            with session_scope(settings.database_url) as session:
                team, tokens[name] = create_team(session, f"bench-{uuid.uuid4().hex[:8]}")
                team_id = team.id
            store(settings.database_url, team_id, build())
        with (
            api_server(settings, Path(tmp) / "logs") as stack,
            httpx.Client(base_url=stack.url, timeout=120) as client,
        ):
            pid = stack.processes[0].pid

            def post(body: Body) -> Callable[[], httpx.Response]:
                content = json.dumps(body).encode()
                assert len(content) <= settings.max_body_bytes, "a worst case must fit the body limit"
                headers = {"content-type": "application/json"}
                return lambda: client.post("/api/v1/relations", content=content, headers=headers)

            rows = [("baseline: the 28 presets as specs", post(presets_body()))]
            rows += [(name, post(build())) for name, build in CASES.items()]
            rows += [
                (name, lambda name=name: client.get(
                    "/api/v1/figures/relations", params={"scale": "s36", "team": "true"},
                    headers={"Authorization": f"Bearer {tokens[name]}"},
                ))
                for name in TEAMS
            ]  # fmt: skip
            print(f"medians of {RUNS} requests; ratios to the baseline measured in this run")
            print(f"{'case':40} {'status':>6} {'wall':>9} {'x base':>7} {'server CPU':>11} {'x base':>7}")
            for name, send in rows:
                row = results[name] = _timed(send, pid)
                base = results["baseline: the 28 presets as specs"]
                row["wall_ratio"], row["cpu_ratio"] = (
                    row["wall_s"] / base["wall_s"],
                    row["cpu_s"] / base["cpu_s"],
                )
                print(f"{name:40} {row['status']:>6} {row['wall_s'] * 1e3:7.0f}ms {row['wall_ratio']:7.1f} "
                      f"{row['cpu_s'] * 1e3:9.0f}ms {row['cpu_ratio']:7.1f}")  # fmt: skip
    worst = max(row["cpu_s"] for row in results.values())
    print(
        f"\nmost server CPU per request {worst:.3f} s (target: under 1 s): {'met' if worst < 1 else 'MISSED'}"
    )
    save("relations", results)
