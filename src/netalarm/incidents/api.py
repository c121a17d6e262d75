"""Seat-side HTTP for incidents: list, read, act, classify, timeline, reporter identity."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Reporter
from netalarm.boundary import forwarded_case
from netalarm.channels.sms import service as sms_service
from netalarm.channels.sms.worker import WorkerDep
from netalarm.core.clock import iso
from netalarm.core.errors import NotFound
from netalarm.core.http import RuntimeDep, SeatDep, Session, parse_uuid
from netalarm.incidents import actions, history, nearby
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.lifecycle import CATEGORIES
from netalarm.timeline import service as timeline_service
from netalarm.timeline.words import Language
from netalarm.verification import service as verification_service

router = APIRouter(prefix="/api/v1/incidents", tags=["seat"])

Priority = Literal["P1", "P2", "P3", "P4"]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Action = Literal[
    "accept", "take-over", "dispatch", "resolve", "close", "transfer", "escalate", "forward-110", "merge"
]


class ActionIn(BaseModel):
    """Body of any action; each action reads the fields it needs (see DESIGN.md)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=actions.MAX_TEXT)
    outcome: str | None = Field(default=None, max_length=actions.MAX_TEXT)
    disposition: str | None = None
    centre: str | None = Field(default=None, max_length=32)
    into: uuid.UUID | None = None
    priority: Priority | None = None
    category: Category | None = None


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority | None = None
    category: Category | None = None


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@router.get("", response_model=list[dict[str, Any]])
async def list_incidents(
    session: Session,
    seat: SeatDep,
    status: str | None = Query(default=None, description="comma-separated statuses"),
    priority: str | None = Query(default=None, description="comma-separated priorities"),
    centre: str | None = Query(default=None, description="a centre code within the seat's subtree"),
    q: str | None = Query(default=None, description="text in the case number or the description"),
    since: datetime | None = Query(default=None, description="created at or after (with a time zone)"),
    until: datetime | None = Query(default=None, description="created before (with a time zone)"),
    order: str = Query(
        default="newest", description="newest first, or queue: by priority, then waiting time"
    ),
    limit: int = 50,
    offset: int = 0,
) -> Response:
    """Incidents of the seat's centre and those below it, newest first (or with
    `order=queue` the most urgent priority first, then the longest waiting), each with its
    `media_count` and `unread_count`; open and closed alike unless `status` says. The total
    count of matches is in `X-Total-Count`. The body is encoded by orjson: a queue's page of
    500 rows took FastAPI's validation and encoding several times as long."""
    rows, total = await incident_views.list_visible(
        session,
        seat,
        statuses=_csv(status),
        priorities=_csv(priority),
        centre_code=centre,
        text=q,
        since=since,
        until=until,
        order=order,
        limit=limit,
        offset=offset,
    )
    body = orjson.dumps(await incident_views.listed(session, rows))
    return Response(body, media_type="application/json", headers={"X-Total-Count": str(total)})


