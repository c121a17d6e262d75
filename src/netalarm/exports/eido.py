"""The incident as a NENA Emergency Incident Data Object (EIDO, NENA-STA-021.1a-2022, JSON),
for exchange with other public-safety systems.

`document()` returns one EIDO message: the top level names the message and the sending
system and lists the data components in arrays; components point at each other with
`{"$ref": <componentIdentifier>}`, and every reference resolves to a component of the same
document. What is mapped:

- incident → `incidentComponent`: the case number as `incidentTrackingIdentifier`, category,
  status, priority (`P1`…`P4` → `incidentCommonPriorityNumber` 10, 7, 4, 1), and the
  disposition inside it (`dispositionComponent`) once closed;
- each alarm → a `callComponent` (incoming; channel web/app/sms/api as `localCallType`;
  received and accepted times); each reporter → a `personComponent` with the role Caller only;
- positions → `locationComponent`s with PIDF-LO bodies (see `exports.pidf`): each alarm's
  first position, the trail of updates, and the incident's current position;
- the alarm descriptions, chat messages and the lifecycle entries of the timeline (accepted,
  dispatched with its note, resolved with its outcome, closed, transfers, SLA alerts and
  escalations, merges, in the timeline's own English sentences) → `notesComponent`, every
  one referenced from the incident (and the alarm's own from its call);
- the owning centre, the centres the case passed through (transfers, escalations, SLA
  alerts: every centre a note names) and those of the seats involved → `agencyComponent`;
  those seats → `agentComponent`.

Least privilege: the reporter's identity (name, phone, ID number, language) never enters the
document, so exporting is not an identity read; a seat that needs it reads it through the
recorded identity endpoint. Fields this system has no value for are left out, not invented
(among them the common registry codes of incident type, status and disposition)."""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Seat
from netalarm.core.clock import iso, utcnow
from netalarm.core.ids import uuid7
from netalarm.exports import pidf
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident, LocationUpdate
from netalarm.messaging import service as messaging_service
from netalarm.messaging.models import Message
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre
from netalarm.timeline import service as timeline_service
from netalarm.timeline.models import TimelineEntry
from netalarm.timeline.words import value_words

COMMON_PRIORITY: Final = {"P1": 10, "P2": 7, "P3": 4, "P4": 1}
# Timeline entries that tell the incident's course; each becomes a note in its own words.
NOTED: Final = frozenset(
    {"accepted", "taken_over", "dispatched", "resolved", "closed", "transferred", "received_by_transfer"}
    | {"escalated", "sla_alert", "merged", "merged_in"}
    | {"forwarded_110", "link_110", "escalated_superior", "superior_update"}
    | {"received_from_network", "escalated_in", "withdrawn", "seat_note"}
)
# The entries that name centres the case passed through (by code, under these keys).
HANDED_OVER: Final = frozenset({"transferred", "received_by_transfer", "escalated", "sla_alert"})
CENTRE_KEYS: Final = ("from", "to", "centre")
CALL_TAKERS: Final = frozenset({"network", "110"})
# A reported position: lat, lon (WGS84), accuracy in metres, source.
Fix = tuple[float, float, float | None, str | None]


def _ref(identifier: str) -> dict[str, str]:
    return {"$ref": identifier}


def _agency(code: str) -> str:
    return f"urn:netalarm:centre:{code}"


def _agent(username: str) -> str:
    return f"urn:netalarm:seat:{username}"


def _jcard(*properties: tuple[str, str]) -> str:
    """A jCard (RFC 7095) with the given text properties, as the string EIDO carries."""
    return json.dumps(
        ["vcard", [["version", {}, "text", "4.0"], *[[n, {}, "text", v] for n, v in properties]]],
        ensure_ascii=False,
    )


