"""Alarm submission: idempotent, routed by jurisdiction, numbered, recorded on the timeline.

`submit_many` stores a whole batch in the caller's transaction with a handful of statements
(one lookup of known keys, one counter upsert per centre, one insert per table), so a busy
server spends its time on alarms rather than on round trips; `submit` is the one-alarm case.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.core.clock import iso, utcnow
from netalarm.core.db import as_loaded, attach, insert_tables, new_row, table
from netalarm.core.errors import DomainError, NotFound
from netalarm.core.ids import uuid7
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.case_numbers import take_case_numbers
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake.schemas import AlarmIn
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline import service as timeline_service
from netalarm.timeline.chain import GENESIS
from netalarm.timeline.models import TimelineEntry


@dataclass(frozen=True)
class Submission:
    """One alarm to store; `reporter_id` when the request carried a reporter token."""

    body: AlarmIn
    reporter_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Submitted:
    alarm: Alarm
    incident: Incident
    created: bool


@dataclass(frozen=True)
class _Plan:
    submission: Submission
    reporter: dict[str, Any] | None  # the row of a new reporter, if the alarm makes one
    reporter_id: uuid.UUID
    centre: Centre
    location: incident_service.Location | None

    @property
    def key(self) -> str:
        return self.submission.body.idempotency_key


async def submit(
    session: AsyncSession,
    body: AlarmIn,
    *,
    root: Centre,
    timezone: str,
    reporter_id: uuid.UUID | None = None,
) -> Submitted:
    """Store one alarm, or return the one already stored under its idempotency key."""
    [result] = await submit_many(session, [Submission(body, reporter_id)], root=root, timezone=timezone)
    if isinstance(result, DomainError):
        raise result
    return result


# Takes case numbers: (numbers wanted per centre code, time) → the numbers per code.
Numbering = Callable[[dict[str, int], datetime], Awaitable[dict[str, list[str]]]]


async def submit_many(
    session: AsyncSession,
    submissions: list[Submission],
    *,
    root: Centre,
    timezone: str,
    numbering: Numbering | None = None,
    assume_new: bool = False,
    keep: bool = True,
) -> list[Submitted | DomainError]:
    """Store every submission that is new, in the caller's transaction; one result per
    submission, in order. A key already stored (or repeated in the batch) yields the stored
    alarm with `created` False — however many identical requests race, across processes
    too. A submission with bad identity data yields its `DomainError`; the others still go in.
    Case numbers come from `numbering` (by default taken in the caller's transaction).

    `assume_new` skips the lookup of stored keys and the savepoint that recovers from a
    race (three round trips): a key stored before then raises `IntegrityError`, and the
    caller's transaction must be rolled back. It is for a caller that then tries again
    without it. Keys repeated within the batch are still stored once. Its only write is one
    `insert_tables` call (plus the numbers `numbering` takes).

    The stored alarms and incidents are persistent in `session`, unless `keep` is False: for
    a caller that only reads them once the session has ended (attaching them was a few per
    cent of a busy server's work)."""
    found = {} if assume_new else await _by_keys(session, {s.body.idempotency_key for s in submissions})
    known = await _reporters(session, {s.reporter_id for s in submissions if s.reporter_id})
    router = await routing_service.router(session, root)
    results: list[Submitted | DomainError | None] = [None] * len(submissions)
    plans: dict[str, _Plan] = {}
    for index, submission in enumerate(submissions):
        key = submission.body.idempotency_key
        if key in found or key in plans:
            continue
        try:
            plans[key] = _plan(submission, known, router)
        except DomainError as refused:
            results[index] = refused
    if numbering is None:

        async def numbering(counts: dict[str, int], at: datetime) -> dict[str, list[str]]:
            return await take_case_numbers(session, counts, at, timezone)

    if plans:
        store = _store if assume_new else _store_all
        found.update(await store(session, list(plans.values()), numbering, keep=keep))
    for index, submission in enumerate(submissions):
        if results[index] is None:
            stored = found[submission.body.idempotency_key]
            first = plans.get(submission.body.idempotency_key)
            created = stored.created and first is not None and first.submission is submission
            results[index] = Submitted(stored.alarm, stored.incident, created=created)
    return [r for r in results if r is not None]


def _plan(submission: Submission, known: set[uuid.UUID], router: routing_service.Router) -> _Plan:
    body = submission.body
    reporter: dict[str, Any] | None = None
    if submission.reporter_id is not None:
        if submission.reporter_id not in known:
            raise NotFound("unknown reporter", field="authorization")
        reporter_id = submission.reporter_id
    else:
        person = body.reporter
        reporter = accounts_service.reporter_row(
            name=person.name if person else None,
            phone=person.phone if person else None,
            id_number=person.id_number if person else None,
            language=person.language if person else None,
        )
        reporter_id = reporter["id"]
    spot = body.location
    location = incident_service.Location(spot.lat, spot.lon, spot.accuracy_m, spot.source) if spot else None
    centre = router.route(location.lat if location else None, location.lon if location else None)
    return _Plan(submission, reporter, reporter_id, centre, location)


async def _store_all(
    session: AsyncSession, plans: list[_Plan], numbering: Numbering, *, keep: bool
) -> dict[str, Submitted]:
    """Store the plans in one savepoint; if another transaction stored one of the keys in
    the meantime, fall back to one savepoint per plan and take the stored alarm instead."""
    try:
        async with session.begin_nested():
            return await _store(session, plans, numbering, keep=keep)
    except IntegrityError:
        stored: dict[str, Submitted] = {}
        for plan in plans:
            try:
                async with session.begin_nested():
                    stored.update(await _store(session, [plan], numbering, keep=keep))
            except IntegrityError:
                again = await _by_keys(session, {plan.key})
                if not again:
                    raise
                stored.update(again)
        return stored


async def _store(
    session: AsyncSession, plans: list[_Plan], numbering: Numbering, *, keep: bool
) -> dict[str, Submitted]:
    now = utcnow()
    by_centre: dict[str, list[_Plan]] = defaultdict(list)
    for plan in plans:
        by_centre[plan.centre.code].append(plan)
    taken = await numbering({code: len(group) for code, group in by_centre.items()}, now)
    numbers = {
        plan.key: number
        for code, group in by_centre.items()
        for plan, number in zip(group, taken[code], strict=True)
    }
    incident_rows = [_incident(plan, numbers[plan.key], now) for plan in plans]
    incidents = as_loaded(Incident, incident_rows)
    alarm_rows: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for plan, incident in zip(plans, incidents, strict=True):
        alarm, entry, event = _alarm(plan, incident, now)
        alarm_rows.append(alarm)
        entries.append(entry)
        events.append(event)
    # Parents before children: reporters, incidents, then what points at them.
    await insert_tables(
        session,
        [
            (table(Reporter), [plan.reporter for plan in plans if plan.reporter is not None]),
            (table(Incident), incident_rows),
            (table(Alarm), alarm_rows),
            (table(TimelineEntry), entries),
            (table(OutboxEvent), events),
        ],
    )
    alarms = as_loaded(Alarm, alarm_rows)
    if keep:
        attach(session, [*incidents, *alarms])
    return {
        plan.key: Submitted(alarm, incident, created=True)
        for plan, alarm, incident in zip(plans, alarms, incidents, strict=True)
    }


def _incident(plan: _Plan, case_number: str, now: datetime) -> dict[str, Any]:
    body = plan.submission.body
    return incident_service.incident_row(
        case_number=case_number,
        centre=plan.centre,
        reporter_id=plan.reporter_id,
        category=body.category,
        description=body.description,
        silent=body.silent,
        location=plan.location,
        at=now,
    )


Row = dict[str, Any]


def _alarm(plan: _Plan, incident: Incident, now: datetime) -> tuple[Row, Row, Row]:
    """The rows of the alarm, of the incident's first timeline entry and of its outbox event."""
    body, location = plan.submission.body, plan.location
    alarm = new_row(
        Alarm,
        id=uuid7(),
        idempotency_key=body.idempotency_key,
        incident_id=incident.id,
        reporter_id=plan.reporter_id,
        channel=body.channel,
        category=body.category,
        description=body.description,
        silent=body.silent,
        lat=location.lat if location else None,
        lon=location.lon if location else None,
        accuracy_m=location.accuracy_m if location else None,
        location_source=location.source if location else None,
        request_sha256=fingerprint(body),
        created_at=now,
    )
    person = body.reporter
    entry, event = timeline_service.entry_rows(
        after=(0, GENESIS),
        incident_id=incident.id,
        actor=f"reporter:{plan.reporter_id}",
        type="alarm_received",
        data={
            "alarm_id": str(alarm["id"]),
            "case_number": incident.case_number,
            "channel": body.channel,
            "category": body.category,
            "priority": incident.priority,
            "silent": body.silent,
            "description": body.description,
            "location": incident_views.location_of(incident),
            "centre": plan.centre.code,
            "identity_given": bool(person and (person.name or person.phone or person.id_number)),
        },
        centre_id=incident.centre_id,
        alarm_ids=[alarm["id"]],
    )
    assert event is not None  # published: seats must learn of the alarm
    return alarm, entry, event


def fingerprint(body: AlarmIn) -> str:
    """SHA-256 of the request without its key: the same for a client's retry of one alarm,
    unknowable to anyone who has only guessed the key (an SMS gateway's message number)."""
    fields = body.model_dump(mode="json", exclude={"idempotency_key"})
    return hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()


def may_have_token(found: Submitted, body: AlarmIn, reporter_id: uuid.UUID | None) -> bool:
    """Whether a request under an alarm's key may be answered with that alarm's reporter
    token: a new alarm, the same reporter (by their token), or the very request that made it
    (a retry whose answer was lost). Anyone else who sends a key gets nothing of the alarm."""
    if found.created or (reporter_id is not None and reporter_id == found.alarm.reporter_id):
        return True
    stored = found.alarm.request_sha256
    return stored is not None and hmac.compare_digest(stored, fingerprint(body))


async def _by_keys(session: AsyncSession, keys: set[str]) -> dict[str, Submitted]:
    if not keys:
        return {}
    rows = await session.execute(
        select(Alarm, Incident)
        .join(Incident, Incident.id == Alarm.incident_id)
        .where(Alarm.idempotency_key.in_(keys))
    )
    return {alarm.idempotency_key: Submitted(alarm, incident, created=False) for alarm, incident in rows}


async def _reporters(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(await session.scalars(select(Reporter.id).where(Reporter.id.in_(ids))))


async def get_for_reporter(session: AsyncSession, alarm_id: uuid.UUID, reporter_id: uuid.UUID) -> Submitted:
    """The reporter's own alarm with its current incident; 404 for anyone else's."""
    row = (
        await session.execute(
            select(Alarm, Incident)
            .join(Incident, Incident.id == Alarm.incident_id)
            .where(Alarm.id == alarm_id, Alarm.reporter_id == reporter_id)
        )
    ).first()
    if row is None:
        raise NotFound("no such alarm", field="alarm_id")
    return Submitted(row[0], row[1], created=False)


def reporter_view(found: Submitted) -> dict[str, Any]:
    """What a reporter may see of their alarm: its progress, never the seat's notes."""
    incident = found.incident
    return {
        "id": str(found.alarm.id),
        "incident_id": str(incident.id),
        "case_number": incident.case_number,
        "status": incident.status,
        "category": found.alarm.category,
        "silent": found.alarm.silent,
        "created_at": iso(found.alarm.created_at),
        "accepted_at": iso(incident.accepted_at),
        "dispatched_at": iso(incident.dispatched_at),
        "resolved_at": iso(incident.resolved_at),
        "closed_at": iso(incident.closed_at),
        "disposition": incident.disposition,
        "location": incident_views.location_of(incident),
        "withdrawn_at": iso(found.alarm.withdrawn_at),
        "withdrawn_reason": found.alarm.withdrawn_reason,
    }
