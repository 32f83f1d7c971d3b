"""No input gives a 500 (docs/design.md, "Input"): JSON the parser cannot take and bodies not sent
as JSON, on every JSON endpoint; one rule for strings; strict job parameters; degenerate values
(a reference without conv layers, a run that trains nothing, a constant dataset). The HTTP tests
run on SQLite and PostgreSQL (the `client` fixture)."""

from __future__ import annotations

import pickle
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from app.arch.analysis import analyse
from app.arch.notation import parse
from app.arch.text import check_text
from app.budgets.models import Budget
from app.db import session_scope
from app.jobs.models import Job, Result
from app.main import create_app
from app.settings import Settings
from tests.jobs_support import add_architecture
from tests.test_api_leaderboard import results
from tests.train_support import train_on_cpu

API = "/api/v1"
# Every operation whose OpenAPI entry takes a JSON body: a new one is covered without listing it.
JSON_ENDPOINTS = sorted(
    (method.upper(), path)
    for path, operations in create_app(Settings()).openapi()["paths"].items()
    for method, operation in operations.items()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
)
assert len(JSON_ENDPOINTS) >= 11 and ("PATCH", f"{API}/architectures/{{architecture_id}}") in JSON_ENDPOINTS

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
HUGE_INT = b'{"name": 1' + b"0" * 5000 + b"}"  # 10**5000
UNPARSABLE = {"nested arrays": DEEP, "nested objects": DEEP_OBJECT, "10**5000": HUGE_INT}


@pytest.fixture
def own_architecture(client, team) -> dict:
    body = {"name": f"h-{uuid.uuid4().hex[:8]}", "preset": "A-s36"}
    response = client.post(f"{API}/architectures", json=body, headers=team.headers)
    assert response.status_code == 201, response.text
    return response.json()


def headers_for(path: str, team, settings: Settings) -> dict[str, str]:
    if path == f"{API}/teams":
        assert settings.admin_token is not None
        return {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}
    return team.headers


def assert_envelope(response, status: int, field: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"detail", "field", "errors"}
    assert body["field"] == field and body["errors"][0]["field"] == field, body
    assert fragment in body["detail"], body["detail"]


# --- 2. JSON the parser cannot take, and bodies not sent as JSON -------------------------------


@pytest.mark.parametrize(("method", "template"), JSON_ENDPOINTS)
@pytest.mark.parametrize("case", list(UNPARSABLE))
def test_unparsable_json_is_a_422_naming_the_body(
    client, settings, team, own_architecture, method, template, case
) -> None:
    path = re.sub(r"\{\w+\}", str(own_architecture["id"]), template)  # ids: an architecture of the team
    headers = {**headers_for(template, team, settings), "content-type": "application/json"}
    response = client.request(method, path, content=UNPARSABLE[case], headers=headers)
    fragment = "a number has more than 4,300 digits" if case == "10**5000" else "nested too deeply"
    assert_envelope(response, 422, "body", f"invalid JSON: {fragment}")


