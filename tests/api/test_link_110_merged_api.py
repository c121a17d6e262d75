"""Two forwarded cases a 110 seat merges into one, over HTTP between two real servers: each
reporter's conversation goes on in the case their alarm went into, and a 110 seat's reply in
a reporter's conversation reaches that reporter, whichever case it came from."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http import reporter_post, seat_headers
from tests.support.link import linked_pair, merged_inside, seat_texts
from tests.support.servers import Server
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    with linked_pair(tmp_path, TOKEN) as servers:
        yield servers


def test_a_110_seats_reply_reaches_the_reporter_of_a_case_merged_inside_in_their_conversation(
    pair: tuple[Server, Server],
) -> None:
    internet, intranet = pair
    police = seat_headers(intranet.url, "shenzhen.110")
    kept, merged, here = merged_inside(internet, intranet)
    assert reporter_post(internet.url, merged, "messages", {"text": "We are on the roof"}).status_code == 201
    messages = f"{intranet.url}/api/v1/incidents/{here['id']}/messages"
    heard = eventually(
        lambda: next(
            (m for m in httpx.get(messages, headers=police).json() if m["text"] == "We are on the roof"), None
        )
    )

    # The 110 seat answers in that reporter's conversation, and the kept case's reporter is told too.
    for conversation, text in (
        (heard["alarm_id"], "Stay there, a boat is coming"),
        (None, "Police are outside"),
    ):
        said = httpx.post(messages, json={"text": text, "alarm_id": conversation}, headers=police)
        assert said.status_code == 201, said.text

    assert eventually(lambda: seat_texts(internet, merged) or None) == ["Stay there, a boat is coming"]
    assert eventually(lambda: seat_texts(internet, kept) or None) == ["Police are outside"]

    def crossed() -> list[dict[str, Any]] | None:
        listed: list[dict[str, Any]] = httpx.get(messages, headers=police).json()
        return None if any(m["waiting_for_link"] for m in listed) else listed

    said_here = [m["text"] for m in eventually(crossed) if m["from"] == "seat"]
    assert said_here == ["Stay there, a boat is coming", "Police are outside"]
