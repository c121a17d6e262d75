"""SMS deliveries and their attempts: the outbox of the SMS channel.

A delivery is written `pending` in the transaction that queues it; the worker claims it
(`sending`, with a lease), hands it to the transport, and records each try as an attempt
row. It ends `sent` or `failed`; a retryable failure puts it back to `pending` with a later
`next_attempt_at`."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Float, ForeignKey, Index, Integer, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, UTCDateTime
from netalarm.core.ids import uuid7


class SmsDelivery(Base):
    """One SMS; `status` is `pending`, `sending` (claimed), `sent` or `failed`."""

    __tablename__ = "sms_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), index=True)
    to: Mapped[str] = mapped_column(String(32))
    # 'reporter' (the number of the reporter's identity) or 'seat' (typed by the seat).
    to_source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # What seats, the timeline and events show instead of `text` when `text` holds a secret
    # (a verification code); `text` becomes it once the delivery is sent or failed, so the
    # secret is kept only while it may still be sent.
    shown_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    seat_username: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While `sending`: the claim's owner and how long it holds. A worker that died mid-send
    # leaves the lease to run out; then another worker may claim the delivery again.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_sms_deliveries_status_next", "status", "next_attempt_at"),)


def seen_text() -> ColumnElement[str]:
    """A delivery's text as anyone may see it (`shown_text` when the text holds a secret): what
    `text` becomes once the delivery can no longer be sent."""
    return func.coalesce(SmsDelivery.shown_text, SmsDelivery.text)


class SmsAttempt(Base):
    """One try to send a delivery: its outcome (`sent`, `retryable`, `permanent`), the
    transport's error, and how long the transport took."""

    __tablename__ = "sms_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sms_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
