"""A 110 seat's message on its way: waiting for the link until the Internet side takes it, then
the reporter's receipts of it come back (news version 2), so the 110 seat sees it delivered and
read as on any chat; no other message's receipts come."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import forwarded_case, inside, outside
from netalarm.incidents.models import Incident
from netalarm.messaging import receipts
from netalarm.messaging import service as messaging_service
from netalarm.messaging.models import Message
from tests.support import factories


async def test_the_reporters_receipts_of_a_110_message_come_back_once_and_stamp_it_inside(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    made, incident, row, inside_id = await factories.forwarded_to_110(
        session, t, intranet, category="violence"
    )
    here = await session.get(Incident, inside_id)
    assert here is not None
    said = await messaging_service.post(
        session,
        incident=here,
        alarm_id=(await forwarded_case.relay_alarm(session, row.id)).id,
        sender="seat",
        actor=intranet.a_seat.actor,
        text="Stay behind the locked door",
        media_ids=[],
        seat_username=intranet.a_seat.username,
    )
    network_said = await messaging_service.post(
        session,
        incident=incident,
        alarm_id=made.alarm.id,
        sender="seat",
        actor=t.a_seat.actor,
        text="The 110 seat is on your case",
        media_ids=[],
        seat_username=t.a_seat.username,
    )
    assert await forwarded_case.waiting_to_cross(session, here.id) == {said.id}
    applied = await outside.take_progress(session, row.id, (await inside.unsent(session))[row.id])
    await inside.confirm(session, row.id, applied)
    assert await forwarded_case.waiting_to_cross(session, here.id) == set()
    assert await forwarded_case.waiting_to_cross(session, incident.id) == set()  # not a case from the link
    reporter = f"reporter:{made.alarm.reporter_id}"
    for message in await messaging_service.for_alarm(session, made.alarm.id):
        await receipts.mark_read(session, message, by="reporter", actor=reporter)

    older = (await outside.news(session, {row.id: 0}, target="110"))[row.id]  # a version 1 reader
    assert [n.type for n in older] == ["message"]
    news = (await outside.news(session, {row.id: 0}, target="110", version=2))[row.id]
    backs = [(n.type, n.data["id"]) for n in news if n.type.startswith("message_")]
    # Only the 110 message's receipts: those of the network seat's own message stay outside.
    assert backs == [("message_delivered", str(said.id)), ("message_read", str(said.id))]
    assert [n.data["id"] for n in news if n.type == "message"] == [str(network_said.id)]
    for _ in range(2):
        await inside.take_news(session, row.id, news, source="network", actor="system:110-link")
    stamped = await session.get(Message, said.id, populate_existing=True)
    assert stamped is not None and stamped.delivered_at is not None and stamped.read_at is not None
    assert row.id not in await inside.unsent(session)  # the receipts are not sent back
