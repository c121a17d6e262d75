"""The 110 link on a bad day, over HTTP between two real servers: the network side closing a
case the 110 seat is still working, and the link going down and coming back."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.http import seat_headers
from tests.support.link import forwarded_alarm, internet_server, intranet_case, intranet_server
from tests.support.servers import Server
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    internet = internet_server(tmp_path_factory.mktemp("trouble-internet"), TOKEN)
    intranet = intranet_server(tmp_path_factory.mktemp("trouble-intranet"), internet, TOKEN)
    yield internet, intranet
    intranet.stop()
    internet.stop()


def test_the_network_side_closing_the_case_reaches_the_110_seat_whose_messages_it_then_refuses(
    linked: tuple[Server, Server],
) -> None:
    internet, intranet = linked
    alarm = forwarded_alarm(internet)
    police = seat_headers(intranet.url, "shenzhen.110")
    case = eventually(lambda: intranet_case(intranet, alarm["case_number"], police))
    inside = f"{intranet.url}/api/v1/incidents/{case['id']}"
    assert httpx.get(inside, headers=police).json()["closed_at_source"] is None
    network = seat_headers(internet.url, "futian.net")
    outside = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    for action, body in (
        ("resolve", {"outcome": "Reporter safe at a neighbour's"}),
        ("close", {"disposition": "handled"}),
    ):
        assert httpx.post(f"{outside}/{action}", json=body, headers=network).status_code == 200

    def told() -> dict[str, Any] | None:
        closed: dict[str, Any] | None = httpx.get(inside, headers=police).json()["closed_at_source"]
        return closed if closed and closed["stage"] == "closed" else None

    closed = eventually(told)
    assert (closed["seat"], closed["disposition"], closed["source_case_number"]) == (
        "futian.net",
        "handled",
        alarm["case_number"],
    )
    assert httpx.get(inside, headers=police).json()["status"] == "received"  # 110 closes its own case
    refused = httpx.post(f"{inside}/messages", json={"text": "Are you still there?"}, headers=police)
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (409, "source_closed")
    assert alarm["case_number"] in error["message"] and "futian.net" in error["message"]
    assert [m["text"] for m in httpx.get(f"{inside}/messages", headers=police).json()] == []
    # A seat note on the 110 case's own record is still taken.
    noted = httpx.post(
        f"{inside}/notes", json={"text": "Called the neighbour: reporter confirmed safe"}, headers=police
    )
    assert noted.status_code == 201, noted.text
