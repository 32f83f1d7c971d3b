"""Device profiles: a worker's device, timed by a calibration job, with its fitted latency model
stored as data (docs/design.md, "Device profiles")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow


class DeviceProfile(Base):
    __tablename__ = "device_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # not unique: a device calibrated again under the same name supersedes the older profile
    name: Mapped[str] = mapped_column(String(100), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # the calibration job that made it; null for a profile stored another way (a benchmark run)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    device: Mapped[str] = mapped_column(String(200), index=True)  # the CPU's or GPU's model name
    device_type: Mapped[str] = mapped_column(String(16))  # cpu | cuda
    torch_version: Mapped[str] = mapped_column(String(64))
    dtype: Mapped[str] = mapped_column(String(16))  # float32 | bfloat16
    channels_last: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_size: Mapped[int] = mapped_column(Integer, default=1)
    threads: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model: Mapped[dict] = mapped_column(JSONType)  # app.arch.latency.LatencyModel
    fit: Mapped[dict] = mapped_column(JSONType)  # app.profiles.data.FitQuality
    provenance: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
