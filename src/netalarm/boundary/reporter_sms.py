"""A reporter whose case was forwarded to 110 texts the alarm number: the SMS becomes an alarm
of its own (intake never folds a text into a case on the strength of a phone number typed
into a web form), and the forwarded case is told, so its news carries the text to the 110 seat.
Inside, it is recorded on the 110 case (`reporter_sms_at_source`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import Reporter
from netalarm.boundary.document import LINK_110
from netalarm.boundary.models import LinkForward
from netalarm.incidents import service as incident_service
from netalarm.incidents.models import Alarm, Incident

ACTOR = "system:sms"


async def tell_forwarded(
    session: AsyncSession, phone: str, alarm: Alarm, incident: Incident, text: str
) -> None:
    """An SMS from `phone` (E.164) that became `alarm` of `incident`: a `reporter_sms` entry,
    with its text and the new case, on each open case forwarded to 110 whose reporter gave
    that phone."""
    forwarded = await session.scalars(
        select(Incident.id)
        .join(LinkForward, LinkForward.incident_id == Incident.id)
        .join(Reporter, Reporter.id == Incident.reporter_id)
        .where(
            LinkForward.target == LINK_110,
            Reporter.phone == phone,
            Incident.status != "closed",
            Incident.id != incident.id,
        )
        .order_by(Incident.id)
    )
    for incident_id in list(forwarded):
        case = await incident_service.lock(session, incident_id)
        await incident_service.record(
            session,
            case,
            actor=ACTOR,
            type="reporter_sms",
            data={"text": text, "alarm_id": str(alarm.id), "case_number": incident.case_number},
        )
