"""Signed federation messages: HMAC-SHA256 over the method, path, time and body hash, with the
key the subordinate and its superior share. A message more than `MAX_SKEW_S` old (or ahead)
is refused, so a captured one cannot be replayed later; a replay within that window changes
nothing, as every federation message is idempotent."""

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


def signature(key: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def headers(
    name: str, key: str, method: str, path: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The headers that sign `body`, sent by `name` to `path`."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        SENDER: name,
        TIMESTAMP: timestamp,
        SIGNATURE: signature(key, method, path, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    keys: dict[str, str],
    given: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> str:
    """The sender of a correctly signed, fresh message; 401 otherwise (naming what is wrong)."""
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
    if not hmac.compare_digest(signature(key, method, path, timestamp, body), signed):
        raise Unauthorized("the signature does not match", field=SIGNATURE)
    return name
