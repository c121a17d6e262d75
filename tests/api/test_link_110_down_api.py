"""When the Internet side calls the 110 link down: the 110 side silent for longer than
`NETALARM_LINK_DOWN_S` (30 s by default), over HTTP with real servers."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx

from tests.support.http import seat_headers
from tests.support.link import internet_server, linked_pair
from tests.support.servers import Server
from tests.support.waiting import eventually

TOKEN = "link-" + secrets.token_hex(16)


def _status(internet: Server) -> dict[str, Any]:
    answer = httpx.get(
        f"{internet.url}/api/v1/link/110/status", headers=seat_headers(internet.url, "futian.net")
    )
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()
    return status


def test_a_110_side_that_never_called_is_down_and_the_threshold_is_30_s_by_default(tmp_path: Path) -> None:
    internet = internet_server(tmp_path, TOKEN)
    try:
        status = _status(internet)
        assert (status["down"], status["down_after_s"], status["silent_for_s"]) == (True, 30, None)
    finally:
        internet.stop()


def test_the_link_is_down_once_the_110_side_is_silent_for_longer_than_the_setting(tmp_path: Path) -> None:
    with linked_pair(tmp_path, TOKEN, NETALARM_LINK_DOWN_S="3") as (internet, intranet):
        up = eventually(lambda: s if (s := _status(internet))["last_contact_at"] else None)
        assert (up["down"], up["down_after_s"]) == (False, 3)
        intranet.stop()
        # Down well before the default 30 s would have passed.
        down = eventually(lambda: s if (s := _status(internet))["down"] else None, timeout=20)
        assert down["silent_for_s"] > 3 and down["down_after_s"] == 3
