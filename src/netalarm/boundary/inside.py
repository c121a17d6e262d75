"""The receiving side of a hand-over (the intranet's 110 server, or a superior server): a
forward becomes an incident here (once, however often it comes), and the progress of that
incident is read back out of its timeline for the handing side."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import and_, exists, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from netalarm.accounts.models import Reporter
from netalarm.accounts.service import actor_name
from netalarm.boundary import forwarded_case, inside_files, relayed_receipts
from netalarm.boundary.document import (
    ACTORS,
    CLOSING_TYPES,
    LINK_110,
    LOCATION_FIELDS,
    NETWORK,
    RELAYED_TYPES,
    Forward,
    Progress,
    progress_of,
    relayable,
    relayed_message_key,
)
from netalarm.boundary.models import LinkInbound
from netalarm.core.clock import iso, utcnow
from netalarm.incidents import service as incident_service
from netalarm.incidents.case_numbers import take_case_numbers
from netalarm.incidents.lifecycle import WITHDRAWAL_REASONS
from netalarm.incidents.models import Alarm, Incident
from netalarm.intake.schemas import LocationIn
from netalarm.messaging import service as messaging_service
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline.models import TimelineEntry


@dataclass(frozen=True)
class Received:
    incident_id: uuid.UUID
    case_number: str
    created: bool


async def receive(
    session: AsyncSession,
    forward: Forward,
    *,
    root: Centre,
    timezone: str,
    source: str = NETWORK,
    first_type: str = "received_from_network",
    actor: str = ACTORS[LINK_110],
) -> Received:
    """The incident `forward` (from `source`) became: made now in `received` at the centre
    whose jurisdiction holds its position (else `root`), with the forward's note on its first
    entry (`first_type`, by `actor`); or the one made when it came before."""
    known = await session.get(LinkInbound, forward.forward_id)
    if known is not None:
        incident = await session.get(Incident, known.incident_id)
        assert incident is not None
        return Received(incident.id, incident.case_number, created=False)
    location = forward.location
    centre = await routing_service.route(
        session, root, location.lat if location else None, location.lon if location else None
    )
    now = utcnow()
    [case_number] = (await take_case_numbers(session, {centre.code: 1}, now, timezone))[centre.code]
    # The identity was checked and normalised by the handing side when the reporter gave it.
    person = Reporter(**(forward.reporter.model_dump() if forward.reporter else {}), created_at=now)
    session.add(person)
    await session.flush()
    incident = Incident(
        **incident_service.incident_row(
            case_number=case_number,
            centre=centre,
            reporter_id=person.id,
            category=forward.category,
            description=forward.description,
            silent=forward.silent,
            location=incident_service.Location(**location.model_dump()) if location else None,
            at=now,
        )
    )
    incident.priority = forward.priority
    session.add(incident)
    await session.flush()
    session.add(
        Alarm(
            idempotency_key=forwarded_case.relay_key(forward.forward_id),
            incident_id=incident.id,
            reporter_id=person.id,
            channel=forwarded_case.RELAY,
            category=forward.category,
            description=forward.description,
            silent=forward.silent,
            lat=incident.lat,
            lon=incident.lon,
            accuracy_m=incident.accuracy_m,
            location_source=incident.location_source,
            created_at=now,
        )
    )
    session.add(
        LinkInbound(
            forward_id=forward.forward_id,
            source=source,
            incident_id=incident.id,
            source_case_number=forward.case_number,
            pushed_seq=0,
            received_at=now,
        )
    )
    await incident_service.record(
        session,
        incident,
        actor=actor,
        type=first_type,
        data={
            "source": source,
            "case_number": case_number,
            "source_case_number": forward.case_number,
            "source_centre": forward.centre,
            "forwarded_by": forward.forwarded_by,
            "note": forward.note,
            "priority": forward.priority,
            "category": forward.category,
            "silent": forward.silent,
            "centre": centre.code,
            "reported_at": forward.reported_at.isoformat(),
            "media_count": forward.media_count,
            "identity_given": forward.reporter is not None,
        },
    )
    return Received(incident.id, case_number, created=True)


async def unsent(session: AsyncSession, limit: int = 500) -> dict[uuid.UUID, list[Progress]]:
    """Per forward of the 110 link, the relayed entries of its incident the Internet side has
    not confirmed, in order (at most `limit` a forward: one batch)."""
    rows = await session.execute(
        select(LinkInbound.forward_id, LinkInbound.pushed_seq).where(
            LinkInbound.source == NETWORK,
            exists().where(
                TimelineEntry.incident_id == LinkInbound.incident_id,
                TimelineEntry.seq > LinkInbound.pushed_seq,
                TimelineEntry.type.in_(RELAYED_TYPES),
            ),
        )
    )
    return await progress(session, {forward_id: seq for forward_id, seq in rows}, limit=limit)


async def progress(
    session: AsyncSession, after: dict[uuid.UUID, int], *, source: str | None = None, limit: int = 500
) -> dict[uuid.UUID, list[Progress]]:
    """Per forward in `after` (from `source`, if given), the relayed entries of its incident
    after the seq given, in order, at most `limit` a forward (so cases whose entries the other
    side refuses, however many, hold up no other's); of the messages, only those in the
    forward's own conversation (its relay alarm's). Forwards unknown here are left out."""
    if not after:
        return {}
    query = (
        select(LinkInbound.forward_id, TimelineEntry, Incident.case_number)
        .join(TimelineEntry, TimelineEntry.incident_id == LinkInbound.incident_id)
        .join(Incident, Incident.id == LinkInbound.incident_id)
        .where(LinkInbound.forward_id.in_(list(after)), TimelineEntry.type.in_(RELAYED_TYPES))
        .order_by(LinkInbound.received_at, TimelineEntry.seq)
    )
    if source is not None:
        query = query.where(LinkInbound.source == source)
    relays = {
        f: str(alarm_id) for f, alarm_id in (await forwarded_case.relay_alarms(session, list(after))).items()
    }
    found: dict[uuid.UUID, list[Progress]] = defaultdict(list)
    for forward_id, entry, case_number in await session.execute(query):
        if entry.seq <= after[forward_id] or len(found[forward_id]) >= limit:
            continue
        if entry.type == "message" and (entry.data.get("message") or {}).get("alarm_id") != relays.get(
            forward_id
        ):
            continue  # in another reporter's conversation (a case merged in here): goes with that one's
        if relayable(entry.type, entry.actor):
            found[forward_id].append(progress_of(entry, case_number))
    return {forward_id: entries for forward_id, entries in found.items() if entries}


async def confirm(session: AsyncSession, forward_id: uuid.UUID, seq: int) -> None:
    """The Internet side has recorded the entries up to `seq`."""
    await session.execute(
        sql_update(LinkInbound)
        .where(LinkInbound.forward_id == forward_id, LinkInbound.pushed_seq < seq)
        .values(pushed_seq=seq)
    )


async def take_news(
    session: AsyncSession, forward_id: uuid.UUID, updates: list[Progress], *, source: str, actor: str
) -> int:
    """Record what happened on the handing side since the forward (`source` must be who handed
    it over; else 404): the reporter's messages and the seats' there go into this incident's
    conversation, the reporter's positions onto its trail, a reclassification there onto its
    timeline (`classified_at_source`: this case keeps its own), the reporter's withdrawal onto
    the relay alarm (this case stays open for its seats to close), the reporter's request for
    quiet onto the relay alarm (`incident_service.ask_quiet`), the handing side's seats
    resolving or closing their case onto its timeline (`closed_at_source`: a closed one takes
    no more messages to the reporter), a text the reporter's phone sent to the alarm number
    there (`reporter_sms_at_source`), the reporter's receipts of this side's seats' messages,
    another case merged into it there with what its reporters wrote (`merged_at_source`);
    each once, in `seq` order, however often sent. Returns
    the last entry recorded. On a closed incident they are skipped."""
    inbound, incident = await forwarded_case.locked(session, forward_id, source)
    alarm = await forwarded_case.relay_alarm(session, forward_id)
    for update in sorted(updates, key=lambda u: u.seq):
        if update.seq <= inbound.news_seq:
            continue
        inbound.news_seq = update.seq
        if incident.status == "closed":
            continue
        if update.type == "message" and update.data.get("text"):
            await _take_message(session, incident, alarm, update, source=source, actor=actor)
        elif update.type == "classified":
            # The case here keeps its own classification; its seats learn of the other's.
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type="classified_at_source",
                data={
                    "from": update.data.get("from"),
                    "to": update.data.get("to"),
                    "seat": actor_name(update.actor),
                    "source_case_number": inbound.source_case_number,
                },
            )
        elif update.type in CLOSING_TYPES:
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type="closed_at_source",
                data={
                    "stage": update.type,
                    "seat": actor_name(update.actor),
                    "source_case_number": inbound.source_case_number,
                    "source_at": iso(update.at),
                    **{k: update.data[k] for k in ("outcome", "disposition") if k in update.data},
                },
            )
        elif update.type in relayed_receipts.RECEIPT_TYPES:
            await relayed_receipts.take(session, incident, update, actor=actor)
        elif update.type == "merged_in":
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type="merged_at_source",
                data={
                    "from_case_number": update.data.get("from_case_number"),
                    "seat": actor_name(update.actor),
                    "text": str(update.data.get("text") or ""),
                    "source_case_number": inbound.source_case_number,
                },
            )
        elif update.type == "reporter_sms":
            await incident_service.record(
                session,
                incident,
                actor=actor,
                type="reporter_sms_at_source",
                data={
                    "text": str(update.data.get("text") or ""),
                    "sms_case_number": update.data.get("case_number"),
                    "source_case_number": inbound.source_case_number,
                },
            )
        elif update.type == "withdrawn":
            if update.data.get("reason") in WITHDRAWAL_REASONS:
                await incident_service.withdraw(session, alarm, update.data["reason"], actor=actor)
        elif update.type == "quiet_requested":
            await incident_service.ask_quiet(session, alarm, actor=actor)
        elif update.type == "location":
            try:
                fix = LocationIn.model_validate({name: update.data.get(name) for name in LOCATION_FIELDS})
            except ValidationError:  # not a position: nothing to put on the trail
                continue
            await incident_service.add_location(
                session, alarm, incident_service.Location(**fix.model_dump()), actor=actor
            )
    await session.flush()
    return inbound.news_seq


async def _take_message(
    session: AsyncSession, incident: Incident, alarm: Alarm, update: Progress, *, source: str, actor: str
) -> None:
    """A message of the handing side's conversation, into this one's, under the key of its id
    there; with the files sent with it that came over before it did."""
    sender = "reporter" if update.data.get("from") == "reporter" else "seat"
    seat = None if sender == "reporter" else f"{update.data.get('seat') or ''}@{source}"[:64]
    try:
        source_id = uuid.UUID(str(update.data.get("id")))
    except ValueError:  # from a server that did not send message ids yet
        source_id = None
    key = relayed_message_key(source, source_id) if source_id else None
    if key is not None and await messaging_service.by_key(session, key) is not None:
        return  # here already, by another hand-over of the same case
    early = await inside_files.sent_with(session, incident, source_id) if source_id else []
    message = await messaging_service.post(
        session,
        incident=incident,
        alarm_id=alarm.id,
        sender=sender,
        actor=actor,
        text=str(update.data["text"]),
        media_ids=[m.id for m in early],
        seat_username=seat,
        idempotency_key=key,
    )
    for media in early:
        media.message_id = message.id


async def following(session: AsyncSession, source: str) -> dict[uuid.UUID, int]:
    """Forwards from `source` whose incident is still open here, or was merged into one that
    is, with the last news recorded; in the order they arrived."""
    into = aliased(Incident)
    rows = await session.execute(
        select(LinkInbound.forward_id, LinkInbound.news_seq)
        .join(Incident, Incident.id == LinkInbound.incident_id)
        .outerjoin(into, into.id == Incident.merged_into)
        .where(
            LinkInbound.source == source,
            or_(Incident.status != "closed", and_(into.id.is_not(None), into.status != "closed")),
        )
        .order_by(LinkInbound.received_at, LinkInbound.forward_id)
    )
    return {forward_id: seq for forward_id, seq in rows}


async def source_case_numbers(session: AsyncSession, forward_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The handing side's case numbers of these forwards (those known here)."""
    rows = await session.execute(
        select(LinkInbound.forward_id, LinkInbound.source_case_number).where(
            LinkInbound.forward_id.in_(list(forward_ids))
        )
    )
    return {forward_id: number for forward_id, number in rows}
