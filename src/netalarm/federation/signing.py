"""Signed federation messages: HMAC-SHA256 over the method, path (with its query), time and
body hash, with the key the subordinate and its superior share. A message more than
`MAX_SKEW_S` old (or ahead) is refused, so a captured one cannot be replayed later; a replay
within that window changes nothing, as every federation message is idempotent."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from netalarm.core.errors import Unauthorized

MAX_SKEW_S = 300
SENDER = "X-Netalarm-Sender"
TIMESTAMP = "X-Netalarm-Timestamp"
SIGNATURE = "X-Netalarm-Signature"
# A streamed body (a file) is signed by its SHA-256, sent beside it.
BODY_SHA256 = "X-Netalarm-Body-SHA256"


def signature(key: str, method: str, path: str, timestamp: str, body_sha256: str) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{body_sha256}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def headers(
    name: str,
    key: str,
    method: str,
    path: str,
    body: bytes = b"",
    now: float | None = None,
    *,
    body_sha256: str | None = None,
) -> dict[str, str]:
    """The headers that sign `body` (or a body with the SHA-256 `body_sha256`, sent as a
    stream: a file), sent by `name` to `path` (its query included, if any)."""
    timestamp = str(int(now if now is not None else time.time()))
    digest = body_sha256 if body_sha256 is not None else hashlib.sha256(body).hexdigest()
    signed = {SENDER: name, TIMESTAMP: timestamp, SIGNATURE: signature(key, method, path, timestamp, digest)}
    if body_sha256 is not None:
        return {**signed, BODY_SHA256: body_sha256, "Content-Type": "application/octet-stream"}
    return {**signed, "Content-Type": "application/json"}


def verify(
    keys: dict[str, str],
    given: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> str:
    """The sender of a correctly signed, fresh message; 401 otherwise (naming what is wrong)."""
    return verify_digest(keys, given, method, path, hashlib.sha256(body).hexdigest(), now)


def verify_digest(
    keys: dict[str, str],
    given: Mapping[str, str],
    method: str,
    path: str,
    body_sha256: str,
    now: float | None = None,
) -> str:
    """As `verify`, for a body not read yet whose SHA-256 is claimed to be `body_sha256`: the
    caller must check that the body it then reads has that hash."""
    name, timestamp, signed = given.get(SENDER, ""), given.get(TIMESTAMP, ""), given.get(SIGNATURE, "")
    key = keys.get(name)
    if key is None:
        raise Unauthorized(f"unknown sender {name!r}", field=SENDER)
    if (
        not timestamp.isdigit()
        or abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_S
    ):
        raise Unauthorized(
            f"the message's time is missing or off by more than {MAX_SKEW_S} s", field=TIMESTAMP
        )
    if not hmac.compare_digest(signature(key, method, path, timestamp, body_sha256), signed):
        raise Unauthorized("the signature does not match", field=SIGNATURE)
    return name
