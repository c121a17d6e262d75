"""What an operator's monitoring watches, read from the database at each scrape: open
incidents, how long the oldest unaccepted one has waited, side effects not yet sent (outbox,
SMS, hand-overs) and consoles present. Every server process answers alike, whichever one a
scrape reaches, because nothing here is counted in a process's memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import SeatToken
from netalarm.accounts.service import console_present
from netalarm.boundary import outside
from netalarm.channels.sms.models import SmsDelivery
from netalarm.core.clock import utcnow
from netalarm.core.outbox import OutboxEvent
from netalarm.incidents.lifecycle import OPEN_STATUSES, PRIORITIES
from netalarm.incidents.models import Incident

SMS_STATES = ("pending", "sending", "failed")


@dataclass(frozen=True)
class Figures:
    """One reading. `open_incidents` by (status, priority), zero where there are none;
    `oldest_unaccepted_s` by priority (0 with none waiting), counted from when the holding
    centre got the case; `forwards_waiting` by hand-over target this server sends to."""

    open_incidents: dict[tuple[str, str], int]
    oldest_unaccepted_s: dict[str, float]
    outbox_unpublished: int
    sms: dict[str, int]
    forwards_waiting: dict[str, int] = field(default_factory=dict)
    consoles_present: int = 0


async def read(session: AsyncSession, *, forward_targets: Iterable[str] = ()) -> Figures:
    """The figures now; `forward_targets` are the hand-overs this server makes ("110",
    "superior")."""
    now = utcnow()
    counts = {(status, priority): 0 for status in OPEN_STATUSES for priority in PRIORITIES}
    rows = await session.execute(
        select(Incident.status, Incident.priority, func.count())
        .where(Incident.status.in_(OPEN_STATUSES))
        .group_by(Incident.status, Incident.priority)
    )
    for status, priority, count in rows:
        counts[(status, priority)] = int(count)
    started = func.min(func.coalesce(Incident.sla_started_at, Incident.created_at))
    oldest = {priority: 0.0 for priority in PRIORITIES}
    waiting = await session.execute(
        select(Incident.priority, started).where(Incident.status == "received").group_by(Incident.priority)
    )
    for priority, since in waiting:
        oldest[priority] = max(0.0, (now - since).total_seconds())
    unpublished = await session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
    )
    sms = dict.fromkeys(SMS_STATES, 0)
    unsent = await session.execute(
        select(SmsDelivery.status, func.count())
        .where(SmsDelivery.status.in_(SMS_STATES))
        .group_by(SmsDelivery.status)
    )
    for status, count in unsent:
        sms[status] = int(count)
    present = await session.scalar(
        select(func.count(func.distinct(SeatToken.seat_id))).where(
            SeatToken.expires_at > now,
            console_present(now),
        )
    )
    return Figures(
        open_incidents=counts,
        oldest_unaccepted_s=oldest,
        outbox_unpublished=int(unpublished or 0),
        sms=sms,
        forwards_waiting={target: await outside.waiting_count(session, target) for target in forward_targets},
        consoles_present=int(present or 0),
    )
