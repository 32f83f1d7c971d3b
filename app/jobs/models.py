"""Jobs, their per-epoch metrics and their final results. The database, not the broker, is the
source of truth for a job's state (docs/design.md, "Job lifecycle")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow
from app.jobs.status import JobStatus


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_team_status", "team_id", "status"),
        Index("ix_jobs_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # null for a calibration, which times the worker's device, not an architecture
    architecture_id: Mapped[int | None] = mapped_column(
        ForeignKey("architectures.id", ondelete="RESTRICT"), index=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # train | benchmark | calibrate
    queue: Mapped[str] = mapped_column(String(16))  # gpu | cpu
    params: Mapped[dict] = mapped_column(JSONType)
    protocol: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times a worker claimed it
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    device: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # None: not yet sent
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Metric(Base):
    """One epoch of a training job, written as it happens (re-written if a resumed run repeats it)."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("job_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int] = mapped_column(Integer)
    train_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    val_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    top1_error: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent
    top5_error: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent
    images_per_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    lr: Mapped[float | None] = mapped_column(Float, nullable=True)
    elapsed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Result(Base):
    """The outcome of a finished job, exactly one per job, with its provenance."""

    __tablename__ = "results"
    __table_args__ = (
        # covering the leaderboard's aggregate, so it never reads table rows (bench/leaderboard.py)
        Index(
            "ix_results_leaderboard",
            "kind",
            "architecture_id",
            "protocol",
            "dataset",
            "top1_error",
            "top5_error",
            "learned",
        ),
        Index("ix_results_team", "team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    architecture_id: Mapped[int] = mapped_column(ForeignKey("architectures.id", ondelete="RESTRICT"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    protocol: Mapped[str] = mapped_column(String(300))
    dataset: Mapped[str | None] = mapped_column(String(64), nullable=True)  # kind; synthetic is never ranked
    seed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conv_macs: Mapped[int] = mapped_column(BigInteger)
    top1_error: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent
    top5_error: Mapped[float | None] = mapped_column(Float, nullable=True)
    train_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)  # batch 1, median
    throughput: Mapped[float | None] = mapped_column(Float, nullable=True)  # images/s
    device: Mapped[str | None] = mapped_column(String(200), nullable=True)
    provenance: Mapped[dict] = mapped_column(JSONType)
    details: Mapped[dict | None] = mapped_column(JSONType, nullable=True)  # benchmark per-layer table
    # False: a training run that did not learn (worker.learned; its reason is in the provenance),
    # kept off the leaderboard and out of studies' statistics (docs/design.md, "Training protocol")
    learned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
