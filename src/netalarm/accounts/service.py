"""Seats, sign-in, seat tokens, reporters and reporter tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import lockout
from netalarm.accounts.models import SEAT_ROLES, Reporter, Seat, SeatToken, SignInFailures
from netalarm.accounts.validation import normalise_id_number, normalise_phone
from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from netalarm.core.ids import uuid7
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre

_hasher = PasswordHasher()
# Verifying against this keeps the time of a wrong-username attempt equal to a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class SeatIdentity:
    """Who is acting: the seat and the centre whose subtree it may see."""

    seat_id: uuid.UUID
    username: str
    role: str
    centre_id: uuid.UUID
    centre_code: str

    @property
    def actor(self) -> str:
        return f"seat:{self.username}"


def actor_name(actor: str) -> str:
    """The name in an actor (`seat:futian.net` → `futian.net`); an actor of no kind is its name."""
    return actor.partition(":")[2] or actor


PASSWORD_MIN = 8
PASSWORD_MAX = 200  # what sign-in accepts (`accounts.api.LoginIn`)


def check_password(password: str) -> None:
    """A seat's password is 8 to 200 characters; `Invalid` naming `password` otherwise."""
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"password must have at least {PASSWORD_MIN} characters", field="password")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"password must have at most {PASSWORD_MAX} characters", field="password")


async def add_seat(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    centre_code: str,
    role: str,
    display_name: str = "",
) -> Seat:
    if role not in SEAT_ROLES:
        raise Invalid(f"role must be one of {', '.join(SEAT_ROLES)}", field="role")
    check_password(password)
    if not username or len(username) > 64:
        raise Invalid("username must be 1-64 characters", field="username")
    if await session.scalar(select(Seat.id).where(Seat.username == username)):
        raise Conflict(f"seat {username} exists", field="username")
    centre = await routing_service.get_by_code(session, centre_code)
    seat = Seat(
        username=username,
        password_hash=_hasher.hash(password),
        role=role,
        centre_id=centre.id,
        display_name=display_name or username,
    )
    session.add(seat)
    await session.flush()
    return seat


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Roles that do not work on a server of a role: 110 seats work inside the intranet, network
# seats on the Internet side; supervisors and administrators on both.
WRONG_SERVER: dict[str, tuple[str, ...]] = {"internet": ("110",), "intranet": ("network",)}


