"""Seat sign-in under guessing, over HTTP: after NETALARM_LOGIN_MAX_FAILURES wrong passwords
in a row (3 here) the username answers 429 `too_many_attempts` with `Retry-After`, even to the
right password; a success before that resets the count; an unknown username answers the
same. And a seat disabled on the command line loses its session and its live socket."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.http import DEMO_PASSWORD
from tests.support.push import Push, login
from tests.support.servers import Server, netalarm

LOCKOUT_S = 600


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("sign-in")
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_LOGIN_MAX_FAILURES": "3",
        "NETALARM_LOGIN_LOCKOUT_S": str(LOCKOUT_S),
        "NETALARM_WS_HEARTBEAT_S": "1",
    }
    assert netalarm(["demo"], env).returncode == 0
    running = Server(env, log=Path(data) / "server.log").start()
    yield running
    running.stop()


def attempt(server: Server, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/auth/login", json={"username": username, "password": password})


def test_three_wrong_passwords_lock_the_seat_with_retry_after_even_for_the_right_one(server: Server) -> None:
    statuses = [attempt(server, "futian.sup", "wrong password").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = attempt(server, "futian.sup", DEMO_PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == {
        "code": "too_many_attempts",
        "message": "too many failed sign-ins: try again in 10 minutes",
        "field": "username",
        "retry_after_s": int(locked.headers["Retry-After"]),
    }
    assert LOCKOUT_S - 10 <= int(locked.headers["Retry-After"]) <= LOCKOUT_S
    # Another seat signs in as usual.
    assert attempt(server, "luohu.sup", DEMO_PASSWORD).status_code == 200


def test_a_successful_sign_in_resets_the_count(server: Server) -> None:
    for _ in range(3):
        assert [attempt(server, "luohu.net", "wrong password").status_code for _ in range(2)] == [401, 401]
        assert attempt(server, "luohu.net", DEMO_PASSWORD).status_code == 200


def test_an_unknown_username_is_answered_as_a_seat_is(server: Server) -> None:
    nobody = f"nobody-{secrets.token_hex(3)}"
    answers = {}
    for name in ("shenzhen.sup", nobody):
        replies = [attempt(server, name, p) for p in ("wrong", "wrong", "wrong", DEMO_PASSWORD)]
        answers[name] = [
            (r.status_code, r.json()["error"]["code"], r.json()["error"]["message"]) for r in replies
        ]
    assert answers[nobody] == answers["shenzhen.sup"]
    assert [a[0] for a in answers[nobody]] == [401, 401, 429, 429]


def test_bad_sign_in_bodies_are_refused_without_counting(server: Server) -> None:
    for body in (
        {"username": "futian.net"},
        {"username": "", "password": "x"},
        {"username": "x" * 65, "password": "x"},
    ):
        answer = httpx.post(f"{server.url}/api/v1/auth/login", json=body)
        assert answer.status_code == 422 and answer.json()["error"]["field"] in ("password", "username")
    assert attempt(server, "futian.net", DEMO_PASSWORD).status_code == 200


async def test_a_disabled_seat_is_signed_out_and_its_socket_closed_within_a_heartbeat(server: Server) -> None:
    token = login(server.url, "nanshan.net")
    mine = await Push.open(server.url, "/api/v1/seat/ws", token)
    other = await Push.seat(server.url, "nanshan.sup")
    try:
        disabled = await asyncio.to_thread(netalarm, ["seat", "disable", "nanshan.net"], server.env)
        assert disabled.returncode == 0, disabled.stderr
        assert "1 session signed out" in disabled.stdout
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # heartbeats (every second) until the next token check closes it
                await mine.frame("never", within=5)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "signed out")
        async with httpx.AsyncClient(base_url=server.url) as client:
            answer = await client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401
            again = await client.post(
                "/api/v1/auth/login", json={"username": "nanshan.net", "password": DEMO_PASSWORD}
            )
            assert again.status_code == 401
        # A seat still signed in keeps its socket.
        assert (await other.frame("heartbeat", within=3))["type"] == "heartbeat"
    finally:
        await mine.close()
        await other.close()
        await asyncio.to_thread(netalarm, ["seat", "enable", "nanshan.net"], server.env)


async def test_a_disabled_seats_event_stream_ends_within_a_heartbeat(server: Server) -> None:
    token = login(server.url, "shenzhen.net")
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as client,
        client.stream("GET", "/api/v1/seat/events", headers=headers) as events,
    ):
        assert events.status_code == 200
        lines = events.aiter_lines()
        assert await anext(lines) == "event: hello"
        disabled = await asyncio.to_thread(netalarm, ["seat", "disable", "shenzhen.net"], server.env)
        assert disabled.returncode == 0, disabled.stderr
        # Measured from the moment the seat is disabled: the heartbeats sent while the command
        # started (seconds on a busy machine) are already waiting in the stream.
        since_disabled = time.monotonic()
        try:
            # Heartbeats come every second; the stream ends at the next token check.
            async with asyncio.timeout(15):
                rest = [line async for line in lines]
        finally:
            ended_after = time.monotonic() - since_disabled
            await asyncio.to_thread(netalarm, ["seat", "enable", "shenzhen.net"], server.env)
        assert "event: heartbeat" in rest  # the stream was live until then
        assert ended_after < 4


def test_a_110_seat_cannot_sign_in_on_an_internet_server_and_a_wrong_password_still_says_only_that(
    server: Server,
) -> None:
    added = netalarm(
        ["seat", "add", "futian.110", "--centre", "440304", "--role", "110", "--password-stdin"],
        server.env,
        stdin="a-110-password\n",
    )
    assert added.returncode == 0, added.stderr
    refused = attempt(server, "futian.110", "a-110-password")
    assert refused.status_code == 403, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("wrong_server", "username")
    assert attempt(server, "futian.110", "not its password").status_code == 401  # nothing more told
    assert attempt(server, "nanshan.sup", "demo-pass-110").status_code == 200  # supervisors sign in anywhere