@dataclass
class _Components:
    """Builds components with the common prologue, and remembers the latest time stamped."""

    owner: str
    stamps: list[datetime] = field(default_factory=list)

    def make(self, identifier: str, at: datetime, agent: str | None = None, **fields: Any) -> dict[str, Any]:
        """A component: prologue, then `fields` without those that have no value."""
        self.stamps.append(at)
        prologue = {
            "componentIdentifier": identifier,
            "lastUpdateTimeStamp": iso(at),
            "updatedByAgencyReference": _ref(self.owner),
            "updatedByAgentReference": _ref(agent) if agent else None,
        }
        return {k: v for k, v in {**prologue, **fields}.items() if v is not None and v != []}


async def document(session: AsyncSession, incident: Incident, *, role: str) -> dict[str, Any]:
    """The EIDO of `incident` (already checked visible to the asking seat), as sent by this
    server in `role` (internet or intranet). Reads only; records nothing."""
    centre = await routing_service.get(session, incident.centre_id)
    alarms = list(
        await session.scalars(
            select(Alarm).where(Alarm.incident_id == incident.id).order_by(Alarm.created_at, Alarm.id)
        )
    )
    trail = await incident_service.trail(session, incident.id)
    messages = await messaging_service.for_incident(session, incident.id)
    timeline = await timeline_service.entries(session, incident.id)
    entries = [e for e in timeline if e.type in NOTED]
    seats = await _seats(session, incident, messages, entries)
    passed = {
        e.data[key]
        for e in timeline
        if e.type in HANDED_OVER
        for key in CENTRE_KEYS
        if isinstance(e.data.get(key), str)
    }
    passed_through = list(await session.scalars(select(Centre).where(Centre.code.in_(passed))))
    built = _Components(owner=_agency(centre.code))
    incident_id = f"urn:netalarm:incident:{incident.id}"

    persons: dict[uuid.UUID, str] = {}
    calls_of: dict[uuid.UUID, list[str]] = {}
    places_of: dict[uuid.UUID, list[str]] = {}
    locations: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    for alarm in alarms:
        person = persons.setdefault(alarm.reporter_id, f"{incident_id}:person:{len(persons) + 1}")
        places = _alarm_locations(built, alarm, [p for p in trail if p.alarm_id == alarm.id])
        described, chat = _alarm_notes(built, alarm, [m for m in messages if m.alarm_id == alarm.id])
        call = _call(built, incident, alarm, places, described + chat, person)
        calls.append(call)
        calls_of.setdefault(alarm.reporter_id, []).append(call["componentIdentifier"])
        places_of.setdefault(alarm.reporter_id, []).extend(p["componentIdentifier"] for p in places)
        locations += places
        notes += described + chat
    course = [_course_note(built, incident_id, e, seats) for e in entries]
    notes += course
    where = []
    if incident.lat is not None and incident.lon is not None:
        where = [f"{incident_id}:location"]
        locations.append(
            _location(
                built,
                where[0],
                (incident.lat, incident.lon, incident.accuracy_m, incident.location_source),
                trail[-1].at if trail else incident.created_at,
                "current position of the incident",
            )
        )

    components = {
        "incidentComponent": [
            built.make(
                incident_id,
                incident.updated_at,
                incidentTrackingIdentifier=incident.case_number,
                incidentTypeInternalCode=incident.category,
                incidentTypeInternalText=value_words(incident.category, "en"),
                incidentStatusInternalText=[incident.status],
                incidentPriorityInternalText=incident.priority,
                incidentCommonPriorityNumber=COMMON_PRIORITY[incident.priority],
                locationReference=[_ref(w) for w in where],
                personReference=[_ref(p) for p in persons.values()],
                agentReference=[_ref(_agent(s.username)) for s, _ in seats],
                notesReference=[_ref(n["componentIdentifier"]) for n in notes],
                dispositionComponent=_disposition(built, incident_id, incident, entries, seats),
            )
        ],
        "callComponent": calls,
        "personComponent": [
            built.make(
                identifier,
                incident.created_at,
                personIncidentRoleRegistryText=["Caller"],
                callIdentifier=calls_of[reporter],
                locationReference=[_ref(p) for p in places_of[reporter]],
            )
            for reporter, identifier in persons.items()
        ],
        "locationComponent": locations,
        "notesComponent": notes,
        "agencyComponent": _agencies(built, centre, passed_through + [home for _, home in seats]),
        "agentComponent": [
            built.make(
                _agent(seat.username),
                seat.created_at,
                agencyReference=_ref(_agency(home.code)),
                agentRoleRegistryText=["Call Taking"] if seat.role in CALL_TAKERS else [],
                agentJcard=_jcard(("fn", seat.username), ("role", seat.role)),
            )
            for seat, home in seats
        ],
    }
    root_code = centre.path.strip("/").split("/")[0]
    return {
        "$id": incident_id,
        "eidoMessageIdentifier": f"urn:uuid:{uuid7()}",
        "lastUpdateTimeStamp": iso(max(built.stamps, default=utcnow())),
        "sendingSystemIdentifier": f"urn:netalarm:{role}:{root_code}",
        **{name: listed for name, listed in components.items() if listed},
    }


