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
    progress_interval_s: float = Field(2.0, gt=0)  # a running job's progress is written at most this often
    reconcile_interval_s: float = Field(10.0, gt=0)
    # queued, sent and unclaimed this long: its broker message may be lost, so send it again
    resend_after_s: float = Field(300.0, gt=0)
    idempotency_key_ttl_s: int = Field(24 * 3600, ge=60)  # how long an Idempotency-Key is remembered
    job_time_limit_s: int = Field(6 * 3600, ge=10)  # hard limit; the soft one is 30 s earlier
    broker_visibility_timeout_s: int = Field(7 * 3600, ge=60)  # longer than the longest job
    # a benchmark is `noisy` past these (app.jobs.spread; docs/design.md, "Benchmark results"):
    # runs varying by this fraction of their mean, other processes using this fraction of the CPUs
    benchmark_noisy_cv: float = Field(0.10, gt=0)
    benchmark_noisy_load: float = Field(0.25, gt=0, le=1)

    # Limits on what a client may ask for (README, "Limits")
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_epochs: int = Field(500, ge=1)
    max_time_budget_s: float = Field(24 * 3600, gt=0)
    max_batch_size: int = Field(1024, ge=1)
    max_job_input_side: int = Field(512, ge=8)  # a job's spec input side (the engine allows 4096)
    max_job_conv_macs: int = Field(50 * 10**9, ge=1)  # a job's conv MACs per image
    max_job_params: int = Field(10**9, ge=1)  # a job's model parameters
    # activations per image x batch x bytes per element: what training keeps for backward
    max_job_activation_bytes: int = Field(8 * 2**30, ge=1)
    # a study (docs/design.md, "Studies"): its models, and its jobs (models x seeds x rates), which
    # it may queue on top of ISOCOST_MAX_QUEUED_JOBS_PER_TEAM
    max_study_models: int = Field(50, ge=1)
    max_study_jobs: int = Field(300, ge=1)
    max_compare_jobs: int = Field(50, ge=1)  # training runs overlaid in one comparison figure
    # an imported ONNX file (README, "Limits"; docs/design.md, "Interchange"): the request body of
    # POST /import may be this large (the other endpoints keep max_body_bytes)
    max_import_bytes: int = Field(100_000_000, ge=1024)
    max_import_nodes: int = Field(5_000, ge=1)  # nodes of an imported graph
    max_import_params: int = Field(10**9, ge=1)  # weights an imported graph holds or declares

    # Bounded cost per request (README, "Limits"; docs/design.md, "Bounded cost")
    max_relation_layers: int = Field(5_000, ge=512)  # unrolled layers of one search's distinct specs
    max_relation_pairs: int = Field(5_000, ge=1)  # candidate pairs at matched cost one search compares
    max_figure_architectures: int = Field(200, ge=0)  # a team's newest, in the relation figure
    max_figure_relations: int = Field(500, ge=1)  # edges one relation figure draws
    max_lineage_nodes: int = Field(500, ge=1)  # architectures one lineage tree returns

    # Per-team quotas (README, "Limits"); checked under a lock on the team (docs/design.md, "Quotas")
    max_budgets_per_team: int = Field(20, ge=1)
    max_tokens_per_team: int = Field(25, ge=1)  # working tokens; revoked ones do not count
    max_architectures_per_team: int = Field(500, ge=1)

    # Serving (README, "Production"; docs/design.md, "Serving")
    api_workers: int = Field(1, ge=1)  # API processes of `isocost serve` and `isocost api`
    api_threads: int = Field(8, ge=1)  # threads per API process running endpoints
    db_pool_size: int = Field(10, ge=1)  # connections per process = requests using the database at once
    db_pool_timeout_s: float = Field(10.0, gt=0)  # no connection within this: 503
    header_timeout_s: float = Field(10.0, gt=0)  # a request's headers must arrive within this (408)
    body_timeout_s: float = Field(30.0, gt=0)  # and its body within this, from its first byte (408)
    keep_alive_timeout_s: int = Field(5, ge=1)  # an idle keep-alive connection is closed after this
    # mean requests per keep-alive connection before the API closes it (app.keepalive); 0: never
    keepalive_requests: int = Field(20, ge=0)
    max_header_bytes: int = Field(64 * 1024, ge=1024)  # request line and headers (431)


@cache
def get_settings() -> Settings:
    return Settings()
