"""Configuration from environment variables prefixed ISOCOST_ (README, "Configuration")."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISOCOST_", extra="ignore")

    # Where things live. The defaults need no server: SQLite and Celery's SQLAlchemy transport.
    database_url: str = "sqlite:///var/isocost.db"
    broker_url: str = "sqla+sqlite:///var/broker.db"
    data_root: Path = Path("var/data")  # datasets are named relative to this, never outside it
    checkpoint_dir: Path = Path("var/checkpoints")
    local_token_file: Path = Path("var/local-token")  # `isocost serve` keeps the local team's token here
    admin_token: SecretStr | None = None  # creates teams over HTTP; unset: only `isocost team create`

    host: str = "127.0.0.1"
    port: int = 8000

    # Jobs
    default_queue: Literal["gpu", "cpu"] = "cpu"
    max_queued_jobs_per_team: int = Field(20, ge=1)
    max_attempts: int = Field(3, ge=1)  # a job whose worker died is re-queued until this many tries
    heartbeat_interval_s: float = Field(5.0, gt=0)
    heartbeat_timeout_s: float = Field(60.0, gt=0)  # no heartbeat for this long: the worker is gone
    reconcile_interval_s: float = Field(10.0, gt=0)
    job_time_limit_s: int = Field(6 * 3600, ge=10)  # hard limit; the soft one is 30 s earlier
    broker_visibility_timeout_s: int = Field(7 * 3600, ge=60)  # longer than the longest job

    # Limits on what a client may ask for (README, "Limits")
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_epochs: int = Field(500, ge=1)
    max_time_budget_s: float = Field(24 * 3600, gt=0)
    max_batch_size: int = Field(1024, ge=1)
    max_job_input_side: int = Field(512, ge=8)  # a job's spec input side (the engine allows 4096)
    max_job_conv_macs: int = Field(50 * 10**9, ge=1)  # a job's conv MACs per image


@cache
def get_settings() -> Settings:
    return Settings()