async def _seats(
    session: AsyncSession, incident: Incident, messages: list[Message], entries: list[TimelineEntry]
) -> list[tuple[Seat, Centre]]:
    """The seats that took part — accepted, wrote in the chat, or acted on the course — with
    their centres, by username."""
    names = {m.seat_username for m in messages if m.seat_username}
    names |= {e.actor.removeprefix("seat:") for e in entries if e.actor.startswith("seat:")}
    if incident.accepted_by:
        names.add(incident.accepted_by)
    if not names:
        return []
    rows = await session.execute(
        select(Seat, Centre).join(Centre, Centre.id == Seat.centre_id).where(Seat.username.in_(names))
    )
    return sorted(((seat, home) for seat, home in rows), key=lambda pair: pair[0].username)


def _agencies(built: _Components, owner: Centre, others: list[Centre]) -> list[dict[str, Any]]:
    """The owning centre first, then the others involved (each once): those the case passed
    through and those of the seats that took part."""
    centres = {owner.code: owner} | {centre.code: centre for centre in others}
    return [
        built.make(
            _agency(code),
            centre.created_at,
            agencyType=["police"],
            agencyRoleDescriptionRegistryText=["CallReceiving"],
            incidentOwningAgencyIndicator=code == owner.code,
            agencyJcard=_jcard(("kind", "org"), ("fn", centre.name), ("org", centre.name)),
        )
        for code, centre in centres.items()
    ]


def _location(built: _Components, identifier: str, fix: Fix, at: datetime, what: str) -> dict[str, Any]:
    """A location component of the reporter's position `fix` (lat, lon, accuracy in metres,
    source), reported at `at`; `what` says which position it is."""
    lat, lon, accuracy_m, source = fix
    return built.make(
        identifier,
        at,
        locationTypeDescriptionRegistryText="Caller",
        locationByValue=pidf.position(
            identifier, lat=lat, lon=lon, accuracy_m=accuracy_m, source=source, at=at
        ),
        locationDescriptionText=f"{what}; source {source}" if source else what,
    )


def _alarm_locations(built: _Components, alarm: Alarm, trail: list[LocationUpdate]) -> list[dict[str, Any]]:
    """The alarm's first position (if it came with one) and its position updates, in order."""
    found = []
    if alarm.lat is not None and alarm.lon is not None:
        fix = (alarm.lat, alarm.lon, alarm.accuracy_m, alarm.location_source)
        found.append(
            _location(
                built,
                f"urn:netalarm:alarm:{alarm.id}:location",
                fix,
                alarm.created_at,
                "position sent with the alarm",
            )
        )
    for p in trail:
        fix = (p.lat, p.lon, p.accuracy_m, p.source)
        found.append(_location(built, f"urn:netalarm:location:{p.id}", fix, p.at, "position update"))
    return found


