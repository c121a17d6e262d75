"""What a client may send over its socket: the reporter chats and reads, everyone may ping;
anything else is answered with an `error` frame naming the field, and the socket stays open."""

from __future__ import annotations

import pytest

from tests.realtime.conftest import Pair
from tests.support.http import FUTIAN, raise_alarm
from tests.support.push import Push


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ("{not json", "malformed_json", None),
        ('{"type": "shout", "ref": "x"}', "invalid", "type"),
        ('{"type": "message", "text": "   ", "ref": "x"}', "invalid", "text"),
        ('{"type": "message", "text": "hi", "colour": "red", "ref": "x"}', "invalid", "colour"),
        ('{"type": "read", "ref": "x"}', "invalid", "message_id"),
        (
            '{"type": "read", "message_id": "01a2146e-501d-7007-af10-13a21c5f16dd", "ref": "x"}',
            "not_found",
            "message_id",
        ),
    ],
)
async def test_a_bad_reporter_command_gets_an_error_frame_and_the_socket_stays_open(
    pair: Pair, frame: str, code: str, field: str | None
) -> None:
    reporter = await Push.reporter(pair.a.url, raise_alarm(pair.a.url, FUTIAN))
    try:
        await reporter.ws.send(frame)
        error = await reporter.frame("error")
        assert error["error"]["code"] == code and error["error"]["field"] == field
        await reporter.send({"type": "ping", "ref": "still-there"})
        assert (await reporter.frame("pong"))["data"]["ref"] == "still-there"
    finally:
        await reporter.close()


async def test_a_seat_socket_only_pushes(pair: Pair) -> None:
    seat = await Push.seat(pair.b.url, "futian.net")
    try:
        await seat.send({"type": "message", "text": "hello", "ref": "s1"})
        error = await seat.frame("error")
        assert error["data"]["ref"] == "s1" and error["error"]["field"] == "type"
    finally:
        await seat.close()
