"""The intranet side's puller: the only thing that crosses the boundary, always outwards.

Every `poll_s` it asks the Internet-side server for forwards waiting for 110, makes each an
incident here (one transaction per forward; a forward it already has is skipped), then sends
back the progress of every forwarded incident not yet confirmed, and marks what the Internet
side confirmed; last it fetches what happened outside to the forwarded cases still open here
(the reporter's messages and positions, the network seats' messages). A failure (the link
down, the other side refusing) is logged and kept as the link's status, with since when; the
next round tries again, so nothing is lost while the link is down. The other side refusing one
case's progress holds up neither the other cases' progress nor the news. The cases' files come
over beside it, in rounds of their own (`fetcher`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import inside, peer
from netalarm.boundary.document import (
    ACTORS,
    LINK_110,
    NETWORK,
    NEWS_VERSION,
    AfterMap,
    Forward,
    Progress,
    ProgressBatch,
    pages,
)
from netalarm.boundary.fetcher import Fetcher
from netalarm.core import tasks
from netalarm.core.db import transaction
from netalarm.core.settings import Settings
from netalarm.media.storage import Storage
from netalarm.routing import service as routing_service

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
LINK = "/api/v1/link/110"
FORWARDS = f"{LINK}/forwards"


# One case's news, as it comes over.
NEWS: Final = TypeAdapter(list[Progress])


@dataclass(frozen=True)
class Held:
    """A case a round could not carry: its `progress` (sent back) or its `news` (taken here)."""

    what: str
    forward_id: uuid.UUID
    error: peer.PeerError


def _by_forward(answered: object) -> dict[uuid.UUID, object]:
    """A map of the answer keyed by forward id; a key that is none is logged and left out."""
    found: dict[uuid.UUID, object] = {}
    for key, value in (answered if isinstance(answered, dict) else {}).items():
        try:
            found[uuid.UUID(str(key))] = value
        except ValueError:
            log.error("110 link: the answer names %r, which is no forward id", key)
    return found


@dataclass
class Puller:
    sessions: async_sessionmaker[AsyncSession]
    client: httpx.AsyncClient
    centre: str
    timezone: str
    poll_s: float = 1.0
    state: peer.PeerState = field(default_factory=peer.PeerState)
    fetcher: Fetcher | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list, repr=False)

    async def run_once(self) -> tuple[int, int]:
        """One round: (incidents made from new forwards, progress entries confirmed). A case
        this round could not carry (its progress refused by the other side, its news refused
        or unreadable there, or failing to be taken here) holds up no other case: the round
        carries the rest, then fails naming how many cases and the first (the link's status)."""
        made = 0
        for document in await self._get(FORWARDS):
            if await self._receive(document):
                made += 1
        async with transaction(self.sessions) as session:
            pending = await inside.unsent(session)
        sent = 0
        held: list[Held] = []
        for forward_id, updates in pending.items():
            body = ProgressBatch(updates=updates).model_dump(mode="json")
            try:
                answer = await self._post(f"{FORWARDS}/{forward_id}/updates", body)
            except peer.PeerError as exc:
                if exc.kind != peer.REFUSED:
                    raise
                # Kept here, tried again next round.
                held.append(Held("progress", forward_id, exc))
                continue
            async with transaction(self.sessions) as session:
                await inside.confirm(session, forward_id, int(answer["applied_seq"]))
            sent += len(updates)
        held += await self._news()
        if held:
            raise await self._held_up(held)
        return made, sent

    async def _news(self) -> list[Held]:
        """What happened outside to the forwarded cases still open here: messages, positions;
        asked for in pages (a disaster day follows more cases than one request may name).
        Returns the cases whose news could not be had or taken, each logged; their news is
        asked for again next round."""
        async with transaction(self.sessions) as session:
            after = await inside.following(session, NETWORK)
        held: list[Held] = []
        for page in pages(after):
            asked = AfterMap(after=page).model_dump(mode="json")
            answer = await self._post(f"{LINK}/news?version={NEWS_VERSION}", asked)
            for forward_id, why in _by_forward(answer.get("unreadable")).items():
                log.error("110 link: the other side cannot read the news of forward %s: %s", forward_id, why)
                held.append(Held("news", forward_id, peer.PeerError(str(why), kind=peer.REFUSED)))
            for forward_id, news in _by_forward(answer.get("updates")).items():
                failure = await self._take_news(forward_id, news)
                if failure is not None:
                    held.append(Held("news", forward_id, failure))
        return held

    async def _take_news(self, forward_id: uuid.UUID, news: object) -> peer.PeerError | None:
        """Record one case's news (in a transaction of its own); why not, if it could not be."""
        try:
            updates = NEWS.validate_python(news)
            async with transaction(self.sessions) as session:
                await inside.take_news(session, forward_id, updates, source=NETWORK, actor=ACTORS[LINK_110])
        except Exception as exc:  # one case's news that cannot be taken holds up no other case's
            log.exception("110 link: the news of forward %s could not be taken", forward_id)
            return peer.PeerError(f"{type(exc).__name__}: {exc}", kind=peer.FAILED)
        return None

    async def _held_up(self, held: list[Held]) -> peer.PeerError:
        """One error saying which cases this round could not carry: per what (progress, news)
        how many, and the first by its network case number; refused (with the other side's
        status) if the other side refused any, else failed here."""
        async with transaction(self.sessions) as session:
            numbers = await inside.source_case_numbers(session, {h.forward_id for h in held})
        parts = []
        for what in ("progress", "news"):
            for refused, said in ((True, "was refused"), (False, "could not be taken")):
                cases = [h for h in held if h.what == what and (h.error.kind == peer.REFUSED) == refused]
                if cases:
                    first = cases[0]
                    case = numbers.get(first.forward_id, str(first.forward_id))
                    parts.append(
                        f"the {what} of {len(cases)} case(s) {said}, first: case {case}: {first.error}"
                    )
        refusals = [h.error for h in held if h.error.kind == peer.REFUSED]
        if refusals:
            return peer.PeerError("; ".join(parts), kind=peer.REFUSED, status=refusals[0].status)
        return peer.PeerError("; ".join(parts), kind=peer.FAILED)

    async def _receive(self, document: dict[str, Any]) -> bool:
        try:
            forward = Forward.model_validate(document)
        except ValidationError as exc:  # one bad forward must not hold up the others
            log.error("110 link: a forward could not be read: %s", exc)
            return False
        async with transaction(self.sessions) as session:
            root = await routing_service.root(session, self.centre or None)
            received = await inside.receive(session, forward, root=root, timezone=self.timezone)
        return received.created

    async def _get(self, path: str) -> list[dict[str, Any]]:
        forwards: list[dict[str, Any]] = (await self._call("GET", path))["forwards"]
        return forwards

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", path, body)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return await peer.call(self.client, method, path, json=body, who="the Internet-side server")

    def status(self) -> dict[str, Any]:
        return self.state.status_with(self.fetcher.state if self.fetcher is not None else None)

    def start(self) -> None:
        rounds = [self.state.keep_running(self.run_once, every_s=self.poll_s, name="110 link")]
        if self.fetcher is not None:
            fetcher = self.fetcher
            rounds.append(
                fetcher.state.keep_running(fetcher.run_once, every_s=self.poll_s, name="110 link files")
            )
        self.tasks = [asyncio.create_task(job, name="netalarm-110-link") for job in rounds]

    async def stop(self) -> None:
        for task in self.tasks:
            await tasks.cancel(task)
        await self.client.aclose()


async def start(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], storage: Storage
) -> Puller | None:
    """The running puller (and file fetcher, into `storage`) of an intranet server with a link
    configured; None otherwise. An intranet server with a token but no URL (or the reverse)
    is refused at start-up."""
    if settings.role != "intranet" or not (settings.link_url or settings.link_token):
        return None
    if not (settings.link_url.startswith(("http://", "https://")) and settings.link_token):
        raise ValueError("the 110 link needs both NETALARM_LINK_URL (http(s)://…) and NETALARM_LINK_TOKEN")
    client = httpx.AsyncClient(
        base_url=settings.link_url.rstrip("/"),
        headers={"Authorization": f"Bearer {settings.link_token}"},
        timeout=TIMEOUT_S,
    )
    puller = Puller(
        sessions,
        client,
        settings.centre,
        settings.timezone,
        poll_s=settings.link_poll_s,
        fetcher=Fetcher(sessions, client, storage, LINK),
    )
    puller.start()
    return puller