def _alarm_notes(
    built: _Components, alarm: Alarm, messages: list[Message]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alarm's description (and that it was silent) as at most one note; its chat as
    notes, oldest first."""
    described, said = [], []
    lines = ["Silent alarm: the reporter may be unable to speak."] if alarm.silent else []
    lines += [f"Description: {alarm.description}"] if alarm.description else []
    if lines:
        text = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
        described.append(
            built.make(
                f"urn:netalarm:alarm:{alarm.id}:description", alarm.created_at, notesActionComments=text
            )
        )
    for m in messages:
        author = f"Seat {m.seat_username}" if m.sender == "seat" else "Reporter"
        agent = _agent(m.seat_username) if m.sender == "seat" and m.seat_username else None
        said.append(
            built.make(
                f"urn:netalarm:message:{m.id}",
                m.at,
                agent,
                agentReference=_ref(agent) if agent else None,
                notesActionComments=f"<p>{html.escape(f'{author} (chat): {m.text}')}</p>",
            )
        )
    return described, said


def _call(
    built: _Components,
    incident: Incident,
    alarm: Alarm,
    places: list[dict[str, Any]],
    said: list[dict[str, Any]],
    person: str,
) -> dict[str, Any]:
    answered = (
        incident.accepted_at if incident.accepted_at and incident.accepted_at >= alarm.created_at else None
    )
    state = "callEnd" if incident.status == "closed" else "callAnswered" if answered else "callBegin"
    return built.make(
        f"urn:netalarm:alarm:{alarm.id}",
        alarm.created_at,
        standardPrimaryCallType="emergency",
        localCallType=alarm.channel,
        direction="incoming",
        callStartTimestamp=iso(alarm.created_at),
        answerDate=iso(answered),
        callStateRegistryText=state,
        agentReference=[_ref(_agent(incident.accepted_by))] if answered and incident.accepted_by else [],
        locationReference=[_ref(p["componentIdentifier"]) for p in places],
        personReference=[_ref(person)],
        notesReference=[_ref(n["componentIdentifier"]) for n in said],
    )


def _course_note(
    built: _Components, incident_id: str, entry: TimelineEntry, seats: list[tuple[Seat, Centre]]
) -> dict[str, Any]:
    """A lifecycle entry of the timeline as a note, by the seat that acted (if it still exists)."""
    known = {seat.username for seat, _ in seats}
    name = entry.actor.removeprefix("seat:")
    agent = _agent(name) if entry.actor.startswith("seat:") and name in known else None
    words = timeline_service.public(entry, "en")["words"]
    return built.make(
        f"{incident_id}:timeline:{entry.seq}",
        entry.at,
        agent,
        agentReference=_ref(agent) if agent else None,
        notesActionComments=f"<p>{html.escape(words)}</p>",
    )


def _disposition(
    built: _Components,
    incident_id: str,
    incident: Incident,
    entries: list[TimelineEntry],
    seats: list[tuple[Seat, Centre]],
) -> list[dict[str, Any]]:
    """How the incident ended, once it is closed: the disposition and the outcome or merge."""
    if incident.disposition is None or incident.closed_at is None:
        return []
    closing = [e for e in entries if e.type in ("closed", "merged")]
    note = [_ref(f"{incident_id}:timeline:{e.seq}") for e in closing[-1:]]
    known = {seat.username for seat, _ in seats}
    actor = closing[-1].actor.removeprefix("seat:") if closing else ""
    described = incident.outcome
    if incident.merged_into and closing:
        described = f"Merged into case {closing[-1].data.get('into_case_number')}"
    return [
        built.make(
            f"{incident_id}:disposition",
            incident.closed_at,
            _agent(actor) if actor in known else None,
            dispositionPrimaryIndicator=True,
            dispositionCategoryText=incident.disposition,
            dispositionDescriptionText=described,
            notesReference=note,
        )
    ]
