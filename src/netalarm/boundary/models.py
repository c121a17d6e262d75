"""Rows of the 110 boundary link: forwards waiting on the Internet side, and, on the intranet
side, which local incident each forward became and how far its progress has been sent back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, JSONType, UTCDateTime
from netalarm.core.ids import uuid7


class LinkForward(Base):
    """Internet side: an incident forwarded to 110 (one per incident). `document` is what the
    intranet receives; `received_at` is set when the 110 side reports it has the incident,
    and `applied_seq` is the last of its timeline entries recorded here."""

    __tablename__ = "link_forwards"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), unique=True)
    seat_username: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remote_case_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    applied_seq: Mapped[int] = mapped_column(Integer, default=0)


class LinkInbound(Base):
    """Intranet side: the incident a forward became, and the last of its timeline entries
    the Internet side has confirmed (`pushed_seq`)."""

    __tablename__ = "link_inbound"

    forward_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), unique=True)
    source_case_number: Mapped[str] = mapped_column(String(64))
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
