"""Recording a call-back a seat made: one `call` timeline entry with the (masked) number,
the outcome and the seat's note."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.service import SeatIdentity
from netalarm.channels import contact
from netalarm.core.clock import iso
from netalarm.core.errors import Conflict, Invalid
from netalarm.incidents import service as incident_service
from netalarm.timeline.models import TimelineEntry

OUTCOMES = ("reached", "no_answer", "busy", "failed")
MAX_NOTE = 2_000


async def record_call(
    session: AsyncSession,
    seat: SeatIdentity,
    incident_id: uuid.UUID,
    *,
    outcome: str,
    note: str | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    """Record that `seat` called `to` (else the reporter's phone) about an incident it may
    see (else 404): `outcome` is one of `OUTCOMES` (422 `outcome`), the incident must not be
    closed (409), and a number must be known (422 `to`). Flushes; the caller commits.
    Returns the call as `public` shapes it."""
    incident = await incident_service.get_visible(session, seat, incident_id, for_update=True)
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"note must be at most {MAX_NOTE} characters", field="note")
    if incident.status == "closed":
        raise Conflict("the incident is closed", code="incident_closed")
    number, source = await contact.number_for(session, incident, to)
    data = {
        "to": contact.mask(number),
        "to_source": source,
        "outcome": outcome,
        "note": note,
        "placed_by": "seat",
    }
    entry = await incident_service.record(session, incident, actor=seat.actor, type="call", data=data)
    return public(entry)


def public(entry: TimelineEntry) -> dict[str, Any]:
    """A `call` timeline entry as the API answers it: `{seq, at, actor, to, to_source,
    outcome, note, placed_by}`."""
    return {"seq": entry.seq, "at": iso(entry.at), "actor": entry.actor, **entry.data}
