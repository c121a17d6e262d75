"""Append to, read and verify an incident's timeline.

Callers append while holding the incident's lock (see `incidents.service.lock`), so two
writers never race for the same `seq`; the unique (incident_id, seq) constraint backs it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core import outbox
from netalarm.core.clock import iso, utcnow
from netalarm.core.ids import uuid7
from netalarm.core.outbox import OutboxEvent
from netalarm.timeline import words
from netalarm.timeline.chain import GENESIS, canonical, entry_hash
from netalarm.timeline.models import TimelineEntry
from netalarm.timeline.words import Language


async def append(
    session: AsyncSession,
    *,
    incident_id: uuid.UUID,
    actor: str,
    type: str,
    data: dict[str, Any],
    centre_id: uuid.UUID | None = None,
    alarm_ids: list[uuid.UUID] | None = None,
    publish: bool = True,
) -> TimelineEntry:
    """Append one entry chained to the last one and, if `publish`, queue the matching
    event in the outbox of the same transaction."""
    last = (
        await session.execute(
            select(TimelineEntry.seq, TimelineEntry.hash)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.seq.desc())
            .limit(1)
        )
    ).first()
    values, event = entry_rows(
        after=(last[0], last[1]) if last else (0, GENESIS),
        incident_id=incident_id,
        actor=actor,
        type=type,
        data=data,
        centre_id=centre_id,
        alarm_ids=alarm_ids,
        publish=publish,
    )
    entry = TimelineEntry(**values)
    session.add(entry)
    if event is not None:
        session.add(OutboxEvent(**event))
    await session.flush()
    return entry


def entry_rows(
    *,
    after: tuple[int, str],
    incident_id: uuid.UUID,
    actor: str,
    type: str,
    data: dict[str, Any],
    centre_id: uuid.UUID | None = None,
    alarm_ids: list[uuid.UUID] | None = None,
    publish: bool = True,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The row of the entry that follows `after` and, if `publish`, of its outbox event, as
    values: intake bulk-inserts the first entries of a whole batch at once."""
    data = orjson.loads(orjson.dumps(data))
    seq, prev = after[0] + 1, after[1]
    at = utcnow()
    entry = {
        "id": uuid7(),
        "incident_id": incident_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "type": type,
        "data": data,
        "prev_hash": prev,
        "hash": entry_hash(prev, canonical(incident_id, seq, at, actor, type, data)),
    }
    if not publish:
        return entry, None
    event = outbox.event_row(
        type,
        data={**data, "actor": actor, "seq": seq},
        incident_id=incident_id,
        centre_id=centre_id,
        alarm_ids=alarm_ids,
    )
    return entry, event


async def entries(session: AsyncSession, incident_id: uuid.UUID) -> list[TimelineEntry]:
    rows = await session.scalars(
        select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.seq)
    )
    return list(rows)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_broken: int | None


def verify_entries(rows: list[TimelineEntry]) -> Verification:
    """Recompute the chain: each entry must link to its predecessor, carry the next seq,
    and hash to its stored hash. The first entry that fails is reported."""
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        body = canonical(row.incident_id, row.seq, row.at, row.actor, row.type, row.data)
        if row.seq != expected_seq or row.prev_hash != prev or entry_hash(prev, body) != row.hash:
            return Verification(False, len(rows), row.seq)
        prev = row.hash
    return Verification(True, len(rows), None)


async def verify(session: AsyncSession, incident_id: uuid.UUID) -> Verification:
    return verify_entries(await entries(session, incident_id))


def public(entry: TimelineEntry, lang: Language | None = None) -> dict[str, Any]:
    """The entry as the API shows it; with `lang`, also `who` and `words`: the actor and what
    happened, in plain words in that language (outside the hash: the data are the record)."""
    shown = {
        "seq": entry.seq,
        "at": iso(entry.at),
        "actor": entry.actor,
        "type": entry.type,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    if lang is not None:
        shown["who"] = words.actor_words(entry.actor, lang)
        shown["words"] = words.describe(shown, lang)
    return shown
