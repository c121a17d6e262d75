"""The codes sent to verify a reporter's phone: one row per code, its hash only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, UTCDateTime
from netalarm.core.ids import uuid7


class PhoneVerification(Base):
    """One code sent by SMS to the phone of an alarm's reporter. The code itself is never
    stored: `code_hash` is its HMAC under the server's key (`verification.codes`). A code is
    open until it `ended_at` with an `outcome`: `verified` (the right code came back),
    `exhausted` (too many wrong codes) or `replaced` (a newer code was sent)."""

    __tablename__ = "phone_verifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarms.id"), index=True)
    reporter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reporters.id"))
    # The number the code went to (E.164): sends are limited per number, across alarms.
    phone: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sms_deliveries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (Index("ix_phone_verifications_phone_created", "phone", "created_at"),)
