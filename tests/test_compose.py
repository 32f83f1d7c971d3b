"""docker compose cannot run here: parse docker-compose.yml and check its wiring instead."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.db import POOL_RESERVE

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_health_ordering() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "api", "worker-gpu0", "worker-cpu"} <= set(services)
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["command"] == ["isocost", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_redis_keeps_an_append_only_file() -> None:
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_workers() -> None:
    services = compose()["services"]
    gpu = services["worker-gpu0"]
    assert gpu["command"] == ["isocost", "worker", "--queues", "gpu", "--gpu", "0"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device == {"driver": "nvidia", "device_ids": ["0"], "capabilities": ["gpu"]}
    assert services["worker-cpu"]["command"][-1] == "cpu"
    for name in ("worker-gpu0", "worker-cpu"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["volumes"][0].endswith(":/data:ro")  # workers only read datasets


def test_everyone_shares_one_database_and_broker() -> None:
    services = compose()["services"]
    urls = {(services[n]["environment"]["ISOCOST_DATABASE_URL"], services[n]["environment"]["ISOCOST_BROKER_URL"])
            for n in ("migrate", "api", "worker-gpu0", "worker-cpu")}  # fmt: skip
    ((database, broker),) = urls
    assert database.startswith("postgresql+psycopg://") and "@postgres:5432/" in database
    assert broker == "redis://redis:6379/0"
    assert services["postgres"]["environment"]["POSTGRES_DB"] == database.rsplit("/", 1)[1]


def test_dockerfile_installs_the_package_and_runs_the_api() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -e ." in dockerfile
    assert 'CMD ["isocost", "api", "--host", "0.0.0.0", "--port", "8000", "--workers", "4"]' in dockerfile


def test_the_api_runs_as_several_processes() -> None:
    """`isocost api` (app.serve.run_api): uvicorn workers, slow clients timed out; and the
    connections all API processes may open fit PostgreSQL's default max_connections (100)."""
    api = compose()["services"]["api"]
    command = api["command"]
    assert command[:2] == ["isocost", "api"] and command[command.index("--host") + 1] == "0.0.0.0"
    workers = int(command[command.index("--workers") + 1])
    assert workers >= 2
    pool = int(api["environment"]["ISOCOST_DB_POOL_SIZE"])
    assert workers * (pool + POOL_RESERVE) <= 80  # the rest for workers, migrate and psql
