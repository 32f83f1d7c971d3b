"""Interchange over HTTP: exports of spec sources and saved architectures, imports of ONNX files,
and the trained weights of jobs, with the visibility rules of the rest of the API."""

from __future__ import annotations

import onnx
import pytest
from onnx import helper

from app.arch.presets import presets
from app.interchange.onnx_export import onnx_bytes
from app.interchange.onnx_import import import_onnx
from app.interchange.weights import weights_path
from tests.interchange_support import LIMITS, conv, conv_weights, model_bytes
from tests.jobs_support import add_architecture, add_job

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.mark.parametrize("fmt", ["onnx", "pytorch"])
def test_export_a_spec_source(client, fmt: str) -> None:
    response = client.post("/api/v1/export", json={"preset": "A-s36", "format": fmt, "name": "mine"})
    assert response.status_code == 200
    suffix = "onnx" if fmt == "onnx" else "py"
    assert response.headers["content-disposition"] == f'attachment; filename="mine.{suffix}"'
    if fmt == "onnx":
        onnx.checker.check_model(onnx.load_from_string(response.content))
        assert import_onnx(response.content, LIMITS).layers == presets()["A-s36"].spec.layers
    else:
        assert response.headers["content-type"].startswith("text/x-python")
        assert "class Net(nn.Module):" in response.text and "self.conv5 = nn.Conv2d(64, 64" in response.text


def test_export_errors_name_the_field(client) -> None:
    response = client.post("/api/v1/export", json={"preset": "A-s36", "format": "keras"})
    assert response.status_code == 422 and response.json()["field"] == "format"
    response = client.post("/api/v1/export", json={"notation": "(3,64) + fc", "format": "onnx"})
    assert response.status_code == 422 and response.json()["field"] == "notation"


def test_export_a_saved_architecture(client, settings, team, other_team) -> None:
    own = add_architecture(settings.database_url, team.id, "B-s36", name="bee")
    response = client.get(
        f"/api/v1/architectures/{own}/export", params={"format": "onnx"}, headers=team.headers
    )
    assert response.status_code == 200 and 'filename="bee.onnx"' in response.headers["content-disposition"]
    assert onnx.load_from_string(response.content).graph.name == "bee"
    published = add_architecture(settings.database_url, other_team.id, published=True)
    hidden = add_architecture(settings.database_url, other_team.id)
    response = client.get(f"/api/v1/architectures/{published}/export?format=pytorch", headers=team.headers)
    assert response.status_code == 200 and "class Net" in response.text
    response = client.get(f"/api/v1/architectures/{hidden}/export?format=onnx", headers=team.headers)
    assert response.status_code == 404 and response.json()["field"] == "architecture_id"
    response = client.get(f"/api/v1/architectures/{own}/export?format=tf", headers=team.headers)
    assert response.status_code == 422 and response.json()["field"] == "query.format"


def test_import_returns_the_analysis_of_complexity(client) -> None:
    response = client.post("/api/v1/import", content=onnx_bytes(presets()["J'-s36"].spec), headers=OCTET)
    assert response.status_code == 200
    imported = response.json()
    expected = client.post("/api/v1/complexity", json={"preset": "J'-s36"}).json()
    for key in ("notation", "conv_macs", "params", "spec_hash", "layers"):
        assert imported[key] == expected[key]


def test_import_refusals_are_422_naming_the_node(client) -> None:
    bn = helper.make_node("BatchNormalization", ["r", "s", "s", "s", "s"], ["y"], name="bn1")
    import numpy as np

    data = model_bytes(
        [conv("c1", "x", "c"), helper.make_node("Relu", ["c"], ["r"], name="relu"), bn],
        {**conv_weights("c1", 4, 3, 3), "s": np.ones(4, np.float32)},
    )
    response = client.post("/api/v1/import", content=data, headers=OCTET)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "graph.node[2]"
    assert body["detail"].startswith("graph.node[2]: node 'bn1' (BatchNormalization): batch normalization")
    response = client.post("/api/v1/import", json={"notation": "(3,64)"})
    assert response.status_code == 422 and "application/octet-stream" in response.json()["detail"]


def _succeeded(
    settings, team_id: int, published: bool = False, kind: str = "train", status: str = "succeeded"
) -> int:
    architecture = add_architecture(settings.database_url, team_id, published=published)
    job = add_job(settings.database_url, team_id, architecture, status=status)
    if kind != "train":
        from app.db import session_scope
        from app.jobs.models import Job

        with session_scope(settings.database_url) as session:
            session.get(Job, job).kind = kind
    return job


def test_weights_of_a_succeeded_training_job(client, settings, team, other_team) -> None:
    job = _succeeded(settings, team.id)
    for fmt, content in (("pt", b"state"), ("onnx", b"model")):
        path = weights_path(settings.checkpoint_dir, job, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        response = client.get(f"/api/v1/jobs/{job}/weights", params={"format": fmt}, headers=team.headers)
        assert response.status_code == 200 and response.content == content
        assert f"-job{job}.{fmt}" in response.headers["content-disposition"]
    # another team's private job looks absent; without a token it needs one
    response = client.get(f"/api/v1/jobs/{job}/weights?format=pt", headers=other_team.headers)
    assert response.status_code == 404 and response.json()["field"] == "job_id"
    response = client.get(f"/api/v1/jobs/{job}/weights?format=pt")
    assert response.status_code == 401


def test_weights_of_a_published_architecture_are_public(client, settings, team) -> None:
    job = _succeeded(settings, team.id, published=True)
    path = weights_path(settings.checkpoint_dir, job, "pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"public")
    assert client.get(f"/api/v1/jobs/{job}/weights?format=pt").content == b"public"
    missing = client.get(f"/api/v1/jobs/{job}/weights?format=onnx")
    assert missing.status_code == 404 and missing.json()["field"] == "format"


@pytest.mark.parametrize(("kind", "status", "fragment"), [
    ("train", "running", "is running; its weights are kept once it has succeeded"),
    ("benchmark", "succeeded", "is a benchmark; only training jobs have weights"),
])  # fmt: skip
def test_weights_need_a_succeeded_training_job(client, settings, team, kind, status, fragment) -> None:
    job = _succeeded(settings, team.id, kind=kind, status=status)
    response = client.get(f"/api/v1/jobs/{job}/weights?format=pt", headers=team.headers)
    assert response.status_code == 409 and fragment in response.json()["detail"]
