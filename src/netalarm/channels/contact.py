"""The number a channel reaches: the reporter's phone from their identity, or one the seat
gives; and how that number is written where every seat of the centre can read it."""

from __future__ import annotations

import uuid

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.accounts.validation import normalise_phone
from netalarm.core.errors import Invalid
from netalarm.incidents.models import Incident


async def reporter_phone(session: AsyncSession, incident: Incident) -> str | None:
    """The phone number (E.164) the incident's reporter gave, if any."""
    return await phone_of(session, incident.reporter_id)


async def phone_of(session: AsyncSession, reporter_id: uuid.UUID | None) -> str | None:
    """The phone number (E.164) a reporter gave, if any."""
    if reporter_id is None:
        return None
    reporter = await session.get(Reporter, reporter_id)
    return reporter.phone if reporter is not None and reporter.phone else None


async def number_for(session: AsyncSession, incident: Incident, to: str | None) -> tuple[str, str]:
    """The number to reach and where it came from: `(E.164, "seat")` for a number the seat
    typed (validated), else `(E.164, "reporter")` from the reporter's identity. Raises
    `Invalid` on field `to` when neither gives a number."""
    if to is not None and to.strip():
        return normalise_phone(to.strip(), field="to"), "seat"
    phone = await reporter_phone(session, incident)
    if phone is None:
        raise Invalid("the reporter gave no phone number; give one in `to`", field="to", code="no_phone")
    return phone, "reporter"


def mask(number: str) -> str:
    """An E.164 number with its middle digits hidden: `+8613800138000` → `+86 138****8000`.

    Timeline entries, events and listings are read by every seat of the centre, and the
    reporter's identity is shown only through an audited read (`identity_viewed`); so they
    carry the masked number, and the full one stays on the delivery row that needs it."""
    parsed = phonenumbers.parse(number, None)
    national = str(parsed.national_number)
    keep_head, keep_tail = (3, 4) if len(national) > 8 else (0, 2)
    hidden = "*" * max(len(national) - keep_head - keep_tail, 1)
    return f"+{parsed.country_code} {national[:keep_head]}{hidden}{national[-keep_tail:]}"
