"""tus 1.0 resumable uploads at `/api/v1/uploads`: the core protocol plus the creation,
termination, checksum (sha256) and expiration extensions, with the reporter token as bearer.

`Upload-Metadata` carries `alarm_id`, `filename` and optionally `message_id`. The upload id
is also the id of the media file it becomes. Every tus response carries `Tus-Resumable` and
exposes the tus headers to scripts (`Access-Control-Expose-Headers`), so `tus-js-client`
reads `Location` and `Upload-Offset` whether it runs same-origin or behind a proxy.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import format_datetime
from typing import TYPE_CHECKING, ParamSpec

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from netalarm.core.db import transaction
from netalarm.core.errors import DomainError, TooLarge, UnsupportedMedia
from netalarm.core.http import Session, current_reporter, parse_uuid
from netalarm.media import files, uploads
from netalarm.media.models import Upload
from netalarm.media.runtime import MediaDep, MediaRuntime
from netalarm.media.sniff import HEAD_BYTES

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
EXPOSED = (
    "Location, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Tus-Resumable, "
    "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Retry-After"
)
OFFSET_STREAM = "application/offset+octet-stream"


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class VersionMismatch(DomainError):
    status = 412
    code = "tus_version"


class ChecksumMismatch(DomainError):
    status = 460  # tus checksum extension
    code = "checksum_mismatch"


def _headers(**extra: str) -> dict[str, str]:
    return {
        "Tus-Resumable": VERSION,
        "Access-Control-Expose-Headers": EXPOSED,
        "Cache-Control": "no-store",
        **extra,
    }


P = ParamSpec("P")


def tus(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """Refusals keep the tus headers (and `Retry-After` on 429, `Tus-Version` on 412)."""

    @functools.wraps(handler)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except DomainError as exc:
            extra = {}
            if "retry_after_s" in exc.details:
                extra["Retry-After"] = str(exc.details["retry_after_s"])
            if exc.status == 412:
                extra["Tus-Version"] = VERSION
            return JSONResponse(exc.body(), status_code=exc.status, headers=_headers(**extra))

    return wrapped


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != VERSION:
        raise VersionMismatch(f"this server speaks tus {VERSION}", field="Tus-Resumable")


def _int_header(request: Request, name: str) -> int:
    try:
        value = int(request.headers.get(name.lower(), ""))
    except ValueError:
        raise BadRequest(f"{name} must be a non-negative integer", field=name) from None
    if value < 0:
        raise BadRequest(f"{name} must be a non-negative integer", field=name)
    return value


def parse_metadata(header: str) -> dict[str, str]:
    """`key base64value,key2 base64value2,flag` → {key: value}; 400 when malformed."""
    found: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, encoded = pair.partition(" ")
        try:
            found[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(f"metadata {key} is not base64 UTF-8", field="Upload-Metadata") from None
    return found


def _expires(upload: Upload) -> dict[str, str]:
    if upload.status != "uploading":
        return {}
    return {"Upload-Expires": format_datetime(upload.expires_at, usegmt=True)}


@router.options("", include_in_schema=False)
@router.options("/{upload_id}", include_in_schema=False)
async def discover(media: MediaDep) -> Response:
    """What this tus server supports, and its largest file; no token needed."""
    return Response(
        status_code=204,
        headers=_headers(
            **{
                "Tus-Version": VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Checksum-Algorithm": "sha256",
                "Tus-Max-Size": str(media.limits.max_file_bytes),
                "Access-Control-Allow-Methods": "POST, HEAD, PATCH, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, Tus-Resumable, Upload-Length, "
                "Upload-Metadata, Upload-Offset, Upload-Checksum, X-HTTP-Method-Override",
            }
        ),
    )


@router.post("", status_code=201)
@tus
async def create(request: Request, session: Session, media: MediaDep) -> Response:
    """Start an upload (tus creation). Headers: `Upload-Length`, `Upload-Metadata` with
    `alarm_id`, `filename` and optionally `message_id`. Answers 201 with `Location`."""
    _check_version(request)
    reporter = current_reporter(request)
    if "upload-defer-length" in request.headers:
        raise BadRequest("Upload-Defer-Length is not supported; send Upload-Length", field="Upload-Length")
    length = _int_header(request, "Upload-Length")
    header = request.headers.get("upload-metadata", "")
    metadata = parse_metadata(header)
    if "alarm_id" not in metadata:
        raise BadRequest("Upload-Metadata must name the alarm_id", field="alarm_id")
    filename = metadata.get("filename", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not filename or len(filename) > 255:
        raise BadRequest("Upload-Metadata must carry a filename of 1-255 characters", field="filename")
    upload = await uploads.create(
        session,
        media.storage,
        media.limits,
        reporter_id=reporter,
        alarm_id=parse_uuid(metadata["alarm_id"], "alarm_id"),
        filename=filename,
        length=length,
        message_id=parse_uuid(metadata["message_id"], "message_id") if metadata.get("message_id") else None,
        metadata_header=header[:4000],
    )
    await session.commit()
    return Response(
        status_code=201, headers=_headers(Location=f"{router.prefix}/{upload.id}", **_expires(upload))
    )


@router.head("/{upload_id}")
@tus
async def status(upload_id: str, request: Request, session: Session) -> Response:
    """How many bytes are stored (`Upload-Offset`): a client resumes from there."""
    _check_version(request)
    upload = await uploads.get(session, parse_uuid(upload_id, "upload_id"), current_reporter(request))
    offset = upload.length if upload.status == "complete" else upload.offset
    headers = _headers(
        **{"Upload-Offset": str(offset), "Upload-Length": str(upload.length), **_expires(upload)}
    )
    if upload.metadata_header:
        headers["Upload-Metadata"] = upload.metadata_header
    return Response(status_code=200, headers=headers)


@router.post("/{upload_id}", include_in_schema=False)
async def overridden(upload_id: str, request: Request, session: Session, media: MediaDep) -> Response:
    """`X-HTTP-Method-Override` for clients behind proxies that only pass GET and POST."""
    method = request.headers.get("x-http-method-override", "").upper()
    if method == "PATCH":
        return await append(upload_id, request, session, media)
    if method == "DELETE":
        return await terminate(upload_id, request, session, media)
    if method == "HEAD":
        return await status(upload_id, request, session)
    return JSONResponse(
        {"error": {"code": "method_not_allowed", "message": "use PATCH, HEAD or DELETE", "field": None}},
        status_code=405,
        headers=_headers(),
    )


class Incoming:
    """The request body as chunks, counting them, hashing them (for `Upload-Checksum`, and
    into the running hash of the whole file if there is one), stopping at the announced
    length, noticing a dropped connection, and renewing the upload's lease while bytes flow."""

    def __init__(
        self,
        request: Request,
        room: int,
        renew: Callable[[], Awaitable[bool]],
        hashing: bool,
        whole: Hash | None,
        *,
        first: bool,
    ) -> None:
        self.request, self.room, self.renew, self.whole = request, room, renew, whole
        self.digest = hashlib.sha256() if hashing else None
        # The file's leading bytes, kept when this body starts the file: enough to tell its
        # type before the rest is sent.
        self.head = bytearray() if first else None
        self.received = 0
        self.disconnected = self.overflow = self.lease_lost = False

    async def chunks(self) -> AsyncIterator[bytes]:
        renewed = time.monotonic()
        try:
            async for chunk in self.request.stream():
                if not chunk:
                    continue
                if self.received + len(chunk) > self.room:
                    self.overflow = True
                    return
                self.received += len(chunk)
                if self.digest is not None:
                    self.digest.update(chunk)
                if self.whole is not None:
                    self.whole.update(chunk)
                if self.head is not None and len(self.head) < HEAD_BYTES:
                    self.head += chunk[: HEAD_BYTES - len(self.head)]
                yield chunk
                if time.monotonic() - renewed > uploads.LEASE_S / 3:
                    renewed = time.monotonic()
                    if not await self.renew():
                        self.lease_lost = True
                        return
        except ClientDisconnect:
            self.disconnected = True


