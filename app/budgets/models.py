from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.profiles.models import DeviceProfile

# What a budget holds models to (docs/design.md, "Device profiles"); the unit of its reference.
METRIC_UNITS = {"macs": "MAC", "latency_ms": "ms", "throughput": "images/s"}


class Budget(Base):
    """A budget: a reference and a tolerance. Budgets are shared by all teams (the leaderboard
    ranks everyone's published models per budget), except one made from a private architecture;
    only the creator may delete one.

    `metric` "macs" (every budget made before time budgets): a reference cost C. "latency_ms" and
    "throughput": a time on a device profile, batch-1 milliseconds or images/s at `batch_size`,
    against which measured medians on the profile's device are compared."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    metric: Mapped[str] = mapped_column(String(16), default="macs", server_default="macs")
    # C of the reference; null for a time budget, which compares times, not C
    reference_conv_macs: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reference_preset: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reference_architecture_id: Mapped[int | None] = mapped_column(
        ForeignKey("architectures.id", ondelete="SET NULL"), nullable=True
    )
    input_side: Mapped[int] = mapped_column(Integer)  # only models of this input size compete
    tolerance: Mapped[float] = mapped_column(Float)  # relative: |C / reference - 1| <= tolerance
    # time budgets: the device (its name, dtype, layout) that times are measured on; a profile in
    # use by a budget cannot be deleted under it
    device_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("device_profiles.id", ondelete="RESTRICT"), nullable=True
    )
    reference_value: Mapped[float | None] = mapped_column(Float, nullable=True)  # ms, or images/s
    # the reference value is the profile's prediction for the reference design, not a measurement
    reference_predicted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    batch_size: Mapped[int | None] = mapped_column(Integer, nullable=True)  # throughput budgets
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    device_profile: Mapped[DeviceProfile | None] = relationship(lazy="joined")
