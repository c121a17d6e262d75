"""The 110 link on a city's worst day: more forwarded cases open inside than one request of
the link may name (`MAX_FORWARDS`, 1,000). A real Internet-side server process; the intranet
side's puller and fetcher in the test process, on a database of their own, so that a thousand
open cases can be made there below HTTP in seconds."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, puller
from netalarm.boundary.document import MAX_FORWARDS, Forward
from netalarm.boundary.fetcher import Fetcher
from netalarm.boundary.models import LinkInbound
from netalarm.core import migrate
from netalarm.core.clock import utcnow
from netalarm.core.db import make_engine, make_sessionmaker, transaction
from netalarm.core.ids import uuid7
from netalarm.incidents.models import Incident
from netalarm.media import service as media_service
from netalarm.media.storage.local import LocalStorage
from netalarm.messaging import service as messaging_service
from tests.media import tus
from tests.media.samples import photo
from tests.support import factories
from tests.support.http import reporter_headers
from tests.support.link import forwarded_alarm, internet_server
from tests.support.servers import Server

TOKEN = "link-" + secrets.token_hex(16)
LINK = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def internet(tmp_path: Path) -> Iterator[Server]:
    server = internet_server(tmp_path / "internet", TOKEN)
    yield server
    server.stop()


@pytest.fixture
async def intranet(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The intranet server's database: no one else's forwards in it."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'intranet.sqlite3'}")
    await migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


def _forward(number: int) -> Forward:
    """A forward of a case the Internet side no longer has (its database restored, say): open
    inside like any other, with nothing more to come."""
    now = utcnow()
    return Forward(
        forward_id=uuid7(),
        case_number=f"440304-FLOOD-{number:04d}",
        centre="440304",
        centre_name="Futian",
        priority="P2",
        category="other",
        description="Water rising in the street",
        silent=False,
        location=None,
        reported_at=now - timedelta(minutes=5),
        forwarded_at=now,
        forwarded_by="futian.net",
        note="flood",
        reporter=None,
        media_count=0,
    )


async def _heard(sessions: async_sessionmaker[AsyncSession], case_number: str) -> list[str]:
    """The messages on the 110 case made from the network case `case_number`."""
    async with transaction(sessions) as session:
        incident_id = await session.scalar(
            select(LinkInbound.incident_id).where(LinkInbound.source_case_number == case_number)
        )
        assert incident_id is not None
        return [m.text for m in await messaging_service.for_incident(session, incident_id)]


async def test_past_a_thousand_open_forwards_the_news_and_files_of_every_case_keep_coming(
    internet: Server, intranet: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=internet.url, headers=LINK) as client:
        async with transaction(intranet) as session:
            root = (await factories.tree(session)).city
        pulling = puller.Puller(intranet, client, root.code, "Asia/Shanghai")
        first = forwarded_alarm(internet, "The first case of the day")
        assert await pulling.run_once() == (1, 1)
        async with transaction(intranet) as session:
            for number in range(MAX_FORWARDS - 1):
                forward = _forward(number)
                await inside.receive(session, forward, root=root, timezone="Asia/Shanghai")
                await inside.confirm(session, forward.forward_id, 1)  # taken outside before its loss
        last = forwarded_alarm(internet, "The thousand-and-first case")
        picture = photo()
        upload, answer = tus.upload(internet.url, last, picture, "roof.jpg")
        assert answer.status_code == 204, answer.text
        for alarm, text in ((first, "Water up to the first floor"), (last, "We are on the roof")):
            said = await client.post(
                f"/api/v1/alarms/{alarm['id']}/messages", json={"text": text}, headers=reporter_headers(alarm)
            )
            assert said.status_code == 201, said.text

        assert (await pulling.run_once())[0] == 1
        async with transaction(intranet) as session:
            following = await inside.following(session, "network")
        assert len(following) == MAX_FORWARDS + 1
        # One request naming them all is refused: the pages are what keep the news coming.
        whole = await client.post("/api/v1/link/110/news?version=2", json={"after": _json(following)})
        assert whole.status_code == 422
        fetcher = Fetcher(intranet, client, LocalStorage(tmp_path / "intranet-media"), puller.LINK)
        assert await fetcher.run_once() == 1

    assert await _heard(intranet, first["case_number"]) == ["Water up to the first floor"]
    assert await _heard(intranet, last["case_number"]) == ["We are on the roof"]
    async with transaction(intranet) as session:
        incident_id = await session.scalar(
            select(LinkInbound.incident_id).where(LinkInbound.source_case_number == last["case_number"])
        )
        case = await session.get_one(Incident, incident_id)
        [media] = await media_service.for_incident(session, case)
    assert (str(media.id), media.sha256) == (tus.media_id(upload), hashlib.sha256(picture).hexdigest())


def _json(following: dict[Any, int]) -> dict[str, int]:
    return {str(forward_id): seq for forward_id, seq in following.items()}
