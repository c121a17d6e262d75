"""The monitoring reading: open incidents by status and priority, the oldest unaccepted wait,
side effects not yet sent, consoles present — read from the database alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts import service as accounts_service
from netalarm.channels.sms import service as sms_service
from netalarm.core.clock import utcnow
from netalarm.incidents import actions
from netalarm.incidents.lifecycle import OPEN_STATUSES, PRIORITIES
from netalarm.monitoring import service as monitoring_service
from tests.support import factories
from tests.support.factories import Tree


async def test_an_empty_server_reads_zero_everywhere(own_database: async_sessionmaker[AsyncSession]) -> None:
    async with own_database() as session:
        figures = await monitoring_service.read(session, forward_targets=["110"])
    assert set(figures.open_incidents) == {(s, p) for s in OPEN_STATUSES for p in PRIORITIES}
    assert set(figures.open_incidents.values()) == {0}
    assert figures.oldest_unaccepted_s == dict.fromkeys(PRIORITIES, 0.0)
    assert (figures.outbox_unpublished, figures.consoles_present) == (0, 0)
    assert figures.sms == {"pending": 0, "sending": 0, "failed": 0}
    assert figures.forwards_waiting == {"110": 0}


async def test_incidents_are_counted_where_they_stand_and_the_oldest_wait_is_the_received_ones(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    async with own_database() as session:
        t = await factories.tree(session)
        first = await factories.alarm(session, t.city, Tree.A_POINT, category="violence")
        second = await factories.alarm(session, t.city, Tree.A_POINT, category="violence")
        other = await factories.alarm(session, t.city, Tree.B_POINT, category="other")
        # The first case has waited ten minutes; it is then taken, so the second is the oldest.
        first.incident.created_at = utcnow() - timedelta(minutes=10)
        second.incident.created_at = utcnow() - timedelta(minutes=5)
        await session.commit()
        await actions.act(session, t.a_seat, first.incident.id, "accept")
        await session.commit()
        figures = await monitoring_service.read(session)
    p, q = first.incident.priority, other.incident.priority
    assert figures.open_incidents[("accepted", p)] == 1
    assert figures.open_incidents[("received", p)] == 1 + (p == q)
    assert sum(figures.open_incidents.values()) == 3
    assert 290 < figures.oldest_unaccepted_s[p] < 400
    assert figures.oldest_unaccepted_s[q] < 400 and figures.forwards_waiting == {}
    assert figures.outbox_unpublished >= 4  # three alarms and one acceptance, no relay here


async def test_queued_sms_and_a_waiting_forward_and_a_present_console_are_counted(
    own_database: async_sessionmaker[AsyncSession],
) -> None:
    async with own_database() as session:
        t = await factories.tree(session)
        made = await factories.alarm(session, t.city, Tree.A_POINT)
        await sms_service.queue_receipt(session, made.incident, "+8613800138000")
        await actions.act(session, t.a_seat, made.incident.id, "accept")
        await actions.act(session, t.a_seat, made.incident.id, "forward-110", note="armed", link_110=True)
        await accounts_service.login(session, username=t.a_seat.username, password="password-1", ttl_s=600)
        await session.commit()
        figures = await monitoring_service.read(session, forward_targets=["110", "superior"])
    assert figures.sms["pending"] == 1
    assert figures.forwards_waiting == {"110": 1, "superior": 0}
    assert figures.consoles_present == 1
