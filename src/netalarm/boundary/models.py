"""Rows of a hand-over to another server — the 110 server over the boundary link, or the
superior alarm server: on the handing side the forward and how far its progress has come back;
on the receiving side which local incident each forward became."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, JSONType, UTCDateTime
from netalarm.core.ids import uuid7


class LinkForward(Base):
    """An incident handed to `target` (`110` or `superior`), once per target. `document` is
    what the other side receives; `received_at` is set when it has the incident, and
    `applied_seq` is the last of its timeline entries recorded here."""

    __tablename__ = "link_forwards"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"))
    target: Mapped[str] = mapped_column(String(16))
    seat_username: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remote_case_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    applied_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The superior is sent the forward and what happens here after (the 110 side pulls both):
    # the last entry of this incident's timeline the superior has taken, the tries, the last error.
    news_seq: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("incident_id", "target"),)


class LinkInbound(Base):
    """Receiving side: the incident a forward became; `source` is who handed it over
    (`network`: the Internet side of the 110 link; else the subordinate server's name), and
    `pushed_seq` the last of its timeline entries the 110 link has had confirmed. The incident
    has one alarm of channel `relay`: the reporter's conversation, carried over the link."""

    __tablename__ = "link_inbound"

    forward_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id"), unique=True)
    source_case_number: Mapped[str] = mapped_column(String(64))
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The last entry of the handing side's timeline recorded here (reporter messages, positions).
    news_seq: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkContact(Base):
    """When the other side of a link last called this server, per `target`: the 110 side
    pulls, so the Internet side knows the link is up only from these calls."""

    __tablename__ = "link_contacts"

    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
