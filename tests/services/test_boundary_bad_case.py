"""One case the 110 link cannot carry holds up no other: a forward whose news cannot be read
on the Internet side is left out and said, and cases whose progress the other side refuses,
however many entries they hold, leave room for the others' progress."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.boundary import inside, outside
from netalarm.incidents import actions
from netalarm.incidents import service as incident_service
from netalarm.messaging import service as messaging_service
from tests.support import factories


async def test_a_forward_whose_news_cannot_be_read_is_left_out_and_said_and_the_others_news_comes(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    damaged, damaged_case, damaged_row, _ = await factories.forwarded_to_110(session, t, intranet)
    sound, sound_case, sound_row, _ = await factories.forwarded_to_110(session, t, intranet)
    for made, case in ((damaged, damaged_case), (sound, sound_case)):
        await messaging_service.post(
            session,
            incident=case,
            alarm_id=made.alarm.id,
            sender="reporter",
            actor=f"reporter:{made.alarm.reporter_id}",
            text="Help, the water is rising",
            media_ids=[],
        )
    # A damaged row (restored from a broken backup, say): a message entry without its message.
    await incident_service.record(
        session,
        damaged_case,
        actor=f"reporter:{damaged.alarm.reporter_id}",
        type="message",
        data={"message": 7},
    )

    unreadable: dict[uuid.UUID, str] = {}
    news = await outside.news(
        session, {damaged_row.id: 0, sound_row.id: 0}, target="110", version=3, unreadable=unreadable
    )
    assert [(n.type, n.data["text"]) for n in news[sound_row.id]] == [
        ("message", "Help, the water is rising")
    ]
    assert damaged_row.id not in news
    assert list(unreadable) == [damaged_row.id]
    assert unreadable[damaged_row.id].startswith(
        f"the news of case {damaged_case.case_number} cannot be read:"
    )
    assert "AttributeError" in unreadable[damaged_row.id]
    # Without a place to say it (the superior's sender), it is left out all the same.
    assert list(await outside.news(session, {damaged_row.id: 0, sound_row.id: 0}, target="110")) == [
        sound_row.id
    ]


async def test_progress_waiting_on_many_cases_is_sent_for_every_case_a_batch_each(
    session: AsyncSession,
) -> None:
    t, intranet = await factories.tree(session), await factories.tree(session)
    cases = [await factories.forwarded_to_110(session, t, intranet) for _ in range(3)]
    for _, _, _, here in cases:
        await actions.act(session, intranet.a_seat, here, "accept")
    # Each case has two entries waiting (received, accepted): at most one a batch, every case has one.
    waiting = await inside.unsent(session, limit=1)
    mine = {row.id for _, _, row, _ in cases}
    assert {f: [u.type for u in updates] for f, updates in waiting.items() if f in mine} == {
        row.id: ["received_from_network"] for _, _, row, _ in cases
    }
