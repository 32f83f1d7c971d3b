"""Time budgets (docs/design.md, "Device profiles"): a budget on a device profile, in batch-1 ms
or images/s at a batch, made from a design (its predicted time, marked so) or from a number; bad
input is a 422 naming the field; the leaderboard is tests/test_latency_budgets_board.py."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.budgets.models import Budget
from app.budgets.service import time_within
from app.db import session_scope
from app.jobs.params import BenchmarkParams
from app.leaderboard.timings import benchmark_protocol
from app.migrate import alembic_config, upgrade
from app.profiles.models import DeviceProfile
from app.profiles.service import predict_on, store
from tests.test_timing_profiles import profile_data

URL = "/api/v1/budgets"


def unique(prefix: str = "time") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_profile(settings, device: str | None = None, team_id: int | None = None) -> dict:
    """A stored profile of the synthetic model (tests/test_timing_profiles.py) on its own device."""
    name, device = unique("cpu"), device or unique("Test CPU")
    with session_scope(settings.database_url) as session:
        row = store(session, profile_data(name, device=device), team_id=team_id)
        return {"id": row.id, "name": name, "device": device}


@pytest.fixture
def profile(settings) -> dict:
    return new_profile(settings)


def post(client, login, **body):
    body.setdefault("name", unique())
    return client.post(URL, json=body, headers=login.headers)


def created(client, login, **body) -> dict:
    response = post(client, login, **body)
    assert response.status_code == 201, response.text
    return response.json()


def predicted_ms(settings, profile: dict, preset: str) -> float:
    with session_scope(settings.database_url) as session:
        row = session.get(DeviceProfile, profile["id"])
        return predict_on(analyse(presets()[preset].spec), row).total_s * 1e3


def test_a_latency_budget_from_a_preset_takes_its_predicted_time(client, settings, team, profile) -> None:
    out = created(client, team, metric="latency_ms", device_profile=profile["id"], reference_preset="A-s36",
                  tolerance=0.1)  # fmt: skip
    assert (out["metric"], out["unit"], out["batch_size"], out["input_side"]) == ("latency_ms", "ms", 1, 36)
    assert out["reference_value"] == pytest.approx(predicted_ms(settings, profile, "A-s36"), rel=1e-12)
    assert out["reference_predicted"] is True and out["tolerance"] == 0.1
    assert out["reference_conv_macs"] is None  # a time budget compares times, not C
    assert (
        out["device_profile"]["id"] == profile["id"] and out["device_profile"]["device"] == profile["device"]
    )
    assert out["device_profile"]["dtype"] == "float32" and out["device_profile"]["threads"] == 2
    listed = {b["id"]: b for b in client.get(URL, headers=team.headers).json()}
    assert listed[out["id"]] == out
    # by the profile's name: the newest profile of that name
    by_name = created(
        client, team, metric="latency_ms", device_profile=profile["name"], reference_preset="B-s36"
    )
    assert by_name["device_profile"]["id"] == profile["id"]


def test_a_latency_budget_from_an_architecture_or_a_number(client, settings, team, profile) -> None:
    arch = client.post(
        "/api/v1/architectures", json={"name": unique(), "preset": "C-s36"}, headers=team.headers
    )
    out = created(client, team, metric="latency_ms", device_profile=profile["id"],
                  reference_architecture_id=arch.json()["id"])  # fmt: skip
    assert out["reference_architecture_id"] == arch.json()["id"] and out["reference_predicted"] is True
    assert out["reference_value"] == pytest.approx(predicted_ms(settings, profile, "C-s36"), rel=1e-12)
    given = created(client, team, metric="latency_ms", device_profile=profile["id"], reference_value=2.5,
                    input_side=48, device=profile["device"])  # fmt: skip
    assert (given["reference_value"], given["input_side"], given["reference_predicted"]) == (2.5, 48, False)
    assert given["reference_conv_macs"] is None and given["reference_preset"] is None


def test_a_throughput_budget_is_a_rate_at_a_batch(client, team, profile) -> None:
    out = created(client, team, metric="throughput", device_profile=profile["id"], batch_size=64,
                  reference_value=5000, input_side=36)  # fmt: skip
    assert (out["metric"], out["unit"], out["batch_size"], out["reference_value"]) == (
        "throughput", "images/s", 64, 5000,
    )  # fmt: skip
    assert out["reference_predicted"] is False and out["reference_conv_macs"] is None


def test_a_cost_budget_is_what_it_was(client, team) -> None:
    out = created(client, team, reference_preset="A-s36")
    assert (out["metric"], out["unit"], out["device_profile"], out["reference_value"]) == (
        "macs",
        "MAC",
        None,
        None,
    )
    assert created(client, team, metric="macs", reference_preset="A-s36")["metric"] == "macs"


PROFILE = "<the profile fixture's id>"
LATENCY = {"metric": "latency_ms", "device_profile": PROFILE, "reference_preset": "A-s36"}
THROUGHPUT = {"metric": "throughput", "device_profile": PROFILE, "batch_size": 32, "reference_value": 100.0,
              "input_side": 36}  # fmt: skip
GIVEN = {"metric": "latency_ms", "device_profile": PROFILE, "reference_value": 3.0}


def without(body: dict, key: str) -> dict:
    return {k: v for k, v in body.items() if k != key}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({**LATENCY, "device_profile": 2**31 - 2}, "device_profile", "no device profile id"),
        ({**LATENCY, "device_profile": "no-such-profile-zz"}, "device_profile", "no device profile named"),
        ({**LATENCY, "device_profile": 0}, "device_profile", "a profile id is 1 to"),
        (without(LATENCY, "device_profile"), "device_profile", "Field required"),
        ({**LATENCY, "device": "Some Other CPU"}, "device_profile", "not 'Some Other CPU'"),
        ({**LATENCY, "device": "a\u202eb"}, "device", "invisible"),
        (
            {**THROUGHPUT, "batch_size": 5000},
            "batch_size",
            "over this server's benchmark batch limit of 1,024",
        ),
        ({**THROUGHPUT, "batch_size": 0}, "batch_size", "greater than or equal to 1"),
        (without(THROUGHPUT, "batch_size"), "batch_size", "Field required"),
        ({**THROUGHPUT, "reference_preset": "A-s36"}, "reference_preset", "Extra inputs"),
        ({**THROUGHPUT, "reference_value": 1e10}, "reference_value", "less than or equal"),
        ({**LATENCY, "batch_size": 8}, "batch_size", "Extra inputs"),
        ({**LATENCY, "reference_conv_macs": 5}, "reference_conv_macs", "Extra inputs"),
        ({**LATENCY, "reference_value": 3.0}, None, "got reference_preset, reference_value"),
        ({**LATENCY, "input_side": 36}, "input_side", "comes from the reference"),
        ({**LATENCY, "reference_preset": "Q"}, "reference_preset", "no preset 'Q'"),
        (GIVEN, "input_side", "required with reference_value"),
        ({**GIVEN, "input_side": 600}, "input_side", "benchmark limit of 512 px"),
        ({**GIVEN, "input_side": 36, "reference_value": 0}, "reference_value", "greater than 0"),
        ({"metric": "flops", "reference_preset": "A-s36"}, "metric", "'latency_ms'"),
        ({"reference_preset": "A-s36", "device_profile": PROFILE}, "device_profile", "Extra inputs"),
    ],
)
def test_bad_input_names_the_field(client, team, profile, body, field, fragment) -> None:
    body = {key: profile["id"] if value == PROFILE else value for key, value in body.items()}
    response = post(client, team, **body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and fragment in response.json()["detail"], response.text


def test_what_the_team_cannot_see_is_refused_as_if_absent(
    client, settings, team, other_team, profile
) -> None:
    """Another team's private design cannot be a reference, and the 422 says no more than for an id
    that does not exist. Profiles are shared (docs/design.md, "Device profiles": they describe
    devices), so another team's profile is usable, and its budget is listed to every team."""
    theirs = client.post("/api/v1/architectures", json={"name": unique(), "preset": "B-s36"},
                         headers=other_team.headers).json()  # fmt: skip
    hidden = post(
        client,
        team,
        metric="latency_ms",
        device_profile=profile["id"],
        reference_architecture_id=theirs["id"],
    )
    absent = post(
        client, team, metric="latency_ms", device_profile=profile["id"], reference_architecture_id=2**31 - 3
    )
    assert hidden.status_code == absent.status_code == 422
    assert hidden.json()["field"] == absent.json()["field"] == "reference_architecture_id"
    assert hidden.json()["detail"].replace(str(theirs["id"]), "N") == absent.json()["detail"].replace(
        str(2**31 - 3), "N"
    )
    other_profile = new_profile(settings, team_id=other_team.id)
    out = created(
        client, team, metric="latency_ms", device_profile=other_profile["id"], reference_preset="A-s36"
    )
    assert out["id"] in {b["id"] for b in client.get(URL, headers=other_team.headers).json()}