def _expected_checksum(request: Request) -> bytes | None:
    header = request.headers.get("upload-checksum")
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise BadRequest("Upload-Checksum: only sha256 is supported", field="Upload-Checksum")
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise BadRequest("Upload-Checksum is not base64", field="Upload-Checksum") from None


@router.patch("/{upload_id}", status_code=204)
@tus
async def append(upload_id: str, request: Request, session: Session, media: MediaDep) -> Response:
    """Append the body at `Upload-Offset` (409 if the upload is elsewhere). The bytes go to
    storage as they arrive; if the connection drops, what arrived is kept (unless a checksum
    was announced, which can then not be checked). A PATCH that starts the file and carries
    its first `HEAD_BYTES` already refuses a type that is not accepted (415, upload ended,
    bytes deleted). The PATCH that stores the last byte also checks the file and attaches
    it: 415 / 413 refuse it and delete it."""
    _check_version(request)
    upload = await uploads.get(session, parse_uuid(upload_id, "upload_id"), current_reporter(request))
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_STREAM:
        raise UnsupportedMedia(
            f"Content-Type must be {OFFSET_STREAM}", field="Content-Type", code="bad_content_type"
        )
    offset = _int_header(request, "Upload-Offset")
    expected = _expected_checksum(request)
    room = upload.length - offset
    if "content-length" in request.headers and _int_header(request, "Content-Length") > room:
        raise TooLarge("the body goes past Upload-Length", field="Content-Length")
    token = await uploads.claim(session, upload, offset, media.limits)
    await session.commit()
    before = upload.storage_state
    renew = functools.partial(_renew, media, upload.id, token)
    incoming = Incoming(
        request, room, renew, expected is not None, media.take_hasher(upload.id, offset), first=offset == 0
    )
    try:
        appended = await media.storage.append(str(upload.id), before, offset, incoming.chunks())
    except Exception:
        await media.storage.rollback(str(upload.id), before, before, offset)
        await uploads.advance(session, upload, token, None)
        await session.commit()
        raise
    problem = _problem(incoming, expected)
    if problem is not None and not incoming.lease_lost:
        await media.storage.rollback(str(upload.id), before, appended.state, offset)
    finished = problem is None and appended.offset == upload.length
    # The lease is kept through completion, so the sweeper never completes it a second time.
    await uploads.advance(session, upload, token, None if problem else appended, release=not finished)
    await session.commit()
    if problem is not None:
        raise problem
    await media.storage.settle(before, appended.state)
    if not finished and incoming.head is not None and len(incoming.head) >= HEAD_BYTES:
        # A file of a refused type is refused on its first bytes, not after the reporter has
        # sent all of it over a poor connection.
        try:
            files.accepted_type(bytes(incoming.head))
        except UnsupportedMedia:
            await uploads.end(session, media.storage, upload, "refused")
            await session.commit()
            raise
    if finished:
        whole = incoming.whole.hexdigest() if incoming.whole is not None else None
        await media.complete_or_refuse(session, upload, whole)
    elif incoming.whole is not None:
        media.keep_hasher(upload.id, appended.offset, incoming.whole)
    return Response(
        status_code=204, headers=_headers(**{"Upload-Offset": str(upload.offset), **_expires(upload)})
    )


def _problem(incoming: Incoming, expected: bytes | None) -> DomainError | None:
    if incoming.overflow:
        return TooLarge("the body goes past Upload-Length", field="Content-Length")
    if incoming.lease_lost:
        return DomainError("the upload's lease was lost; resume from its offset", code="lease_lost")
    if expected is not None and (
        incoming.disconnected or incoming.digest is None or incoming.digest.digest() != expected
    ):
        return ChecksumMismatch(
            "the body does not match Upload-Checksum; it was discarded", field="Upload-Checksum"
        )
    return None


async def _renew(media: MediaRuntime, upload_id: uuid.UUID, token: str) -> bool:
    async with transaction(media.sessions) as session:
        return await uploads.renew(session, upload_id, token)


@router.delete("/{upload_id}", status_code=204)
@tus
async def terminate(upload_id: str, request: Request, session: Session, media: MediaDep) -> Response:
    """Abandon an unfinished upload (tus termination): its bytes are deleted."""
    _check_version(request)
    upload = await uploads.get(session, parse_uuid(upload_id, "upload_id"), current_reporter(request))
    await uploads.terminate(session, media.storage, upload)
    await session.commit()
    return Response(status_code=204, headers=_headers())
