from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class Budget(Base):
    """A time budget: a reference cost C and a tolerance. Budgets are shared by all teams (the
    leaderboard ranks everyone's published models per budget); only the creator may delete one."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    reference_conv_macs: Mapped[int] = mapped_column(BigInteger)
    reference_preset: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reference_architecture_id: Mapped[int | None] = mapped_column(
        ForeignKey("architectures.id", ondelete="SET NULL"), nullable=True
    )
    input_side: Mapped[int] = mapped_column(Integer)  # only models of this input size compete
    tolerance: Mapped[float] = mapped_column(Float)  # relative: |C / reference - 1| <= tolerance
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
