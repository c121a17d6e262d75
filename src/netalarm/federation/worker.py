"""The subordinate's sender: every `poll_s` it posts the escalations the superior has not
taken yet, then asks the superior for its progress on those it has and records it here (the
question is asked every round, so a superior that is down or refuses the key shows at once),
and last sends what happened here to those cases since (the reporter's messages and positions).
The cases' files go up beside it, in rounds of their own (`send_media_once`): the superior
says which it wants, and each is sent as the body of a PUT, signed by its SHA-256 — whole,
or from where a transfer that broke off stopped (the superior says how many bytes it holds).
Every message is signed (`signing`). A failure is kept on the escalation (`attempts`,
`last_error`) and as the sender's status; the next round tries again, so an escalation made
while the superior is down reaches it when it is back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import outside, outside_files, peer
from netalarm.boundary.document import AfterMap, MediaMap, ProgressMap, RemoteMedia, pages
from netalarm.core import tasks
from netalarm.core.db import transaction
from netalarm.core.settings import Settings
from netalarm.federation import service, signing
from netalarm.media import service as media_service
from netalarm.media.storage import Storage
from netalarm.routing import service as routing_service

TIMEOUT_S = 10.0
ESCALATIONS = "/api/v1/federation/escalations"
PROGRESS = "/api/v1/federation/progress"
NEWS = "/api/v1/federation/news"
MEDIA_WANTED = "/api/v1/federation/media/wanted"


@dataclass
class Sender:
    sessions: async_sessionmaker[AsyncSession]
    client: httpx.AsyncClient
    key: str
    centre: str
    storage: Storage
    poll_s: float = 1.0
    name: str = ""
    state: peer.PeerState = field(default_factory=peer.PeerState)
    media_state: peer.PeerState = field(default_factory=peer.PeerState)
    tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    async def _named(self) -> None:
        if not self.name:  # this server's root centre names it to the superior
            async with transaction(self.sessions) as session:
                self.name = (await routing_service.root(session, self.centre or None)).code

    async def run_once(self) -> tuple[int, int]:
        """One round: (escalations the superior took, progress entries recorded here)."""
        await self._named()
        taken = 0
        async with transaction(self.sessions) as session:
            waiting = await outside.waiting(session, service.TARGET)
        for document in waiting:
            forward_id = uuid.UUID(document["forward_id"])
            try:
                answer = await self._call(ESCALATIONS, document)
            except peer.PeerError as exc:
                async with transaction(self.sessions) as session:
                    await service.failed(session, forward_id, str(exc))
                raise
            async with transaction(self.sessions) as session:
                await service.sent(session, forward_id, str(answer["case_number"]))
            taken += 1
        async with transaction(self.sessions) as session:
            after = await service.following(session)
        recorded = 0
        # Asked even with nothing to follow: it proves the superior is there and takes our key,
        # before an emergency needs it. Past one request's worth of cases, in pages.
        for page in list(pages(after)) or [{}]:
            answer = await self._call(PROGRESS, AfterMap(after=page).model_dump(mode="json"))
            for forward_id, progress in ProgressMap.model_validate(answer).updates.items():
                async with transaction(self.sessions) as session:
                    await outside.take_progress(session, forward_id, progress)
                recorded += len(progress)
        await self._news()
        return taken, recorded

    async def _news(self) -> None:
        """Send the superior what happened here to its cases: messages, positions."""
        async with transaction(self.sessions) as session:
            news = await outside.news(session, await service.news_due(session), target=service.TARGET)
        for page in pages(news):
            answer = await self._call(NEWS, ProgressMap(updates=page).model_dump(mode="json"))
            async with transaction(self.sessions) as session:
                applied = {uuid.UUID(k): int(v) for k, v in answer["applied"].items()}
                await service.news_taken(session, applied)

    async def send_media_once(self) -> int:
        """One round of files: how many the superior wanted and was sent."""
        await self._named()
        async with transaction(self.sessions) as session:
            listed = await outside_files.media_of(
                session, list(await service.following(session)), target=service.TARGET
            )
        sent = 0
        for page in pages(listed):
            answer = await self._call(MEDIA_WANTED, MediaMap(media=page).model_dump(mode="json"))
            # A superior one version older says no offsets: every file is sent whole.
            offsets = {str(k): int(v) for k, v in answer.get("offsets", {}).items()}
            for forward_id, ids in answer["wanted"].items():
                wanted = set(ids)
                for remote in page.get(uuid.UUID(forward_id), []):
                    if str(remote.id) in wanted:
                        await self._send_file(uuid.UUID(forward_id), remote, offsets.get(str(remote.id), 0))
                        sent += 1
        return sent

    async def _send_file(self, forward_id: uuid.UUID, remote: RemoteMedia, offset: int) -> None:
        """The original from `offset` on (the bytes the superior said it holds of a transfer
        that broke off) as the body of one signed PUT. If the process answering holds another
        number of bytes (the superior runs several), it says which, and the rest is sent from
        there at once."""
        try:
            await self._put_file(forward_id, remote, offset)
        except peer.PeerError as exc:
            if exc.error.get("code") != "offset_mismatch" or not isinstance(exc.error.get("offset"), int):
                raise
            await self._put_file(forward_id, remote, exc.error["offset"])

    async def _put_file(self, forward_id: uuid.UUID, remote: RemoteMedia, offset: int) -> None:
        """The original's bytes from `offset` on, signed with the whole file's SHA-256 and the
        offset; the hand-over (with its range, when not all) is on the incident's timeline here."""
        wanted = f"bytes={offset}-" if offset else None
        async with transaction(self.sessions) as session:
            media, _ = await outside_files.hand_over_file(
                session, forward_id, remote.id, target=service.TARGET, range_header=wanted
            )
        fields = {"filename": remote.filename, "kind": remote.kind, "size": str(remote.size)}
        if remote.message_id is not None:
            fields["message_id"] = str(remote.message_id)
        if offset:  # only then: a superior one version older knows no offset
            fields["offset"] = str(offset)
        query = urlencode(fields)
        path = f"/api/v1/federation/escalations/{forward_id}/media/{remote.id}?{query}"
        headers = signing.headers(self.name, self.key, "PUT", path, body_sha256=remote.sha256)
        headers["Content-Length"] = str(remote.size - offset)

        async def body() -> AsyncIterator[bytes]:
            async for block in self.storage.read(media_service.original_key(media.id), start=offset):
                yield block

        await peer.call(self.client, "PUT", path, content=body(), headers=headers, who="the superior server")

    async def _call(self, path: str, document: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps(document)
        headers = signing.headers(self.name, self.key, "POST", path, body)
        return await peer.call(
            self.client, "POST", path, content=body, headers=headers, who="the superior server"
        )

    def status(self) -> dict[str, Any]:
        return {"name": self.name, **self.state.status_with(self.media_state)}

    def start(self) -> None:
        rounds = [
            self.state.keep_running(self.run_once, every_s=self.poll_s, name="federation"),
            self.media_state.keep_running(self.send_media_once, every_s=self.poll_s, name="federation files"),
        ]
        self.tasks = [asyncio.create_task(job, name="netalarm-federation") for job in rounds]

    async def stop(self) -> None:
        for task in self.tasks:
            await tasks.cancel(task)
        await self.client.aclose()


async def start(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> Sender | None:
    """The running sender (its files read from `storage`) of a server with a superior; None
    without one. A URL without a key (or the reverse), or malformed `NETALARM_FEDERATION_KEYS`,
    is refused at start-up."""
    settings.subordinate_keys()
    if not (settings.superior_url or settings.superior_key):
        return None
    if not (settings.superior_url.startswith(("http://", "https://")) and settings.superior_key):
        raise ValueError(
            "a superior needs both NETALARM_SUPERIOR_URL (http(s)://…) and NETALARM_SUPERIOR_KEY"
        )
    client = httpx.AsyncClient(base_url=settings.superior_url.rstrip("/"), timeout=TIMEOUT_S)
    sender = Sender(
        sessions, client, settings.superior_key, settings.centre, storage, poll_s=settings.federation_poll_s
    )
    sender.start()
    return sender