@pytest.mark.parametrize(
    ("value", "inside"), [(105.0, True), (95.0, True), (105.00001, False), (94.99999, False), (100.0, True)]
)
def test_time_within_is_exact_at_the_edges(value, inside) -> None:
    assert time_within(Budget(reference_value=100.0, tolerance=0.05), value) is inside


@pytest.mark.parametrize("batch", [1, 16, 1024])
@pytest.mark.parametrize(("dtype", "channels_last"), [("float32", False), ("bfloat16", True)])
def test_benchmark_protocols_read_back(batch, dtype, channels_last) -> None:
    params = BenchmarkParams(batch_size=batch, dtype=dtype, channels_last=channels_last)
    read = benchmark_protocol(params.protocol())
    assert read is not None and (read.batch_size, read.dtype, read.channels_last) == (
        batch,
        dtype,
        channels_last,
    )


@pytest.mark.parametrize(
    "text", ["digits, 30 epochs", "benchmark, batch 1 and 32, float16", "benchmark, batch 1 and 0, float32"]
)
def test_other_protocols_are_not_benchmarks(text) -> None:
    assert benchmark_protocol(text) is None


def test_the_migration_keeps_cost_budgets_and_drops_time_budgets_going_back(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'budgets.db'}"
    upgrade(url, "b5e8d2f4c613")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO budgets (name, reference_conv_macs, input_side, tolerance, created_at)"
            " VALUES ('old', 123, 36, 0.05, '2026-01-01')"
        )
    upgrade(url)
    with engine.begin() as connection:
        row = connection.exec_driver_sql(
            "SELECT metric, reference_predicted, device_profile_id FROM budgets WHERE name = 'old'"
        ).one()
        assert tuple(row) == ("macs", 0, None)
        connection.exec_driver_sql(
            "INSERT INTO budgets (name, metric, input_side, tolerance, reference_value, created_at)"
            " VALUES ('timed', 'latency_ms', 36, 0.05, 2.0, '2026-01-01')"
        )
    command.downgrade(alembic_config(url), "b5e8d2f4c613")
    with engine.connect() as connection:
        assert [r[0] for r in connection.exec_driver_sql("SELECT name FROM budgets ORDER BY id")] == [
            "A (224)", "A-s36", "old",
        ]  # fmt: skip
    engine.dispose()
