"""The API keeps its OpenAPI contract: a property-based run over the schema with all of schemathesis's
checks (nothing gives a 500; every response is documented and matches its schema), and integer
parameters out of range. The matrix of bad inputs per endpoint is tests/test_api_bad_input.py."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import ADMIN, make_team
from tests.fuzz_support import Context, exported_onnx, valid
from tests.jobs_support import add_architecture

EXAMPLES = 30  # per operation and database, valid and invalid inputs together

# The schema does not depend on the settings, so the operations can be listed at collection time.
OPENAPI = create_app(Settings()).openapi()
OPERATIONS = [
    pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
    for path, item in OPENAPI["paths"].items()
    for method in item
]


def _integer_schema(schema: dict) -> dict | None:
    if schema.get("type") == "integer":
        return schema
    return next((s for s in schema.get("anyOf", []) if s.get("type") == "integer"), None)


def _integer_parameters() -> list:
    """(method, path, where, name, other required parameters) for every integer path or query
    parameter; the others get a valid value (1)."""
    out = []
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                schema = _integer_schema(parameter["schema"])
                if schema is None:
                    continue
                others = {
                    p["name"]: 1 for p in parameters if p["required"] and p["name"] != parameter["name"]
                }
                for value in (0, -1, 2**31, 2**63, 10**30):
                    out.append(
                        pytest.param(
                            method.upper(),
                            path,
                            parameter["in"],
                            parameter["name"],
                            others,
                            value,
                            id=f"{method.upper()} {path} {parameter['name']}={value}",
                        )
                    )
    return out


INTEGER_PARAMETERS = _integer_parameters()


@pytest.fixture(scope="session")
def fuzz_app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def onnx_files(fuzz_app) -> list[bytes]:
    return exported_onnx(TestClient(fuzz_app))  # not entered: no second lifespan


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_keeps_its_contract(fuzz_app, settings, onnx_files, method, path) -> None:
    """schemathesis generates valid and invalid requests from the schema and runs ALL its checks on
    every response (no 5xx; documented statuses, content types and headers; bodies matching their
    schema, error envelopes included; valid data accepted, invalid rejected). Valid cases obey the
    rules JSON Schema cannot state (tests/fuzz_support.py); a fresh team per operation, so one that
    revokes its token or fills its quota leaves the others alone. `from_dict` and an un-entered
    ASGIClient: no second lifespan (`schemathesis.pytest.from_fixture` starts one, and fails on
    pytest 9, which removed `Node._nodeid`)."""
    operation = schemathesis.openapi.from_dict(fuzz_app.openapi())[path][method]
    team = make_team(settings, "fuzz")
    context = Context(add_architecture(settings.database_url, team.id), onnx_files)
    headers = ADMIN if (method, path) == ("POST", "/api/v1/teams") else team.headers
    session = ASGIClient(fuzz_app)

    @given(case=st.one_of(valid(operation, context), operation.as_strategy(GenerationMode.NEGATIVE)))
    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case) -> None:
        response = case.call_and_validate(app=fuzz_app, session=session, headers=headers)
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body["detail"], str) and "field" in body and body["errors"]

    check()


@pytest.mark.parametrize(("method", "path", "where", "name", "others", "value"), INTEGER_PARAMETERS)
def test_integer_parameters_out_of_range(client, team, method, path, where, name, others, value) -> None:
    """Ids beyond 32 bits overflow PostgreSQL's integer (beyond 64 bits, SQLite's): 4xx, never 500."""
    values = {**others, name: value}
    url = path.format(**values)
    params = {key: v for key, v in values.items() if "{" + key + "}" not in path}
    response = client.request(method, url, params=params, headers=team.headers)
    assert response.status_code < 500, response.text
    if response.status_code == 422:
        assert response.json()["field"] == f"{where}.{name}"
