"""A study: named models (saved architectures), a protocol, seeds and learning rates, and the one
training job of each (model, rate, seed) (docs/design.md, "Studies"). Its status, progress and
statistics are read from its jobs and their results, never stored twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[dict] = mapped_column(JSONType)  # how the models were asked for: a list, a figure ...
    protocol: Mapped[dict] = mapped_column(JSONType)  # TrainParams without the seed (and lr when swept)
    seeds: Mapped[list] = mapped_column(JSONType)
    lr_sweep: Mapped[list | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StudyModel(Base):
    """One model of a study, in the order it was given."""

    __tablename__ = "study_models"
    __table_args__ = (UniqueConstraint("study_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    architecture_id: Mapped[int] = mapped_column(
        ForeignKey("architectures.id", ondelete="RESTRICT"), index=True
    )


class StudyRun(Base):
    """The job that trains one model of a study at one learning rate and seed."""

    __tablename__ = "study_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("study_models.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    lr: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
