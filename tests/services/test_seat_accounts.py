"""Seat sign-in under guessing (a lock after failures in a row, shared through the database)
and seat accounts as an administrator manages them (disable, enable, new password, unlock,
list). Both back ends."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.accounts import lockout
from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import SeatToken, SignInFailures
from netalarm.core.clock import utcnow
from netalarm.core.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from tests.support import factories

PASSWORD = "password-1"  # the factories' seats
LOCKOUT_S = 900


async def sign_in(session: AsyncSession, username: str, password: str) -> str:
    token, _, _ = await accounts_service.login(
        session, username=username, password=password, ttl_s=600, max_failures=5, lockout_s=LOCKOUT_S
    )
    return token


async def fail(session: AsyncSession, username: str, times: int) -> list[str]:
    """`times` wrong passwords; the error code of each answer."""
    codes = []
    for _ in range(times):
        with pytest.raises((Unauthorized, TooManyRequests)) as refused:
            await sign_in(session, username, "not the password")
        codes.append(refused.value.code)
    return codes


async def test_five_wrong_passwords_in_a_row_lock_the_seat_even_against_the_right_one(
    session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    with caplog.at_level(logging.WARNING, logger="netalarm.accounts.lockout"):
        assert await fail(session, name, 5) == ["unauthorized"] * 4 + ["too_many_attempts"]
    with pytest.raises(TooManyRequests) as locked:
        await sign_in(session, name, PASSWORD)
    assert locked.value.status == 429 and locked.value.code == "too_many_attempts"
    assert locked.value.field == "username"
    assert LOCKOUT_S - 5 <= int(str(locked.value.details["retry_after_s"])) <= LOCKOUT_S
    assert locked.value.message == "too many failed sign-ins: try again in 15 minutes"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"seat '{name}'" in warning.getMessage() and "5 failed attempts" in warning.getMessage()
    # Other seats are not affected.
    assert await sign_in(session, t.b_seat.username, PASSWORD)


async def test_a_successful_sign_in_resets_the_count(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    assert await fail(session, name, 4) == ["unauthorized"] * 4
    assert await sign_in(session, name, PASSWORD)
    assert await session.get(SignInFailures, name) is None
    assert await fail(session, name, 4) == ["unauthorized"] * 4
    assert await sign_in(session, name, PASSWORD)


async def test_the_seat_signs_in_again_once_the_lock_has_run_out(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    await fail(session, name, 5)
    await session.execute(
        update(SignInFailures)
        .where(SignInFailures.username == name)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    assert await sign_in(session, name, PASSWORD)
    assert await session.get(SignInFailures, name) is None


async def test_failures_far_apart_do_not_add_up_to_a_lock(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    await fail(session, name, 4)
    long_ago = utcnow() - timedelta(seconds=LOCKOUT_S + 1)
    await session.execute(
        update(SignInFailures).where(SignInFailures.username == name).values(last_failed_at=long_ago)
    )
    # The fifth failure comes a lockout period after the fourth: a new count starts at 1.
    assert await fail(session, name, 4) == ["unauthorized"] * 4
    row = await session.get(SignInFailures, name, populate_existing=True)
    assert row is not None and row.failures == 4 and row.locked_until is None


async def test_an_unknown_username_gets_the_answers_a_seat_gets(session: AsyncSession) -> None:
    t = await factories.tree(session)
    nobody = f"nobody-{secrets.token_hex(3)}"
    seat_answers: list[tuple[int, str, str, str | None]] = []
    nobody_answers: list[tuple[int, str, str, str | None]] = []
    for name, answers in ((t.a_seat.username, seat_answers), (nobody, nobody_answers)):
        for password in ["wrong"] * 5 + [PASSWORD]:
            with pytest.raises((Unauthorized, TooManyRequests)) as refused:
                await sign_in(session, name, password)
            error = refused.value
            answers.append((error.status, error.code, error.message, error.field))
    assert nobody_answers == seat_answers
    assert [a[0] for a in seat_answers] == [401] * 4 + [429, 429]


async def test_failures_on_parallel_connections_each_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """As on several server processes: each attempt in its own transaction, all at once."""
    async with sessions() as session:
        t = await factories.tree(session)
        await session.commit()
    name = t.a_seat.username

    async def attempt() -> str:
        async with sessions() as session:
            try:
                await sign_in(session, name, "wrong")
            except (Unauthorized, TooManyRequests) as exc:
                await session.commit()
                return exc.code
            raise AssertionError("a wrong password signed in")

    codes = await asyncio.gather(*(attempt() for _ in range(5)))
    assert sorted(codes) == ["too_many_attempts"] + ["unauthorized"] * 4
    async with sessions() as session:
        with pytest.raises(TooManyRequests):
            await sign_in(session, name, PASSWORD)


async def test_lapsed_counts_of_other_names_are_swept_by_new_failures(session: AsyncSession) -> None:
    t = await factories.tree(session)
    old = [f"gone-{secrets.token_hex(3)}" for _ in range(3)]
    still_locked = f"locked-{secrets.token_hex(3)}"
    long_ago = utcnow() - timedelta(seconds=LOCKOUT_S + 60)
    session.add_all(SignInFailures(username=u, failures=2, last_failed_at=long_ago) for u in old)
    session.add(
        SignInFailures(
            username=still_locked,
            failures=0,
            last_failed_at=long_ago,
            locked_until=utcnow() + timedelta(hours=1),
        )
    )
    await session.flush()
    await fail(session, t.a_seat.username, 1)
    names = set(await session.scalars(select(SignInFailures.username)))
    assert not names & set(old)
    assert {still_locked, t.a_seat.username} <= names


async def test_a_disabled_seat_is_signed_out_everywhere_and_cannot_sign_in(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    tokens = [await sign_in(session, name, PASSWORD) for _ in range(2)]
    kept = await sign_in(session, t.b_seat.username, PASSWORD)
    assert await accounts_service.disable_seat(session, username=name) == 2
    for token in tokens:
        assert not await accounts_service.token_valid(session, token)
        with pytest.raises(Unauthorized):
            await accounts_service.seat_from_token(session, token)
    assert await accounts_service.token_valid(session, kept)
    with pytest.raises(Unauthorized) as refused:
        await sign_in(session, name, PASSWORD)
    assert refused.value.message == "wrong username or password"
    # Disabling twice is no error; enabling lets the seat in with its old password.
    assert await accounts_service.disable_seat(session, username=name) == 0
    await accounts_service.enable_seat(session, username=name)
    assert await accounts_service.token_valid(session, await sign_in(session, name, PASSWORD))


async def test_a_new_password_ends_every_session_and_lifts_the_lock(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    token = await sign_in(session, name, PASSWORD)
    await fail(session, name, 5)
    assert await accounts_service.set_password(session, username=name, password="a new long one") == 1
    assert not await accounts_service.token_valid(session, token)
    assert await lockout.locked_until(session, name) is None
    with pytest.raises(Unauthorized):
        await sign_in(session, name, PASSWORD)
    assert await sign_in(session, name, "a new long one")


@pytest.mark.parametrize(("password", "says"), [("short", "at least 8"), ("x" * 201, "at most 200")])
async def test_a_new_password_follows_the_rules_of_seat_add(
    session: AsyncSession, password: str, says: str
) -> None:
    t = await factories.tree(session)
    with pytest.raises(Invalid) as refused:
        await accounts_service.set_password(session, username=t.a_seat.username, password=password)
    assert refused.value.field == "password" and says in refused.value.message
    assert await sign_in(session, t.a_seat.username, PASSWORD)  # the old password still holds


async def test_unlock_lifts_the_lock_and_says_whether_there_was_one(session: AsyncSession) -> None:
    t = await factories.tree(session)
    name = t.a_seat.username
    assert await accounts_service.unlock_seat(session, username=name) is False
    await fail(session, name, 5)
    assert await accounts_service.unlock_seat(session, username=name) is True
    assert await sign_in(session, name, PASSWORD)


async def test_the_list_shows_each_seat_with_centre_state_and_lock(session: AsyncSession) -> None:
    t = await factories.tree(session)
    await fail(session, t.a_seat.username, 5)
    await accounts_service.disable_seat(session, username=t.b_seat.username)
    listed = {s.username: s for s in await accounts_service.list_seats(session)}
    a, b, city = listed[t.a_seat.username], listed[t.b_seat.username], listed[t.city_seat.username]
    assert (a.role, a.centre, a.active) == ("network", t.a.code, True)
    assert a.locked_until is not None and a.locked_until > utcnow() + timedelta(seconds=LOCKOUT_S - 5)
    assert (b.centre, b.active, b.locked_until) == (t.b.code, False, None)
    assert (city.centre, city.active, city.locked_until) == (t.city.code, True, None)


@pytest.mark.parametrize("action", ["disable", "enable", "password", "unlock"])
async def test_an_unknown_username_is_refused_by_name(session: AsyncSession, action: str) -> None:
    name = f"nobody-{secrets.token_hex(3)}"
    calls = {
        "disable": lambda: accounts_service.disable_seat(session, username=name),
        "enable": lambda: accounts_service.enable_seat(session, username=name),
        "password": lambda: accounts_service.set_password(session, username=name, password="long enough"),
        "unlock": lambda: accounts_service.unlock_seat(session, username=name),
    }
    with pytest.raises(NotFound) as refused:
        await calls[action]()
    assert refused.value.field == "username" and refused.value.message == f"no seat {name}"


async def test_a_seat_signs_in_only_on_a_server_its_role_works_on(session: AsyncSession) -> None:
    t = await factories.tree(session)
    police = await accounts_service.add_seat(
        session,
        username=f"police-{secrets.token_hex(3)}",
        password=PASSWORD,
        centre_code=t.a.code,
        role="110",
    )
    for username, server_role in ((police.username, "internet"), (t.a_seat.username, "intranet")):
        with pytest.raises(Forbidden) as refused:
            await accounts_service.login(
                session, username=username, password=PASSWORD, ttl_s=600, server_role=server_role
            )
        assert refused.value.code == "wrong_server"
    for username, server_role in ((police.username, "intranet"), (t.a_seat.username, "internet")):
        token, _, _ = await accounts_service.login(
            session, username=username, password=PASSWORD, ttl_s=600, server_role=server_role
        )
        assert token


async def test_a_token_idle_past_the_limit_no_longer_holds_and_a_background_check_does_not_refresh_it(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    token = await sign_in(session, t.a_seat.username, PASSWORD)
    assert await accounts_service.token_valid(session, token, idle_timeout_s=60)
    acted_long_ago = utcnow() - timedelta(seconds=120)
    await session.execute(
        update(SeatToken)
        .where(SeatToken.seat_id == t.a_seat.seat_id)
        .values(created_at=acted_long_ago, last_used_at=acted_long_ago)
    )
    await session.flush()
    for _ in range(2):  # looking is not acting: the second look sees the same idle token
        assert not await accounts_service.token_valid(session, token, idle_timeout_s=60)
    assert await accounts_service.token_valid(session, token, idle_timeout_s=600)
    assert await accounts_service.token_valid(session, token)  # no idle limit asked
    await accounts_service.seat_from_token(session, token, activity=True)  # the seat acts
    assert await accounts_service.token_valid(session, token, idle_timeout_s=60)
