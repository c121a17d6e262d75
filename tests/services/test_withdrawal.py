"""A reporter takes an alarm back (sent by mistake, or safe now): the seats are told, and the
case stays as it was until a seat closes it — on this server and across the 110 link."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import inside, outside
from netalarm.core.errors import Conflict, Invalid
from netalarm.exports import eido
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.incidents import views as incident_views
from netalarm.incidents.models import Incident
from netalarm.intake.service import Submitted
from netalarm.timeline import service as timeline_service
from netalarm.timeline.words import describe
from tests.support import factories
from tests.support.factories import Tree


def _reporter(made: Submitted) -> str:
    return f"reporter:{made.alarm.reporter_id}"


async def test_a_withdrawal_tells_the_seats_and_leaves_status_priority_and_sla_clock_alone(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, silent=True)
    incident = made.incident
    before = (incident.status, incident.priority, incident.sla_started_at, incident.sla_alerted_at)

    assert await incident_service.withdraw(session, made.alarm, "mistake", actor=_reporter(made))

    assert (incident.status, incident.priority, incident.sla_started_at, incident.sla_alerted_at) == before
    assert made.alarm.withdrawn_at is not None and made.alarm.withdrawn_reason == "mistake"
    [entry] = [e for e in await timeline_service.entries(session, incident.id) if e.type == "withdrawn"]
    assert (entry.actor, entry.data) == (
        _reporter(made),
        {"alarm_id": str(made.alarm.id), "reason": "mistake"},
    )
    view = await incident_views.public(session, incident)
    assert [(w["alarm_id"], w["reason"]) for w in view["withdrawals"]] == [(str(made.alarm.id), "mistake")]
    words = describe({"type": "withdrawn", "data": entry.data}, "en")
    assert "sent by mistake" in words and "stays open" in words
    assert "误触发送" in describe({"type": "withdrawn", "data": entry.data}, "zh")
    assert (await timeline_service.verify(session, incident.id)).ok
    notes = (await eido.document(session, incident, role="internet"))["notesComponent"]
    assert any("The reporter cancelled the alarm: sent by mistake" in n["notesActionComments"] for n in notes)


async def test_a_second_withdrawal_changes_nothing_and_keeps_the_first_reason(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    assert await incident_service.withdraw(session, made.alarm, "safe", actor=_reporter(made))
    first = made.alarm.withdrawn_at
    assert not await incident_service.withdraw(session, made.alarm, "mistake", actor=_reporter(made))
    assert (made.alarm.withdrawn_at, made.alarm.withdrawn_reason) == (first, "safe")
    types = [e.type for e in await timeline_service.entries(session, made.incident.id)]
    assert types.count("withdrawn") == 1


async def test_an_unknown_reason_is_invalid_and_a_closed_case_cannot_be_withdrawn(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    with pytest.raises(Invalid) as refused:
        await incident_service.withdraw(session, made.alarm, "bored", actor=_reporter(made))
    assert refused.value.field == "reason"
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="false_alarm")
    with pytest.raises(Conflict):
        await incident_service.withdraw(session, made.alarm, "mistake", actor=_reporter(made))
    assert made.alarm.withdrawn_at is None


async def test_a_withdrawal_goes_with_its_alarm_into_the_case_it_is_merged_into(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    first = await factories.alarm(session, t.city, Tree.A_POINT)
    second = await factories.alarm(session, t.city, Tree.A_POINT)
    await incident_service.withdraw(session, second.alarm, "mistake", actor=_reporter(second))
    await actions.act(session, t.a_seat, second.incident.id, "merge", into=first.incident.id)
    view = await incident_views.public(session, first.incident)
    assert [w["alarm_id"] for w in view["withdrawals"]] == [str(second.alarm.id)]
    assert view["status"] == "received"


async def test_a_withdrawal_after_a_forward_reaches_the_110_side_once_and_is_not_sent_back(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    made, _, row, inside_id = await factories.forwarded_to_110(session, t, intranet)
    await incident_service.withdraw(session, made.alarm, "safe", actor=_reporter(made))

    news = (await outside.news(session, {row.id: 0}, target="110"))[row.id]
    assert [(n.type, n.data) for n in news] == [("withdrawn", {"reason": "safe"})]
    for _ in range(2):
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    here = await session.get(Incident, inside_id)
    assert here is not None
    view = await incident_views.public(session, here)
    assert [w["reason"] for w in view["withdrawals"]] == ["safe"]
    assert view["status"] == "received"
    told = [e for e in await timeline_service.entries(session, here.id) if e.type == "withdrawn"]
    assert [e.actor for e in told] == ["system:110-link"]
    back = (await inside.unsent(session)).get(row.id, [])
    assert "withdrawn" not in [u.type for u in back]
