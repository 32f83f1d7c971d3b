from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime, utcnow


class Architecture(Base):
    """A team's saved spec, with its cost cached and a hash to find duplicates."""

    __tablename__ = "architectures"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        Index("ix_architectures_conv_macs", "conv_macs"),
        Index("ix_architectures_team_spec_hash", "team_id", "spec_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[dict] = mapped_column(JSONType)
    notation: Mapped[str] = mapped_column(Text)
    conv_macs: Mapped[int] = mapped_column(BigInteger)
    spec_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical spec, name excluded
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("architectures.id", ondelete="SET NULL"), nullable=True
    )
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