@pytest.mark.parametrize(("method", "template"), JSON_ENDPOINTS)
@pytest.mark.parametrize("content_type", ["text/plain", None, "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_says_which_content_type(
    client, settings, team, own_architecture, method, template, content_type
) -> None:
    path = re.sub(r"\{\w+\}", str(own_architecture["id"]), template)
    headers = headers_for(template, team, settings)
    if content_type:
        headers = {**headers, "content-type": content_type}
    response = client.request(method, path, content=b'{"name": "x"}', headers=headers)
    assert_envelope(response, 422, "body", "must be JSON, sent with Content-Type: application/json")
    assert (content_type or "no Content-Type") in response.json()["detail"]


# A notation integer longer than Python's int-string limit (4,300 digits) is a notation error at its
# position, on every endpoint that parses notation: each takes it as a spec source.
LONG = "(3," + "9" * 4301 + ")"
NOTATION_BODIES = {
    "complexity": ("POST", "/complexity", {"notation": LONG}, "notation"),
    "replacements": ("POST", "/replacements", {"notation": LONG, "first": 1, "last": 1, "size": 3}, "notation"),
    "relations": ("POST", "/relations", {"specs": [{"name": "m", "notation": LONG}]}, "specs[0].notation"),
    "architectures": ("POST", "/architectures", {"name": "long", "notation": LONG}, "notation"),
    "studies": ("POST", "/studies", {"name": "long", "models": [{"name": "m", "notation": LONG}]},
                "models[0].notation"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(NOTATION_BODIES))
def test_a_notation_integer_over_the_int_string_limit_is_a_422_at_its_position(client, team, case) -> None:
    method, path, body, field = NOTATION_BODIES[case]
    response = client.request(method, f"{API}{path}", json=body, headers=team.headers)
    assert_envelope(response, 422, field, "")
    assert response.json()["position"] == 3, response.json()


# --- 3. One rule for strings ------------------------------------------------------------------

BAD_CHARACTERS = {
    "NUL": "\x00",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 APC": "\x9f",
    "LRE": "\u202a",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "PDI": "\u2069",
    "ZWSP": "\u200b",
    "BOM": "\ufeff",
    "soft hyphen": "\u00ad",
    "lone surrogate": "\ud800",
    "line separator": "\u2028",
}


@pytest.mark.parametrize("name", list(BAD_CHARACTERS))
def test_the_rule_refuses_each_kind(name: str) -> None:
    character = BAD_CHARACTERS[name]
    with pytest.raises(ValueError, match=f"U\\+{ord(character):04X} at character 2"):
        check_text(f"ab{character}cd")


def test_the_rule_keeps_visible_text() -> None:
    for text in ("A-s36 (paper)", "réseau 名前 Ωmega", "emoji 🙂", "tab-free name", "data/cifar-10"):
        assert check_text(text) == text
    # the whole of C0, DEL and C1, and every format character of the BMP
    refused = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) in ("Cc", "Cf")]
    assert {"\x00", "\x1f", "\x7f", "\x80", "\x9f", "\u202a", "\u2069", "\u200b", "\ufeff"} <= set(refused)
    for character in refused:
        with pytest.raises(ValueError):
            check_text(character)


def string_targets(architecture_id: int) -> list[tuple[str, str, Any, str]]:
    """(method, path, body with {} where the string goes, field the 422 names)."""
    arch = f"{API}/architectures"
    job = {"architecture_id": architecture_id, "kind": "train"}
    return [
        ("POST", arch, {"name": "{}", "preset": "A-s36"}, "name"),
        ("PATCH", f"{arch}/{architecture_id}", {"name": "{}"}, "name"),
        ("POST", arch, {"name": f"ok-{uuid.uuid4().hex[:6]}", "spec": {"name": "{}", "layers": [{"type": "fc", "units": 3}]}},
         "spec.name"),
        ("POST", f"{API}/budgets", {"name": "{}", "reference_preset": "A"}, "name"),
        ("POST", f"{API}/tokens", {"label": "{}"}, "label"),
        ("POST", f"{API}/complexity", {"preset": "A", "name": "{}"}, "name"),
        ("POST", f"{API}/complexity", {"spec": {"name": "{}", "layers": [{"type": "fc", "units": 3}]}}, "spec.name"),
        ("POST", f"{API}/relations", {"specs": [{"name": "{}", "preset": "A"}]}, "specs[0].name"),
        ("POST", f"{API}/jobs", {**job, "params": {"epochs": 1, "dataset": {"kind": "cifar10", "path": "{}"}}},
         "params.dataset.path"),
    ]  # fmt: skip


def fill(body: Any, text: str) -> Any:
    if isinstance(body, dict):
        return {key: fill(value, text) for key, value in body.items()}
    if isinstance(body, list):
        return [fill(value, text) for value in body]
    return body.replace("{}", text) if isinstance(body, str) else body


