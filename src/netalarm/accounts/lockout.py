"""Brute-force protection of seat sign-in: failed attempts counted per username in the
database (so every server process sees the same count), and a lock after too many.

- `max_failures` failed sign-ins in a row lock the username for `lockout_s`; every attempt
  meanwhile is refused with 429, the right password included. A successful sign-in clears
  the count. A failure more than `lockout_s` after the previous one starts a new count, so
  a seat that mistypes now and then over weeks is never locked for it.
- Unknown usernames (and disabled seats, which cannot sign in either) are counted and
  locked exactly like known ones: were they not, the sixth guess at a name would tell
  whether a seat of that name exists (429 for a seat, 401 for nobody). A row per name
  tried is the price; rows whose count has lapsed are deleted as new failures come.
- The lock is per username, not per client address: it stops guessing at one seat's
  password from anywhere, and lets an attacker keep a seat locked out by guessing on
  (an administrator lifts it with `netalarm seat unlock`).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts.models import SignInFailures
from netalarm.core.clock import utcnow
from netalarm.core.db import upsert_insert
from netalarm.core.errors import TooManyRequests

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCKOUT_S = 900.0
# Rows of lapsed counts deleted at most per failed attempt.
SWEEP = 20


def refusal(locked_until: datetime, now: datetime) -> TooManyRequests:
    """The 429 of a locked username: `retry_after_s` (whole seconds, at least 1) becomes the
    answer's `Retry-After`; the message names the minutes to wait."""
    wait_s = max(1, math.ceil((locked_until - now).total_seconds()))
    minutes = math.ceil(wait_s / 60)
    return TooManyRequests(
        f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes != 1 else ''}",
        field="username",
        code="too_many_attempts",
        details={"retry_after_s": wait_s},
    )


async def locked_until(session: AsyncSession, username: str, now: datetime | None = None) -> datetime | None:
    """When the lock on `username` ends, or None if it is not locked."""
    now = now or utcnow()
    until: datetime | None = await session.scalar(
        select(SignInFailures.locked_until).where(
            SignInFailures.username == username, SignInFailures.locked_until > now
        )
    )
    return until


async def record_failure(
    session: AsyncSession, username: str, *, max_failures: int, lockout_s: float, known: bool = True
) -> datetime | None:
    """Count a failed sign-in under `username` (one atomic upsert, so concurrent attempts on
    several processes each count); at the `max_failures`-th in a row, lock the name for
    `lockout_s`, log a warning (`known`: a seat has that name) and return when the lock ends
    (else None). Flushed, not committed."""
    now = utcnow()
    forget_before = now - timedelta(seconds=lockout_s)
    table = SignInFailures.__table__
    # Rows of lapsed counts go, a few at a time; rows another attempt holds are skipped, so
    # two attempts never wait on each other here.
    lapsed = (
        select(SignInFailures.username)
        .where(
            SignInFailures.last_failed_at < forget_before,
            or_(SignInFailures.locked_until.is_(None), SignInFailures.locked_until <= now),
            SignInFailures.username != username,
        )
        .limit(SWEEP)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(SignInFailures).where(SignInFailures.username.in_(lapsed)))
    stmt = upsert_insert(session)(table).values(username=username, failures=1, last_failed_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.username],
        set_={
            "failures": case((table.c.last_failed_at < forget_before, 1), else_=table.c.failures + 1),
            "last_failed_at": now,
        },
    ).returning(table.c.failures)
    failures = int((await session.execute(stmt)).scalar_one())
    if failures < max_failures:
        return None
    until = now + timedelta(seconds=lockout_s)
    await session.execute(
        update(SignInFailures)
        .where(SignInFailures.username == username)
        .values(failures=0, locked_until=until)
    )
    log.warning(
        "sign-in locked for %s %r until %s after %d failed attempts in a row",
        "seat" if known else "unknown username",
        username,
        until.isoformat(timespec="seconds"),
        failures,
    )
    return until


async def clear(session: AsyncSession, username: str) -> bool:
    """Forget the failures and any lock of `username`; True if there was something to forget."""
    result = await session.execute(delete(SignInFailures).where(SignInFailures.username == username))
    return bool(getattr(result, "rowcount", 0))
