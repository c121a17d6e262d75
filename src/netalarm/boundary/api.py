"""HTTP of the 110 link. On the Internet side, the doors the intranet's puller knocks on
(bearer: the shared link token); on both sides, the link's state for signed-in seats."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from netalarm.boundary import contacts, outside, outside_files
from netalarm.boundary.document import (
    LINK_110,
    AfterMap,
    ForwardIds,
    MediaMap,
    NewsAnswer,
    ProgressBatch,
    ProgressMap,
)
from netalarm.core.http import RuntimeDep, SeatDep, Session, parse_uuid, require_secret
from netalarm.core.settings import Settings
from netalarm.media.api import original_response
from netalarm.media.runtime import MediaDep

router = APIRouter(prefix="/api/v1/link/110", tags=["110 link"])


def _check_link(request: Request, settings: Settings) -> None:
    require_secret(
        request,
        settings.link_token if settings.forwards_to_110 else "",
        who="the 110 link",
        off_code="no_110_link",
        off_message="this server offers no 110 link (an Internet-side server with NETALARM_LINK_TOKEN does)",
    )


@router.get("/forwards")
async def waiting_forwards(
    request: Request, session: Session, rt: RuntimeDep, limit: int = Query(default=50, ge=1, le=500)
) -> dict[str, Any]:
    """Forwards the 110 side has not yet confirmed, oldest first. Each call is the 110 side's
    sign of life (the link's status)."""
    _check_link(request, rt.settings)
    await contacts.called(session, LINK_110)
    forwards = await outside.waiting(session, LINK_110, limit)
    await session.commit()
    return {"forwards": forwards}


@router.post("/forwards/{forward_id}/updates")
async def forward_progress(
    forward_id: str, body: ProgressBatch, request: Request, session: Session, rt: RuntimeDep
) -> dict[str, Any]:
    """The 110 seat's progress on a forwarded incident, recorded on its timeline once per
    entry; `applied_seq` is the last entry recorded (the puller confirms up to it)."""
    _check_link(request, rt.settings)
    applied = await outside.take_progress(session, parse_uuid(forward_id, "forward_id"), body.updates)
    await session.commit()
    return {"applied_seq": applied}


@router.post("/news")
async def forward_news(
    body: AfterMap,
    request: Request,
    session: Session,
    rt: RuntimeDep,
    version: int = Query(default=1, ge=1, description="the news version the 110 side reads"),
) -> dict[str, Any]:
    """Per forward, what happened here after the entry the 110 side has: the reporter's and
    the network seats' messages, the reporter's positions, the network seats finishing the
    case, from `version` 2 texts the reporter's phone sent to the alarm number, and from
    version 3 `unreadable`: the forwards whose news cannot be read here (left out), with why."""
    _check_link(request, rt.settings)
    unreadable: dict[uuid.UUID, str] = {}
    news = await outside.news(session, body.after, target=LINK_110, version=version, unreadable=unreadable)
    if version < 3:
        return ProgressMap(updates=news).model_dump(mode="json")
    return NewsAnswer(updates=news, unreadable=unreadable).model_dump(mode="json")


@router.post("/media")
async def forward_media(
    body: ForwardIds, request: Request, session: Session, rt: RuntimeDep
) -> dict[str, Any]:
    """Per forward, the files of its incident so far (id, name, kind, size, SHA-256): the 110
    side fetches those it lacks."""
    _check_link(request, rt.settings)
    found = await outside_files.media_of(session, body.forwards, target=LINK_110)
    return MediaMap(media=found).model_dump(mode="json")


@router.get("/forwards/{forward_id}/media/{media_id}")
async def forward_media_file(
    forward_id: str, media_id: str, request: Request, session: Session, rt: RuntimeDep, media: MediaDep
) -> StreamingResponse:
    """The original of a file of a forwarded incident, or the part a `Range` header asks for
    (206; where a transfer broke off); its hand-over to 110 is on that incident's timeline."""
    _check_link(request, rt.settings)
    found, wanted = await outside_files.hand_over_file(
        session,
        parse_uuid(forward_id, "forward_id"),
        parse_uuid(media_id, "media_id"),
        target=LINK_110,
        range_header=request.headers.get("range"),
    )
    await session.commit()
    return original_response(media.storage, found, wanted)


@router.get("/status")
async def link_status(request: Request, session: Session, rt: RuntimeDep, seat: SeatDep) -> dict[str, Any]:
    """Whether this server has a 110 link, and its state: on the Internet side how many
    forwards wait for the 110 side to take them and since when the oldest, when the 110 side
    last called (`silent_for_s` ago), and whether it is `down` (silent for more than
    `down_after_s`, `NETALARM_LINK_DOWN_S`); on the intranet side when the puller last reached
    the Internet side, the last error, its kind and since when the rounds fail."""
    settings = rt.settings
    if settings.role == "internet":
        if not settings.forwards_to_110:
            return {"role": "internet", "enabled": False, "waiting": 0}
        state = await contacts.state(session, LINK_110, down_after_s=settings.link_down_s)
        return {"role": "internet", "enabled": True, **state}
    puller = getattr(request.app.state, "link", None)
    state = puller.status() if puller else {"last_contact_at": None, "last_error": None}
    return {"role": "intranet", "enabled": puller is not None, **state}
