"""Bounded cost per request (issue "Hardening", items 1 and 4).

The relation search at its limits: the worst cases of bench/relations.py (timed there, never
here) must give the right answer or a 422 that names the limit. Jobs whose model or activations
would not fit a worker are refused at submission, naming the field to change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from app.arch.analysis import analyse
from app.arch.notation import format_layer, parse
from app.arch.presets import of_scale, presets
from app.arch.relations import TooManyPairs, find_relations, relate
from app.arch.spec import InputShape, expand
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from bench import relations as worst
from bench.arch import generated_specs
from tests.conftest import TeamLogin, make_team

LIMITS = Settings()


@dataclass
class Design:
    client: TestClient
    settings: Settings


@pytest.fixture(scope="module")
def design(tmp_path_factory) -> Iterator[Design]:
    """An app on SQLite with the documented limits (the relation search does not depend on the
    database; the team figure reads architectures from it)."""
    root = tmp_path_factory.mktemp("cost")
    settings = Settings(
        database_url=f"sqlite:///{root}/db.sqlite", broker_url=f"sqla+sqlite:///{root}/broker.db"
    )
    upgrade(settings.database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Design(client, settings)


def post_relations(design: Design, body: dict) -> dict:
    response = design.client.post("/api/v1/relations", json=body)
    return {"status": response.status_code, **response.json()}


def pairs(count: int) -> int:
    return count * (count - 1) // 2


# -- the relation finder -------------------------------------------------------------------------


def test_copies_are_compared_once_and_each_gets_its_edges() -> None:
    a, b = presets()["A"].spec, presets()["B"].spec
    copies = {f"a{i}": a for i in range(1000)}
    assert find_relations(copies, max_pairs=0) == []
    again = parse(" + ".join(map(format_layer, expand(a))), a.input)  # written out layer by layer
    found = find_relations({**copies, "b": b, "again": again}, max_pairs=1001)
    assert len(found) == 1001
    assert {r.source for r in found} == {*copies, "again"} and {r.target for r in found} == {"b"}
    assert {(r.tradeoff, r.change) for r in found} == {("depth vs filter size", presets()["B"].replacement)}


def test_the_index_finds_what_comparing_every_pair_finds() -> None:
    specs = generated_specs(120, seed=7)
    names = list(specs)
    specs |= {f"copy of {name}": specs[name] for name in names[::9]}  # duplicates, equal rank
    costs = {name: analyse(spec).conv_macs for name, spec in specs.items()}
    expected = set()
    items = list(specs.items())
    for i, (x, sx) in enumerate(items):
        for y, sy in items[i + 1 :]:
            low, high = sorted((costs[x], costs[y]))
            if sx.input == sy.input and high / low - 1 <= 0.08 and relate(x, expand(sx), y, expand(sy)):
                expected.add(frozenset((x, y)))
    found = find_relations(specs)
    assert len(found) == len(expected) > 300
    assert {frozenset((r.source, r.target)) for r in found} == expected
    with pytest.raises(TooManyPairs) as counted:  # what the index gives to compare, uncompared
        find_relations(specs, max_pairs=0)
    assert len(found) <= counted.value.pairs < pairs(len(specs)) / 10


def test_pairs_are_counted_before_any_is_compared() -> None:
    specs = {s["name"]: parse(s["notation"]) for s in worst.one_stage(1000)["specs"]}
    with pytest.raises(TooManyPairs) as refused:
        find_relations(specs, max_pairs=LIMITS.max_relation_pairs)
    assert (refused.value.pairs, refused.value.limit) == (pairs(1000), LIMITS.max_relation_pairs)
    some = dict(list(specs.items())[:50])
    assert len(find_relations(some, max_pairs=pairs(50))) == pairs(50)
    with pytest.raises(TooManyPairs):
        find_relations(some, max_pairs=pairs(50) - 1)


def test_a_long_change_is_shortened() -> None:
    widths = " + ".join(f"(3,{65 + i})" for i in range(40))
    found = find_relations({"a": parse("(3,64)x40 + gap"), "b": parse(f"{widths} + gap")}, tolerance=1.0)
    assert [r.factors for r in found] == [{"width": "up"}]
    before, after = found[0].change.removeprefix("stage 1: ").split(" -> ")
    assert before == "(3,64)x40"
    assert after.startswith("(3,65) + (3,66) + ") and after.endswith("… (40 layers in all)")
    assert after.count("(3,") == 12


# -- POST /relations at its limits -------------------------------------------------------------


def test_a_thousand_identical_max_layer_specs(design: Design) -> None:
    out = post_relations(design, worst.identical(1000))
    assert out["status"] == 200 and len(out["nodes"]) == 1000 and out["relations"] == []
    assert {node["notation"] for node in out["nodes"]} == {out["nodes"][0]["notation"]}


def test_too_many_pairs_are_refused_naming_the_limit(design: Design) -> None:
    count = worst.one_stage_count()
    out = post_relations(design, worst.one_stage(count))
    assert out["status"] == 422 and out["field"] == "specs"
    assert f"{pairs(count):,} pairs" in out["detail"] and f"{LIMITS.max_relation_pairs:,}" in out["detail"]


def test_at_the_pair_limit_every_pair_is_related_and_one_spec_more_is_refused(design: Design) -> None:
    body = worst.at_pair_limit()
    count = len(body["specs"])
    assert pairs(count) <= LIMITS.max_relation_pairs < pairs(count + 1)
    out = post_relations(design, body)
    assert out["status"] == 200 and len(out["relations"]) == pairs(count)
    assert len({frozenset((r["source"], r["target"])) for r in out["relations"]}) == pairs(count)
    assert {r["change"].split(":")[0] for r in out["relations"]} == {"stage 2"}
    out = post_relations(design, worst.at_pair_limit(extra=1))
    assert out["status"] == 422 and out["field"] == "specs" and f"{pairs(count + 1):,} pairs" in out["detail"]


def test_max_layer_specs_with_every_stage_a_key(design: Design) -> None:
    body = worst.many_pools()
    count = len(body["specs"])
    assert (
        count == LIMITS.max_relation_layers // 512 and len(parse(body["specs"][0]["notation"]).layers) == 512
    )
    out = post_relations(design, body)
    assert out["status"] == 200
    by_pair = {(r["source"], r["target"]): r for r in out["relations"]}
    half = (count - 1) // 2
    removed = [f"s{i}" for i in range(1, 1 + half)]  # a pool removed: the base adds a stage
    widened = [f"s{i}" for i in range(1 + half, 1 + 2 * half)]
    assert set(by_pair) == {(name, "s0") for name in removed} | {("s0", name) for name in widened}
    assert {by_pair[(name, "s0")]["factors"]["stride/pooling"] for name in removed} == {"added"}
    assert {by_pair[("s0", name)]["tradeoff"] for name in widened} == {"width"}


def test_the_layer_limit_counts_distinct_specs_and_names_the_limit(design: Design) -> None:
    out = post_relations(design, worst.over_layer_limit(1000))
    assert out["status"] == 422 and out["field"] == "specs"
    assert f"{LIMITS.max_relation_layers:,}" in out["detail"] and "layers" in out["detail"]


# -- the team relation figure at its limits ----------------------------------------------------


def team_with(design: Design, specs: dict) -> TeamLogin:
    team = make_team(design.settings)
    worst.store(design.settings.database_url, team.id, specs)
    return team


def figure(design: Design, team: TeamLogin, view: str = "all") -> dict:
    response = design.client.get(
        "/api/v1/figures/relations",
        headers=team.headers,
        params={"scale": "s36", "team": "true", "view": view},
    )
    return {"status": response.status_code, **response.json()}


def test_the_figure_keeps_the_newest_architectures_that_fit_the_layer_limit(design: Design) -> None:
    team = team_with(design, worst.team_max())
    out = figure(design, team)
    kept = LIMITS.max_relation_layers // 512
    assert out["status"] == 200
    mine = [node for node in out["nodes"] if node["kind"] == "architecture"]
    assert len(mine) == kept and "base" in {node["name"] for node in mine}
    left_out = LIMITS.max_figure_architectures - kept
    assert f"your newest {kept}; {left_out} more over" in out["figure"]["layout"]["title"]["text"]
    to_base = [r for r in out["relations"] if "base" in (r["source"], r["target"])]
    assert len(to_base) == kept - 1 and {r["tradeoff"] for r in to_base} == {"width"}
    assert len(out["nodes"]) == len(of_scale("s36")) + kept


def test_the_figure_refuses_too_many_pairs_naming_the_limit(design: Design) -> None:
    out = figure(design, team_with(design, worst.team_variants(LIMITS.max_figure_architectures)))
    assert out["status"] == 422 and out["field"] == "team"
    assert f"{LIMITS.max_relation_pairs:,}" in out["detail"]


def test_the_figure_refuses_too_many_edges_but_draws_a_paper_view(design: Design) -> None:
    team = team_with(design, worst.team_variants(worst.EDGE_VARIANTS))
    out = figure(design, team)
    assert out["status"] == 422 and out["field"] == "team"
    presets = len(find_relations({p.name: p.spec for p in of_scale("s36")}))  # drawn too
    drawn = pairs(worst.EDGE_VARIANTS) + presets
    assert f"{drawn:,} relations" in out["detail"] and f"{LIMITS.max_figure_relations:,}" in out["detail"]
    one = figure(design, team, view="1")
    assert one["status"] == 200 and {r["source"] for r in one["relations"]} <= {
        p.name for p in of_scale("s36")
    }


# -- what a job may ask of a worker ----------------------------------------------------------------

TRAIN = {"dataset": {"kind": "digits"}, "epochs": 1}
SIDE_512 = InputShape(height=512, width=512)


def submit(
    client: TestClient, settings: Settings, team: TeamLogin, notation: str, input: InputShape, **body
) -> dict:
    name = f"model-{uuid.uuid4().hex[:8]}"
    (architecture,) = worst.store(settings.database_url, team.id, {name: parse(notation, input)})
    response = client.post(
        "/api/v1/jobs",
        headers=team.headers,
        json={"architecture_id": architecture, "kind": "train", "params": TRAIN} | body,
    )
    return {"status": response.status_code, **response.json()}


def test_a_model_over_the_parameter_cap_is_refused(client, settings, team) -> None:
    model, side = "(1,32) + fc 930 + fc 10", SIDE_512  # 32 x 512 x 512 features x 930 units
    out = submit(client, settings, team, model, side)
    assert out["status"] == 422 and out["field"] == "architecture_id"
    params = analyse(parse(model, side)).params
    assert params > 7.7e9 and f"{params:,} parameters" in out["detail"]
    assert f"{settings.max_job_params:,}" in out["detail"]


def test_activations_over_the_cap_at_batch_one_name_the_architecture(client, settings, team) -> None:
    model = "(1,16384) + gap + fc 10"
    out = submit(client, settings, team, model, SIDE_512)
    assert out["status"] == 422 and out["field"] == "architecture_id"
    activations = analyse(parse(model, SIDE_512)).activations
    assert activations > 4.29e9 and f"{activations:,} x 4 bytes" in out["detail"]
    assert f"{settings.max_job_activation_bytes:,}" in out["detail"]


@pytest.mark.parametrize(
    ("kind", "params", "fits"),
    [("train", TRAIN, 15), ("benchmark", {"dtype": "bfloat16", "per_layer": False}, 31)],
)
def test_activations_over_the_cap_at_the_batch_name_the_batch(client, settings, kind, params, fits) -> None:
    team = make_team(settings)
    model = "(1,512) + gap + fc 10"  # 134,218,250 activations per image at 512 x 512
    too_many = submit(
        client, settings, team, model, SIDE_512, kind=kind, params=params | {"batch_size": fits + 1}
    )
    assert too_many["status"] == 422 and too_many["field"] == "params.batch_size"
    assert f"batch {fits} fits" in too_many["detail"]
    assert (
        submit(client, settings, team, model, SIDE_512, kind=kind, params=params | {"batch_size": fits})[
            "status"
        ]
        == 201
    )