@pytest.mark.parametrize("target", range(9))
@pytest.mark.parametrize("name", ["NUL", "C1 NEL", "RLO", "PDI", "ZWSP", "BOM"])
def test_stored_strings_refuse_invisible_characters(client, team, own_architecture, target, name) -> None:
    method, path, body, field = string_targets(own_architecture["id"])[target]
    text = f"x-{uuid.uuid4().hex[:6]}{BAD_CHARACTERS[name]}y"
    response = client.request(method, path, json=fill(body, text), headers=team.headers)
    assert_envelope(
        response, 422, field, "must not contain control characters or invisible format characters"
    )
    # the same request with visible non-ASCII text is not refused for that field
    response = client.request(
        method, path, json=fill(body, f"réseau-{uuid.uuid4().hex[:6]}"), headers=team.headers
    )
    assert response.status_code < 400 or response.json()["field"] != field, response.text


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        (f"{API}/leaderboard", "protocol"),
        (f"{API}/leaderboard", "team"),
        (f"{API}/figures/leaderboard", "protocol"),
        (f"{API}/architectures", "q"),
    ],
)
def test_string_filters_refuse_invisible_characters(client, team, path, parameter) -> None:
    for character in ("\x85", "\u202e", "\u200b"):
        query = {"budget_id": 1} if "leaderboard" in path else {}
        response = client.get(path, params={**query, parameter: f"a{character}b"}, headers=team.headers)
        assert_envelope(response, 422, f"query.{parameter}", "invisible format characters")


# --- 5e. Job parameters take strict types -----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "wrong", "right", "field"),
    [
        ("train", {"epochs": "1"}, {"epochs": 1}, "params.epochs"),
        ("train", {"epochs": True}, {"epochs": 1}, "params.epochs"),
        ("train", {"epochs": 1, "batch_size": "64"}, {"epochs": 1, "batch_size": 64}, "params.batch_size"),
        # a JSON integer is a number: strict floats take it
        ("train", {"time_budget_s": "60"}, {"time_budget_s": 60}, "params.time_budget_s"),
        ("train", {"epochs": 1, "lr": "0.1"}, {"epochs": 1, "lr": 1}, "params.lr"),
        ("train", {"epochs": 1, "seed": False}, {"epochs": 1, "seed": 0}, "params.seed"),
        ("benchmark", {"repeats": "5"}, {"repeats": 5}, "params.repeats"),
        ("benchmark", {"per_layer": "yes"}, {"per_layer": True}, "params.per_layer"),
        ("benchmark", {"per_layer": 1}, {"per_layer": False}, "params.per_layer"),
    ],
)
def test_job_params_are_strict(client, team, own_architecture, kind, wrong, right, field) -> None:
    body = {"architecture_id": own_architecture["id"], "kind": kind}
    response = client.post(f"{API}/jobs", json={**body, "params": wrong}, headers=team.headers)
    assert_envelope(response, 422, field, "")
    response = client.post(f"{API}/jobs", json={**body, "params": right}, headers=team.headers)
    assert response.status_code == 201, response.text
    assert response.json()["jobs"][0]["params"].items() >= right.items()


# --- 5a, 5b. A reference without conv layers --------------------------------------------------

NO_CONV = "gap + fc 10"


def test_a_budget_refuses_a_reference_without_conv_layers(client, team) -> None:
    body = {"name": f"z-{uuid.uuid4().hex[:6]}", "notation": NO_CONV, "input": {"height": 36, "width": 36}}
    architecture = client.post(f"{API}/architectures", json=body, headers=team.headers).json()
    assert architecture["conv_macs"] == 0
    body = {"name": f"zero-{uuid.uuid4().hex[:6]}", "reference_architecture_id": architecture["id"]}
    response = client.post(f"{API}/budgets", json=body, headers=team.headers)
    assert_envelope(response, 422, "reference_architecture_id", "no conv layers (C = 0)")


def test_the_leaderboard_survives_a_stored_reference_of_zero_cost(client, settings, team) -> None:
    body = {
        "name": f"z-{uuid.uuid4().hex[:6]}",
        "notation": NO_CONV,
        "input": {"height": 36, "width": 36},
        "published": True,
    }
    architecture = client.post(f"{API}/architectures", json=body, headers=team.headers).json()
    protocol = f"zero-{uuid.uuid4().hex[:6]}"
    results(settings, architecture, protocol, [80.0, 82.0])
    with session_scope(settings.database_url) as session:  # as a budget made before the refusal
        budget = Budget(name=protocol, reference_conv_macs=0, input_side=36, tolerance=0.05, team_id=team.id)
        session.add(budget)
        session.flush()
        budget_id = budget.id
    for path in ("leaderboard", "figures/leaderboard"):
        response = client.get(f"{API}/{path}", params={"budget_id": budget_id}, headers=team.headers)
        assert response.status_code == 200, response.text
    board = client.get(f"{API}/leaderboard", params={"budget_id": budget_id}, headers=team.headers).json()
    [entry] = [e for e in board["entries"] if e["protocol"] == protocol]
    assert entry["ratio"] is None and entry["top1_error_mean"] == pytest.approx(81.0)


