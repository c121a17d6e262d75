"""Call-backs: a seat records the outcome of a call it made; each is a `call` timeline entry."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.channels.phone import service as phone_service
from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.incidents import actions
from netalarm.timeline import service as timeline_service
from tests.support import factories
from tests.support.factories import Tree


async def test_a_call_back_is_recorded_on_the_timeline(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": "13800138000"})
    first = await phone_service.record_call(session, t.a_seat, made.incident.id, outcome="no_answer")
    second = await phone_service.record_call(
        session, t.a_seat, made.incident.id, outcome="reached", note=" Safe, hiding upstairs. "
    )
    assert second["seq"] == first["seq"] + 1 and second["actor"] == t.a_seat.actor
    assert {k: second[k] for k in ("to", "to_source", "outcome", "note", "placed_by")} == {
        "to": "+86 138****8000",
        "to_source": "reporter",
        "outcome": "reached",
        "note": "Safe, hiding upstairs.",
        "placed_by": "seat",
    }
    entries = await timeline_service.entries(session, made.incident.id)
    assert [(e.type, e.data["outcome"]) for e in entries[1:]] == [("call", "no_answer"), ("call", "reached")]
    assert (await timeline_service.verify(session, made.incident.id)).ok


async def test_a_number_the_seat_gives_is_used(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT)
    call = await phone_service.record_call(
        session, t.a_seat, made.incident.id, outcome="busy", to="+86 139 0013 9000"
    )
    assert (call["to"], call["to_source"]) == ("+86 139****9000", "seat")


@pytest.mark.parametrize(
    ("phone", "fields", "field", "code"),
    [
        ("13800138000", {"outcome": "picked_up"}, "outcome", "invalid"),
        (None, {"outcome": "reached"}, "to", "no_phone"),
        ("13800138000", {"outcome": "reached", "to": "not a number"}, "to", "invalid"),
        ("13800138000", {"outcome": "reached", "note": "x" * 2001}, "note", "invalid"),
    ],
)
async def test_bad_input_is_refused_with_its_field_and_records_nothing(
    session: AsyncSession, phone: str | None, fields: dict[str, Any], field: str, code: str
) -> None:
    t = await factories.tree(session)
    reporter = {"phone": phone} if phone else None
    made = await factories.alarm(session, t.city, Tree.A_POINT, reporter=reporter)
    with pytest.raises(Invalid) as refused:
        async with session.begin_nested():
            await phone_service.record_call(session, t.a_seat, made.incident.id, **fields)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert [e.type for e in await timeline_service.entries(session, made.incident.id)] == ["alarm_received"]


async def test_a_closed_incident_or_another_centres_seat_is_refused(session: AsyncSession) -> None:
    t = await factories.tree(session)
    made = await factories.alarm(session, t.city, Tree.A_POINT, reporter={"phone": "13800138000"})
    with pytest.raises(NotFound):
        async with session.begin_nested():
            await phone_service.record_call(session, t.b_seat, made.incident.id, outcome="reached")
    await actions.act(session, t.a_seat, made.incident.id, "close", disposition="prank")
    with pytest.raises(Conflict) as closed:
        await phone_service.record_call(session, t.a_seat, made.incident.id, outcome="reached")
    assert closed.value.code == "incident_closed"