@router.get("/{incident_id}")
async def get_incident(incident_id: str, session: Session, seat: SeatDep) -> dict[str, Any]:
    """The incident; `reporter_reachable` says whether SMS and call-backs can reach the
    reporter without revealing the number (reading it is `.../reporter`, recorded), and
    `reporter` whether that number is verified (`phone_given`, `phone_verified`,
    `phone_verified_via`: `sms_code` or `carrier`, `phone_verified_at`);
    `sms_reply_max`, on an alarm that came by SMS, how long a seat's chat message may be, as
    it also goes to the reporter as an SMS (else null); on a case that came over the 110 link,
    `from_network` (the network case, its forwarding seat and note, when the reporter raised
    the alarm) and `closed_at_source` (how the network seats last finished theirs), else null."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    reporter = await session.get(Reporter, incident.reporter_id) if incident.reporter_id else None
    has_phone = bool(reporter is not None and reporter.phone)
    return {
        **(await incident_views.listed(session, [incident]))[0],
        "reporter_reachable": has_phone,
        "reporter": verification_service.phone_status(reporter),
        "sms_reply_max": await sms_service.reply_room(session, incident),
        "from_network": await forwarded_case.from_network(session, incident.id),
        "closed_at_source": await forwarded_case.closed_at_source(session, incident.id),
    }


@router.post("/{incident_id}/actions/{action}")
async def act(
    incident_id: str,
    action: Action,
    session: Session,
    seat: SeatDep,
    rt: RuntimeDep,
    worker: WorkerDep,
    body: ActionIn | None = None,
) -> Any:
    """One action of the lifecycle (see DESIGN.md); `forward-110` takes a `note` for the 110
    seat and needs the 110 link (NETALARM_LINK_TOKEN on this Internet-side server). A
    reporter who alarmed by SMS is told by SMS when police are dispatched and when the case
    is closed (`sms_service.queue_status`)."""
    body = body or ActionIn()
    incident = await actions.act(
        session,
        seat,
        parse_uuid(incident_id, "incident_id"),
        action,
        note=body.note,
        outcome=body.outcome,
        disposition=body.disposition,
        centre=body.centre,
        into=body.into,
        priority=body.priority,
        category=body.category,
        link_110=rt.settings.forwards_to_110,
        superior=rt.settings.has_superior,
    )
    told = await sms_service.queue_status(session, incident, actor=seat.actor)
    view = await incident_views.public(session, incident)
    await session.commit()
    if told is not None:
        worker.wake()
    return view


@router.patch("/{incident_id}")
async def classify(incident_id: str, body: ClassifyIn, session: Session, seat: SeatDep) -> dict[str, Any]:
    incident = await actions.act(
        session,
        seat,
        parse_uuid(incident_id, "incident_id"),
        "classify",
        priority=body.priority,
        category=body.category,
    )
    view = await incident_views.public(session, incident)
    await session.commit()
    return view


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=actions.MAX_TEXT)


@router.post("/{incident_id}/notes", status_code=201)
async def add_note(incident_id: str, body: NoteIn, session: Session, seat: SeatDep) -> dict[str, Any]:
    """A note on the incident's record, for the seats (never shown to the reporter): a
    `seat_note` timeline entry, answered as the timeline shows it. Any status, closed too."""
    entry = await actions.note(session, seat, parse_uuid(incident_id, "incident_id"), body.text)
    await session.commit()
    return timeline_service.public(entry, None)


@router.get("/{incident_id}/timeline")
async def timeline(
    incident_id: str, session: Session, seat: SeatDep, lang: Language | None = None
) -> list[dict[str, Any]]:
    """The incident's timeline, oldest first. With `lang` (`en` or `zh`) each entry also
    has `words`: what happened, as a sentence for people (the printable report's)."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    return [timeline_service.public(e, lang) for e in await timeline_service.entries(session, incident.id)]


@router.get("/{incident_id}/timeline/verify")
async def verify(incident_id: str, session: Session, seat: SeatDep) -> dict[str, Any]:
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    result = await timeline_service.verify(session, incident.id)
    return {"ok": result.ok, "entries": result.entries, "first_broken": result.first_broken}


@router.get("/{incident_id}/locations")
async def locations(incident_id: str, session: Session, seat: SeatDep) -> list[dict[str, Any]]:
    """The trail of position updates, oldest first."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    return [
        {"lat": p.lat, "lon": p.lon, "accuracy_m": p.accuracy_m, "source": p.source, "at": iso(p.at)}
        for p in await incident_service.trail(session, incident.id)
    ]


@router.get("/{incident_id}/nearby")
async def nearby_incidents(
    incident_id: str,
    session: Session,
    seat: SeatDep,
    radius_m: float = Query(default=nearby.RADIUS_M, ge=10, le=nearby.RADIUS_MAX_M),
) -> list[dict[str, Any]]:
    """Other open incidents this seat may see, reported within an hour of this one and within
    `radius_m` metres of its position, nearest first: likely duplicates to merge."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    return await nearby.nearby(session, seat, incident, radius_m=radius_m)


@router.get("/{incident_id}/earlier")
async def earlier_alarms(incident_id: str, session: Session, seat: SeatDep) -> list[dict[str, Any]]:
    """Other incidents of the same reporter or phone number that this seat may see, newest first."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    return await history.earlier(session, seat, incident)


@router.get("/{incident_id}/reporter")
async def reporter_identity(incident_id: str, session: Session, seat: SeatDep) -> dict[str, Any]:
    """The reporter's identity, with whether the phone is verified (`phone_verified`, …).
    Every read is recorded on the timeline: who looked, when."""
    incident = await incident_service.get_visible(
        session, seat, parse_uuid(incident_id, "incident_id"), for_update=True
    )
    reporter = await session.get(Reporter, incident.reporter_id) if incident.reporter_id else None
    if reporter is None:
        raise NotFound("the incident has no reporter", field="reporter")
    await incident_service.record(
        session, incident, actor=seat.actor, type="identity_viewed", data={"reporter_id": str(reporter.id)}
    )
    await session.commit()
    return {
        "id": str(reporter.id),
        **accounts_service.reporter_identity(reporter),
        **verification_service.phone_status(reporter),
    }
