"""The outbox: every event that leaves the process is first a row written in the
transaction that caused it, so a crash between commit and send only delays it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Uuid, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, JSONType, UTCDateTime
from netalarm.core.ids import uuid7

# Published events deleted per statement by `prune`: a short hold on the table each time.
PRUNE_BATCH = 5_000


class OutboxEvent(Base):
    """One event to publish. `seq` orders events; `id` lets consumers drop duplicates."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid7)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    alarm_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The order in which the relay published the event (one relay at a time assigns it);
    # clients resume from it, so an event that committed late is never skipped.
    published_seq: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), nullable=True
    )

    __table_args__ = (
        # Only the rows still to publish. With every row in it (keyed by published_at, seq),
        # each mark left a dead entry in the part of the index the relay reads and inserts
        # go to, where PostgreSQL could not prune them: at 200 alarms/s the relay's claim
        # walked about 4,500 dead entries per run (two fifths of a million a second).
        Index(
            "ix_outbox_unpublished",
            "seq",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_published_seq", "published_seq", unique=True),
    )


async def emit(
    session: AsyncSession,
    type: str,
    *,
    data: dict[str, Any],
    incident_id: uuid.UUID | None = None,
    centre_id: uuid.UUID | None = None,
    alarm_ids: list[uuid.UUID] | None = None,
) -> OutboxEvent:
    """Queue an event in the caller's transaction; it is published only if that commits."""
    row = OutboxEvent(
        **event_row(type, data=data, incident_id=incident_id, centre_id=centre_id, alarm_ids=alarm_ids)
    )
    session.add(row)
    return row


def event_row(
    type: str,
    *,
    data: dict[str, Any],
    incident_id: uuid.UUID | None = None,
    centre_id: uuid.UUID | None = None,
    alarm_ids: list[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """The outbox row of an event, as values (`emit` queues one; intake bulk-inserts many)."""
    return {
        "id": uuid7(),
        "type": type,
        "at": utcnow(),
        "incident_id": incident_id,
        "centre_id": centre_id,
        "alarm_ids": [str(a) for a in alarm_ids or []],
        "data": data,
    }


async def last_published(session: AsyncSession) -> int:
    """The highest publication number given out so far (0 before the first)."""
    return int(await session.scalar(select(func.coalesce(func.max(OutboxEvent.published_seq), 0))) or 0)


async def prune(session: AsyncSession, before: datetime, *, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` of the events published before `before`, oldest first, but never
    the newest one (publication numbers go on from it). A client resuming from a deleted event
    is refused (`unknown_cursor`) and starts afresh. Returns how many were deleted.

    The cut is the first publication at or after `before`, found by walking the publication
    order from its start (an index), so a call reads about as many rows as it deletes."""
    first_kept = (
        select(OutboxEvent.published_seq)
        .where(OutboxEvent.published_seq.is_not(None), OutboxEvent.published_at >= before)
        .order_by(OutboxEvent.published_seq)
        .limit(1)
        .scalar_subquery()
    )
    newest = select(func.max(OutboxEvent.published_seq)).scalar_subquery()
    doomed = (
        select(OutboxEvent.seq)
        .where(OutboxEvent.published_seq < func.coalesce(first_kept, newest))
        .order_by(OutboxEvent.published_seq)
        .limit(batch)
    )
    deleted = await session.execute(
        delete(OutboxEvent).where(OutboxEvent.seq.in_(doomed)).execution_options(synchronize_session=False)
    )
    return int(getattr(deleted, "rowcount", 0) or 0)
