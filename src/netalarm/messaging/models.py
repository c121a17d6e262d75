"""Chat messages between a reporter (one alarm) and the seats of the incident."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, JSONType, UTCDateTime
from netalarm.core.ids import uuid7


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    alarm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alarms.id"), index=True)
    sender: Mapped[str] = mapped_column(String(16))
    seat_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    media_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the message came from outside with a key of its own (an inbound SMS:
    # `sms:<gateway message id>`; a message relayed from another server:
    # `relay:<source>:<its id there>`); the same key again is the same message.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)

    __table_args__ = (Index("ix_messages_incident_at", "incident_id", "at"),)
