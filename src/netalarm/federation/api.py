"""Federation HTTP: on a superior, the doors its subordinates knock on, each message signed
with that subordinate's key (`NETALARM_FEDERATION_KEYS`); on a subordinate, the state of its
link to the superior, for seats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.requests import ClientDisconnect

from netalarm.boundary import inside, inside_files, outside
from netalarm.boundary.document import ACTORS, SUPERIOR, AfterMap, Forward, MediaMap, ProgressMap, RemoteMedia
from netalarm.core.errors import Forbidden, Invalid
from netalarm.core.http import RuntimeDep, SeatDep, Session, parse_uuid
from netalarm.federation import incoming, signing
from netalarm.federation import service as federation_service
from netalarm.media.runtime import MediaDep
from netalarm.routing import service as routing_service

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])


def _partials(request: Request) -> incoming.Partials:
    held: incoming.Partials = request.app.state.partials
    return held


PartialsDep = Annotated[incoming.Partials, Depends(_partials)]


def _keys(rt: RuntimeDep) -> dict[str, str]:
    keys = rt.settings.subordinate_keys()
    if not keys:
        raise Forbidden(
            "this server accepts no subordinates (NETALARM_FEDERATION_KEYS)", code="no_federation"
        )
    return keys


def _signed_path(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


async def _signed(request: Request, rt: RuntimeDep) -> tuple[str, bytes]:
    keys = _keys(rt)
    body = await request.body()
    sender = signing.verify(keys, request.headers, request.method, _signed_path(request), body)
    return sender, body


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], body: bytes) -> M:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise Invalid(f"{field or 'body'}: {first['msg']}", field=field) from exc


@router.post("/escalations", status_code=201)
async def receive_escalation(request: Request, session: Session, rt: RuntimeDep) -> Any:
    """A subordinate's incident, handed up: made an incident here once (201); the same
    escalation again gets the same answer (200)."""
    sender, body = await _signed(request, rt)
    forward = _parse(Forward, body)

    async def receive() -> inside.Received:
        root = await routing_service.root(session, rt.settings.centre or None)
        return await inside.receive(
            session,
            forward,
            root=root,
            timezone=rt.settings.timezone,
            source=sender,
            first_type="escalated_in",
            actor=ACTORS[SUPERIOR],
        )

    try:
        received = await receive()
        await session.commit()
    except IntegrityError:  # the same escalation, sent at once by another of its processes
        await session.rollback()
        received = await receive()
    answer = {"incident_id": str(received.incident_id), "case_number": received.case_number}
    return JSONResponse(answer, status_code=201 if received.created else 200)


@router.post("/progress")
async def escalation_progress(request: Request, session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """What happened here to the sender's escalations after the entries it has."""
    sender, body = await _signed(request, rt)
    ask = _parse(AfterMap, body)
    found = await inside.progress(session, ask.after, source=sender)
    return ProgressMap(updates=found).model_dump(mode="json")


@router.post("/news")
async def escalation_news(request: Request, session: Session, rt: RuntimeDep) -> dict[str, Any]:
    """What happened at the sender to its escalations since it last said: the reporter's and
    its seats' messages, the reporter's positions; recorded once each. `applied` is, per
    escalation, the last entry recorded (404 for one this sender did not send)."""
    sender, body = await _signed(request, rt)
    batch = _parse(ProgressMap, body)
    applied: dict[str, int] = {}
    for forward_id, updates in batch.updates.items():
        applied[str(forward_id)] = await inside.take_news(
            session, forward_id, updates, source=sender, actor=ACTORS[SUPERIOR]
        )
    await session.commit()
    return {"applied": applied}


@router.post("/media/wanted")
async def wanted_media(
    request: Request, session: Session, rt: RuntimeDep, partials: PartialsDep
) -> dict[str, Any]:
    """Of the files the sender lists per escalation (id, name, kind, size, SHA-256), those this
    server wants sent: its case is open, and it has neither got nor refused the file; and, in
    `offsets`, how many bytes of each this process holds from a transfer that broke off (the
    sender sends the rest)."""
    sender, body = await _signed(request, rt)
    listed = _parse(MediaMap, body)
    wanted = await inside_files.wanted_media(session, listed.media, source=sender)
    wanted_files = {f: [m for m in listed.media[f] if m.id in ids] for f, ids in wanted.items()}
    return {
        "wanted": {str(forward_id): [str(i) for i in ids] for forward_id, ids in wanted.items()},
        "offsets": {str(i): n for i, n in partials.offsets(sender, wanted_files).items()},
    }


@router.put("/escalations/{forward_id}/media/{media_id}", status_code=201)
async def receive_media(
    forward_id: str,
    media_id: str,
    request: Request,
    session: Session,
    rt: RuntimeDep,
    media: MediaDep,
    partials: PartialsDep,
    filename: str = Query(max_length=255),
    kind: str = Query(max_length=8),
    size: int = Query(ge=0),
    message_id: str | None = Query(default=None, max_length=36),
    offset: int = Query(default=0, ge=0),
) -> Any:
    """One file of an escalated case, signed by its SHA-256 (`X-Netalarm-Body-SHA256`); the body
    is its bytes from `offset` on (0: all of it; more: the rest of a transfer that broke off,
    from as many bytes as this server said it holds). `message_id`: the chat message it was
    sent with below. Kept if the whole bytes have that hash and pass this server's checks
    (type by content, full decode): attached to the case (201; 200 if it was here already). A
    body that ends early is held: 422 `incomplete` with the `offset` to go on from. An `offset`
    other than the bytes held is 409 `offset_mismatch` with the `offset` held (422 past the
    file's end). A file that fails the checks, or whose bytes are whole but not the ones
    signed, is refused and said on the case (415 or 422) and not asked for again."""
    sha256 = request.headers.get(signing.BODY_SHA256, "")
    sender = signing.verify_digest(_keys(rt), request.headers, "PUT", _signed_path(request), sha256)
    try:
        remote = RemoteMedia(
            id=parse_uuid(media_id, "media_id"),
            filename=filename,
            kind=kind,
            size=size,
            sha256=sha256,
            message_id=parse_uuid(message_id, "message_id") if message_id else None,
        )
    except ValidationError as exc:
        raise Invalid(
            f"{signing.BODY_SHA256} must be the body's SHA-256 in hex", field=signing.BODY_SHA256
        ) from exc
    forward = parse_uuid(forward_id, "forward_id")
    try:
        made = await incoming.receive(
            session,
            media.storage,
            partials,
            forward,
            remote,
            _until_cut(request),
            offset=offset,
            source=sender,
            actor=ACTORS[SUPERIOR],
        )
    except incoming.Refused as refused:
        await session.commit()  # the refusal is on the case
        raise refused.error from refused
    await session.commit()
    return JSONResponse({"media_id": str(remote.id), "created": made}, status_code=201 if made else 200)


async def _until_cut(request: Request) -> AsyncIterator[bytes]:
    """The request's body, ending (not raising) where the sender's connection broke off, so
    what arrived is held for the rest."""
    try:
        async for block in request.stream():
            yield block
    except ClientDisconnect:
        return


@router.get("/status")
async def federation_status(
    request: Request, session: Session, rt: RuntimeDep, seat: SeatDep
) -> dict[str, Any]:
    """For seats: whether this server has a superior, how many escalations wait for it to take
    them, and when the sender last reached it (and the last error)."""
    sender = getattr(request.app.state, "federation", None)
    if sender is None:
        return {"superior": False}
    waiting = await outside.waiting_count(session, federation_service.TARGET)
    return {"superior": True, "waiting": waiting, **sender.status()}