def test_ratio_to_a_zero_cost_reference_is_null_and_documented(client) -> None:
    analysis = analyse(parse("(3,16) + gap + fc 10"), parse(NO_CONV))
    assert analysis.relative_to is not None and analysis.relative_to.ratio is None
    body = {"notation": "(3,16) + gap + fc 10", "reference": {"notation": NO_CONV}}
    response = client.post(f"{API}/complexity", json=body)
    assert response.status_code == 200 and "Infinity" not in response.text and "NaN" not in response.text
    assert response.json()["relative_to"]["ratio"] is None
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for schema in (schemas["Relative"]["properties"]["ratio"], schemas["Entry"]["properties"]["ratio"]):
        assert {option.get("type") for option in schema["anyOf"]} == {"number", "null"}
        assert "null" in schema["description"]


# --- 5c. A run that trains nothing fails -------------------------------------------------------

TINY = "(3,4) + gap + fc 10"  # digits at 8x8, so the loop is quick


def test_a_time_budget_spent_before_the_first_batch_fails_the_run(tmp_path: Path) -> None:
    from app.arch.spec import InputShape
    from app.jobs.params import TrainParams
    from worker.errors import NothingTrained

    spec = parse(TINY).model_copy(update={"input": InputShape(channels=1, height=8, width=8)})
    params = TrainParams(time_budget_s=1e-300, max_train_images=64, batch_size=32)
    with pytest.raises(NothingTrained, match="nothing was trained: the time budget of 1e-300 s was spent"):
        train_on_cpu(
            spec, params, tmp_path, on_epoch=lambda m: pytest.fail(f"no epoch should be reported: {m}")
        )


def test_the_job_of_such_a_run_fails_with_the_reason_and_no_result(settings, team) -> None:
    from worker.runner import run

    architecture_id = add_architecture(settings.database_url, team.id)
    with session_scope(settings.database_url) as session:
        job = Job(team_id=team.id, architecture_id=architecture_id, kind="train", queue="cpu",
                  params={"time_budget_s": 1e-300, "max_train_images": 64}, protocol="1e-300 s")  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    outcome = run(settings, job_id, "test-worker")
    assert outcome.startswith("failed: nothing was trained"), outcome
    with session_scope(settings.database_url) as session:
        job = session.get_one(Job, job_id)
        assert job.status == "failed" and "time budget of 1e-300 s" in (job.error or "")
        assert session.scalar(select(Result).where(Result.job_id == job_id)) is None


# --- 5d. A dataset of constant pixels says so --------------------------------------------------


def write_constant_cifar(folder: Path, value: int = 128) -> None:
    from worker.datasets.cifar10 import CIFAR_TEST_FILE, CIFAR_TRAIN_FILES

    folder.mkdir(parents=True)
    for name in (*CIFAR_TRAIN_FILES, CIFAR_TEST_FILE):
        batch = {b"data": np.full((4, 3072), value, dtype=np.uint8), b"labels": [0, 1, 2, 3]}
        (folder / name).write_bytes(pickle.dumps(batch))


def test_a_constant_dataset_is_refused_for_zero_variance(tmp_path: Path) -> None:
    from app.arch.presets import presets
    from app.jobs.params import DatasetRef, TrainParams
    from worker.errors import DatasetError

    write_constant_cifar(tmp_path / "flat")
    params = TrainParams(epochs=1, batch_size=4, dataset=DatasetRef(kind="cifar10", path="flat"))
    with pytest.raises(DatasetError, match=r"zero variance .*channel 0 is 0\.5020 everywhere.*divides"):
        train_on_cpu(presets()["A-s36"].spec, params, tmp_path)
