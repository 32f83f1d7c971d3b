"""An honest API contract and safe headers, without a browser: security headers on every response,
/docs and /redoc served from this server, /healthz without error text, job errors without server
paths, and an OpenAPI schema that declares every error response with the real envelope."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.jobs_support import add_architecture, add_job

OPENAPI = create_app(Settings()).openapi()


# --- security headers (docs/design.md, "Browser security") ---------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/js/main.js", "/vendor/plotly.min.js", "/docs", "/redoc", "/healthz", "/api/v1/presets"]
)
def test_every_response_carries_the_security_headers(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert "'unsafe-inline'" not in directives.get("default-src", "")
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/api/v1/presets", "/healthz", "/openapi.json", "/api/v1/no-such-path"])
def test_api_responses_are_not_stored(client, path) -> None:
    assert client.get(path).headers["cache-control"] == "no-store"


def test_errors_and_refusals_carry_the_headers(client, team) -> None:
    unauthorised = client.get("/api/v1/jobs")
    too_big = client.post(
        "/api/v1/complexity", content=b"x" * 2_000_000, headers={"content-type": "application/json"}
    )
    for response in (unauthorised, too_big):
        assert response.status_code in (401, 413)
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_no_store_is_for_api_responses_only(client) -> None:
    assert client.get("/api/v1/presets").headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/js/main.js").headers  # static files stay cacheable
    assert client.get("/api/v1/vocabulary").headers["cache-control"] == "public, max-age=3600"


def test_the_dashboard_needs_no_inline_script_under_its_policy(client) -> None:
    response = client.get("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == []
    assert re.findall(r"\son[a-z]+\s*=", response.text) == []


# --- /docs and /redoc from the installed package ------------------------------------------------


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_nothing_from_elsewhere_and_run_no_inline_script(client, path) -> None:
    page = client.get(path).text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_swagger_starts_from_a_served_script(client) -> None:
    script = client.get("/docs/swagger-init.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text and "/openapi.json" in script.text


# --- /healthz says ok or failing, never why --------------------------------------------------------


def test_healthz_hides_the_drivers_error_text(settings, caplog) -> None:
    down = settings.model_copy(
        update={
            "broker_url": "redis://127.0.0.1:1/0",
            "database_url": "postgresql+psycopg://nobody@127.0.0.1:1/secret_db",
        }
    )
    with caplog.at_level(logging.WARNING, logger="isocost.health"), TestClient(create_app(down)) as offline:
        response = offline.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["database"]["ok"] is False and body["broker"]["ok"] is False
    for secret in ("127.0.0.1", "secret_db", "nobody", "refused", "Error"):
        assert secret not in response.text
    assert "secret_db" in caplog.text or "127.0.0.1" in caplog.text  # the reason is in the log


# --- job errors show no server paths ------------------------------------------------------------


def test_job_errors_name_paths_relative_to_the_data_root(client, settings, team) -> None:
    root = settings.data_root.absolute()
    checkpoints = settings.checkpoint_dir.absolute()
    error = (
        f"cifar10: {root}/cifar/data_batch_1 is a link leading outside the data root {root}; "
        f"resolves to /etc/passwd; checkpoint {checkpoints}/job-7.pt unreadable"
    )
    arch = add_architecture(settings.database_url, team.id)
    job = add_job(settings.database_url, team.id, arch, status="failed", error=error)
    shown = client.get(f"/api/v1/jobs/{job}", headers=team.headers).json()["error"]
    listed = client.get("/api/v1/jobs", headers=team.headers).json()["items"][0]["error"]
    expected = (
        "cifar10: cifar/data_batch_1 is a link leading outside the data root $ISOCOST_DATA_ROOT; "
        "resolves to <a path outside the data root>; checkpoint $ISOCOST_CHECKPOINT_DIR/job-7.pt unreadable"
    )
    assert shown == expected and listed == expected


# --- the OpenAPI schema declares what the API sends ----------------------------------------------

TEAM_ROUTES = [
    (path, method)
    for path, item in OPENAPI["paths"].items()
    for method in item
    if path.startswith(("/api/v1/architectures", "/api/v1/budgets", "/api/v1/jobs", "/api/v1/tokens"))
]


@pytest.mark.parametrize(("path", "method"), TEAM_ROUTES)
def test_team_routes_declare_401(path, method) -> None:
    assert "401" in OPENAPI["paths"][path][method]["responses"]


def test_every_route_that_reads_the_database_declares_503() -> None:
    # a team's token is looked up in the database, so every authenticated route can meet an outage
    operations = [
        (path, method, op["responses"])
        for path, item in OPENAPI["paths"].items()
        for method, op in item.items()
    ]
    authenticated = [(path, method) for path, method, answers in operations if "401" in answers]
    assert len(authenticated) > 30
    for path, method, answers in operations:
        if "401" in answers or path.startswith("/api/v1/device-profiles"):
            assert "503" in answers, (method, path)
            assert answers["503"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"
            }
    assert "503" not in OPENAPI["paths"]["/api/v1/presets"]["get"]["responses"]  # needs no database


def test_every_error_response_is_the_envelope() -> None:
    errors = [
        (path, method, status, response)
        for path, item in OPENAPI["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if status.startswith("4")
    ]
    assert errors
    for path, method, status, response in errors:
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, method, status)
    assert "HTTPValidationError" not in OPENAPI["components"]["schemas"]


def test_figure_routes_have_response_models() -> None:
    for path, item in OPENAPI["paths"].items():
        if path.startswith("/api/v1/figures"):
            for operation in item.values():
                schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
                assert schema.get("$ref", "").endswith("Figure"), path


def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(client) -> None:
    response = client.post(
        "/api/v1/complexity", content=b'{"notation": "\xff"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["field"] == "body"
