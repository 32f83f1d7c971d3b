"""`GET /api/v1/vocabulary`: the dashboard's shared names come from their one home, unchanged."""

from __future__ import annotations

from typing import get_args

from app.arch.layers import LAYER_KINDS
from app.arch.presets import SCALES
from app.arch.units import CONVENTION, PREFIXES, UNIT, UNIT_SENTENCE
from app.jobs.status import ACTIVE, FINISHED, JobKind, JobStatus


def test_job_statuses_are_the_enum(client) -> None:
    body = client.get("/api/v1/vocabulary").json()
    assert body["job_statuses"] == [status.value for status in JobStatus]
    assert set(body["finished"]) == set(FINISHED) and set(body["active"]) == set(ACTIVE)
    # lifecycle order, so the dashboard can list them as they come
    assert body["active"] == ["queued", "running"]
    assert body["finished"] == ["succeeded", "failed", "cancelled"]


def test_job_kinds_are_the_ones_the_api_takes(client) -> None:
    body = client.get("/api/v1/vocabulary").json()
    assert body["job_kinds"] == list(get_args(JobKind)) == ["train", "benchmark", "calibrate"]
    listed = client.get("/openapi.json").json()["paths"]["/api/v1/jobs"]["get"]["parameters"]
    kind = next(p for p in listed if p["name"] == "kind")["schema"]["anyOf"][0]["enum"]
    assert kind == body["job_kinds"]


def test_unit_convention_and_prefixes(client) -> None:
    body = client.get("/api/v1/vocabulary").json()
    assert body["unit"] == UNIT == "MAC"
    assert body["unit_sentence"] == UNIT_SENTENCE and body["convention"] == CONVENTION
    assert [(p["factor"], p["symbol"]) for p in body["prefixes"]] == list(PREFIXES)
    assert [p["symbol"] for p in body["prefixes"]] == ["T", "G", "M", "k"]


def test_scales_name_their_reference_presets(client) -> None:
    body = client.get("/api/v1/vocabulary").json()
    assert [s["name"] for s in body["scales"]] == list(SCALES)
    by_scale = {s["name"]: s for s in body["scales"]}
    assert by_scale["paper"]["reference"] == "A" and by_scale["paper"]["input_side"] == 224
    assert by_scale["s36"]["reference"] == "A-s36" and by_scale["s36"]["input_side"] == 36
    presets = {p["name"] for p in client.get("/api/v1/presets").json()}
    assert {s["reference"] for s in body["scales"]} <= presets


def test_layer_kinds(client) -> None:
    kinds = client.get("/api/v1/vocabulary").json()["layer_kinds"]
    assert [k["kind"] for k in kinds] == list(LAYER_KINDS)
    for entry in kinds:
        kind = LAYER_KINDS[entry["kind"]]
        assert (entry["label"], entry["example"]) == (kind.label, kind.example)


def test_examples_parse_as_their_kind(client) -> None:
    """Each kind's example is valid notation for a layer of that kind (after a conv, for a map)."""
    for entry in client.get("/api/v1/vocabulary").json()["layer_kinds"]:
        notation = f"(3,8) + {entry['example']}" if entry["kind"] != "conv" else entry["example"]
        analysis = client.post(
            "/api/v1/complexity", json={"notation": notation, "input": {"height": 36, "width": 36}}
        ).json()
        assert analysis["layers"][-1]["kind"] == entry["kind"], analysis


def test_no_login_cacheable_and_revalidated(client) -> None:
    response = client.get("/api/v1/vocabulary")
    assert response.status_code == 200 and "Authorization" not in response.request.headers
    assert "max-age" in response.headers["cache-control"]
    etag = response.headers["etag"]
    again = client.get("/api/v1/vocabulary", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content


def test_openapi_documents_the_response(client) -> None:
    schema = client.get("/openapi.json").json()
    ok = schema["paths"]["/api/v1/vocabulary"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/Vocabulary")
