"""Short-lived signed links to a report, so a browser can open it in a new tab without the
bearer header: the link names the incident, the seat and an expiry, and carries an HMAC
of the three made with the server's key. A link is worth nothing after `exp`, and only for
that incident and seat (whose visibility is checked again when it is used)."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import uuid

from netalarm.core.errors import Unauthorized


def _mac(key: bytes, incident_id: uuid.UUID, seat_id: uuid.UUID, exp: int) -> str:
    message = f"report:{incident_id}:{seat_id}:{exp}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, incident_id: uuid.UUID, seat_id: uuid.UUID, ttl_s: int) -> dict[str, str]:
    """The query parameters of a link valid for at least `ttl_s` seconds (`exp` is a whole
    second, rounded up: rounded down, a link could die up to a second early)."""
    exp = math.ceil(time.time()) + ttl_s
    return {"seat": str(seat_id), "exp": str(exp), "sig": _mac(key, incident_id, seat_id, exp)}


def check(key: bytes, incident_id: uuid.UUID, seat: str, exp: str, sig: str) -> uuid.UUID:
    """The seat id a valid, unexpired link was made for; `Unauthorized` otherwise."""
    try:
        seat_id, expires = uuid.UUID(seat), int(exp)
    except ValueError as exc:
        raise Unauthorized("not a valid report link", field="sig") from exc
    # Bytes, not text: `compare_digest` refuses a str with non-ASCII characters (a forged sig).
    if not hmac.compare_digest(
        _mac(key, incident_id, seat_id, expires).encode(), sig.encode("utf-8", "replace")
    ):
        raise Unauthorized("not a valid report link", field="sig")
    if expires < time.time():
        raise Unauthorized("the report link has expired; open it again from the console", field="exp")
    return seat_id