async def login(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    ttl_s: int,
    max_failures: int = lockout.MAX_FAILURES,
    lockout_s: float = lockout.LOCKOUT_S,
    server_role: str | None = None,
) -> tuple[str, Seat, Centre]:
    """Check the password and issue a bearer token; one message for every failure, whether
    the username is unknown, the seat disabled or the password wrong (an unknown name costs
    the same password check, against `_DUMMY_HASH`). A seat whose role does not work on a
    server of `server_role` (`WRONG_SERVER`) is refused with 403 `wrong_server` once its
    password has held. A username locked after `max_failures`
    failures in a row is refused with `TooManyRequests` (429, `too_many_attempts`) for
    `lockout_s`, right password or not; unknown names are counted and locked alike (see
    `accounts.lockout`). A refusal has flushed the failure count: the caller commits it
    before answering, or the next guess would not know of this one."""
    now = utcnow()
    until = await lockout.locked_until(session, username, now)
    if until is not None:
        raise lockout.refusal(until, now)
    seat = await session.scalar(select(Seat).where(Seat.username == username, Seat.active.is_(True)))
    known = seat is not None
    try:
        _hasher.verify(seat.password_hash if seat else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        seat = None
    if seat is None:
        until = await lockout.record_failure(
            session, username, max_failures=max_failures, lockout_s=lockout_s, known=known
        )
        if until is not None:
            raise lockout.refusal(until, utcnow())
        raise Unauthorized("wrong username or password", field="password")
    await lockout.clear(session, username)
    if server_role is not None and seat.role in WRONG_SERVER.get(server_role, ()):
        # Told only after the password held: a guesser learns nothing of the seat from it.
        raise Forbidden(
            f"a {seat.role} seat does not sign in on the {server_role} server",
            field="username",
            code="wrong_server",
        )
    token = secrets.token_urlsafe(32)
    session.add(
        SeatToken(
            token_hash=_token_hash(token), seat_id=seat.id, expires_at=utcnow() + timedelta(seconds=ttl_s)
        )
    )
    await session.flush()
    return token, seat, await routing_service.get(session, seat.centre_id)


# A console polls at least every 30 s (its keep-alive): unseen for longer than this, it is gone.
PRESENCE_S = 90.0


def console_present(now: datetime) -> ColumnElement[bool]:
    """Whether a seat token's console is there at `now`: seen (or signed in) within
    `PRESENCE_S`. The one rule for the supervisor's overview, the metrics and the queue."""
    return func.coalesce(SeatToken.seen_at, SeatToken.created_at) > now - timedelta(seconds=PRESENCE_S)


async def present_usernames(session: AsyncSession, usernames: set[str]) -> set[str]:
    """Those of `usernames` whose seat has a live token with its console there now."""
    if not usernames:
        return set()
    now = utcnow()
    rows = await session.scalars(
        select(Seat.username)
        .join(SeatToken, SeatToken.seat_id == Seat.id)
        .where(Seat.username.in_(usernames), SeatToken.expires_at > now, console_present(now))
        .distinct()
    )
    return set(rows)


async def centre_staffed(session: AsyncSession, centre_id: uuid.UUID) -> bool:
    """Whether an active seat of this very centre has its console there now
    (`console_present`): someone is at the centre's desks, however busy."""
    now = utcnow()
    found = await session.scalar(
        select(Seat.id)
        .join(SeatToken, SeatToken.seat_id == Seat.id)
        .where(
            Seat.centre_id == centre_id,
            Seat.active.is_(True),
            SeatToken.expires_at > now,
            console_present(now),
        )
        .limit(1)
    )
    return found is not None


# A token's `last_used_at` is written at most this often, so a busy console does not turn
# every request into a write.
TOUCH_EVERY_S = 15.0


async def seat_from_token(
    session: AsyncSession, token: str, *, idle_timeout_s: float | None = None, activity: bool = False
) -> SeatIdentity:
    """The seat a valid token belongs to; `Unauthorized` for an unknown or expired token, or
    one whose seat has not acted for `idle_timeout_s` (None: no idle limit). With `activity`,
    the use counts as the seat acting: `last_used_at` moves to now (flushed, at most every
    `TOUCH_EVERY_S` or a quarter of the idle limit; the caller commits). Any use, background
    polls too, moves `seen_at` (at most every `TOUCH_EVERY_S`): the console is there."""
    now = utcnow()
    row = await session.execute(
        select(Seat, Centre.code, SeatToken)
        .join(SeatToken, SeatToken.seat_id == Seat.id)
        .join(Centre, Centre.id == Seat.centre_id)
        .where(SeatToken.token_hash == _token_hash(token), SeatToken.expires_at > now, Seat.active.is_(True))
    )
    found = row.first()
    if found is None:
        raise Unauthorized("missing, expired or unknown seat token")
    seat, code, seat_token = found
    last = seat_token.last_used_at or seat_token.created_at
    if idle_timeout_s is not None and (now - last).total_seconds() > idle_timeout_s:
        raise Unauthorized("the seat session expired after inactivity", code="session_idle")
    every = min(TOUCH_EVERY_S, idle_timeout_s / 4) if idle_timeout_s else TOUCH_EVERY_S
    acted = activity and (now - last).total_seconds() >= every
    seen = (now - (seat_token.seen_at or seat_token.created_at)).total_seconds() >= TOUCH_EVERY_S
    if acted:
        seat_token.last_used_at = now
    if seen:
        seat_token.seen_at = now
    if acted or seen:
        await session.flush()
    return SeatIdentity(seat.id, seat.username, seat.role, seat.centre_id, code)


async def token_valid(session: AsyncSession, token: str, *, idle_timeout_s: float | None = None) -> bool:
    """Whether `token` still signs its seat in (issued, not expired, the seat active, and
    with `idle_timeout_s` not idle for longer), read only: the check a long-lived connection
    repeats. The check itself is not the seat acting."""
    now = utcnow()
    query = (
        select(SeatToken.seat_id)
        .join(Seat, Seat.id == SeatToken.seat_id)
        .where(SeatToken.token_hash == _token_hash(token), SeatToken.expires_at > now, Seat.active.is_(True))
    )
    if idle_timeout_s is not None:
        since = now - timedelta(seconds=idle_timeout_s)
        query = query.where(or_(SeatToken.last_used_at >= since, SeatToken.created_at >= since))
    return await session.scalar(query) is not None


async def seat_identity(session: AsyncSession, seat_id: uuid.UUID) -> SeatIdentity:
    """The identity of an active seat by id; `Unauthorized` if it is unknown or disabled."""
    row = (
        await session.execute(
            select(Seat, Centre.code)
            .join(Centre, Centre.id == Seat.centre_id)
            .where(Seat.id == seat_id, Seat.active.is_(True))
        )
    ).first()
    if row is None:
        raise Unauthorized("unknown or disabled seat")
    seat, code = row
    return SeatIdentity(seat.id, seat.username, seat.role, seat.centre_id, code)


async def logout(session: AsyncSession, token: str) -> None:
    found = await session.get(SeatToken, _token_hash(token))
    if found is not None:
        await session.delete(found)


# Seat accounts as an administrator manages them (`netalarm seat …`). Each function finds the
# seat by username (`NotFound` naming `username` if there is none) and flushes; the caller commits.


@dataclass(frozen=True)
class SeatListing:
    username: str
    role: str
    centre: str
    active: bool
    locked_until: datetime | None


async def _seat_named(session: AsyncSession, username: str) -> Seat:
    seat = await session.scalar(select(Seat).where(Seat.username == username))
    if seat is None:
        raise NotFound(f"no seat {username}", field="username")
    return seat


async def _sign_out_everywhere(session: AsyncSession, seat: Seat) -> int:
    """Delete every token of `seat`: each console of it is refused at its next request
    (and its push connection at its next token check). Returns how many there were."""
    result = await session.execute(delete(SeatToken).where(SeatToken.seat_id == seat.id))
    return int(getattr(result, "rowcount", 0) or 0)


async def disable_seat(session: AsyncSession, *, username: str) -> int:
    """The seat can no longer sign in, and is signed out everywhere now; returns how many
    tokens (signed-in consoles or clients) that ended. Disabling a disabled seat is no error."""
    seat = await _seat_named(session, username)
    seat.active = False
    ended = await _sign_out_everywhere(session, seat)
    await session.flush()
    return ended


async def enable_seat(session: AsyncSession, *, username: str) -> None:
    """The seat may sign in again (with its password as it was)."""
    seat = await _seat_named(session, username)
    seat.active = True
    await session.flush()


async def set_password(session: AsyncSession, *, username: str, password: str) -> int:
    """A new password (the rules of `add_seat`); every token of the seat ends and any lock on
    its name is lifted. Returns how many tokens ended."""
    check_password(password)
    seat = await _seat_named(session, username)
    seat.password_hash = _hasher.hash(password)
    ended = await _sign_out_everywhere(session, seat)
    await lockout.clear(session, username)
    await session.flush()
    return ended


async def unlock_seat(session: AsyncSession, *, username: str) -> bool:
    """Lift the lock after failed sign-ins and forget the count; False if it was not locked."""
    await _seat_named(session, username)
    was_locked = await lockout.locked_until(session, username) is not None
    await lockout.clear(session, username)
    return was_locked


async def list_seats(session: AsyncSession) -> list[SeatListing]:
    """Every seat by username, with its centre's code and, while locked, when the lock ends."""
    now = utcnow()
    rows = await session.execute(
        select(Seat.username, Seat.role, Centre.code, Seat.active, SignInFailures.locked_until)
        .join(Centre, Centre.id == Seat.centre_id)
        .outerjoin(
            SignInFailures,
            (SignInFailures.username == Seat.username) & (SignInFailures.locked_until > now),
        )
        .order_by(Seat.username)
    )
    return [SeatListing(*row) for row in rows]


def identity_from_seat(seat: Seat, centre: Centre) -> SeatIdentity:
    return SeatIdentity(seat.id, seat.username, seat.role, centre.id, centre.code)


# Reporter tokens are `<reporter id>.<HMAC>`: nothing is stored, and an idempotent retry of
# an intake can hand back the very token the first answer carried.


def reporter_token(reporter_id: uuid.UUID, key: bytes) -> str:
    mac = hmac.new(key, b"reporter:" + reporter_id.bytes, hashlib.sha256).digest()
    return f"{reporter_id.hex}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def reporter_id_from_token(token: str, key: bytes) -> uuid.UUID:
    """The reporter a token was issued to; `Unauthorized` if it was not issued by this key."""
    try:
        reporter_id = uuid.UUID(hex=token.split(".", 1)[0])
    except ValueError as exc:
        raise Unauthorized("not a reporter token") from exc
    if not hmac.compare_digest(reporter_token(reporter_id, key), token):
        raise Unauthorized("not a reporter token")
    return reporter_id


def reporter_row(
    *,
    name: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The row of a new reporter with checked, normalised identity (for `core.db.insert_tables`);
    raises `Invalid` naming the field for a bad phone or ID number."""
    return {
        "id": uuid7(),
        "name": name.strip() if name else None,
        "phone": normalise_phone(phone) if phone else None,
        "id_number": normalise_id_number(id_number) if id_number else None,
        "language": language,
        "created_at": utcnow(),
    }


def reporter_identity(reporter: Reporter) -> dict[str, str | None]:
    return {
        "name": reporter.name,
        "phone": reporter.phone,
        "id_number": reporter.id_number,
        "language": reporter.language,
    }
