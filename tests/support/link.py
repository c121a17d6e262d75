"""Both sides of the 110 boundary link as real processes: an Internet-side demo server
offering the link, and an intranet 110 server pulling from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server, netalarm
from tests.support.waiting import eventually


def internet_server(data: Path, token: str, **settings: str) -> Server:
    """The Internet-side demo (SQLite) with the link token set, started; `settings` are more
    NETALARM_* values."""
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": "",
        "NETALARM_LINK_TOKEN": token,
        **settings,
    }
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0, seeded.stderr
    return Server(env, log=data / "server.log").start()


def intranet_server(data: Path, internet: Server, token: str, database_url: str = "") -> Server:
    """The intranet 110 demo (seat `shenzhen.110`) pulling from `internet` every 0.2 s, started."""
    env = {
        "NETALARM_DATA_DIR": str(data),
        "NETALARM_DATABASE_URL": database_url,
        "NETALARM_ROLE": "intranet",
        "NETALARM_LINK_URL": internet.url,
        "NETALARM_LINK_TOKEN": token,
        "NETALARM_LINK_POLL_S": "0.2",
    }
    seeded = netalarm(["demo"], env)
    assert seeded.returncode == 0 and "shenzhen.110" in seeded.stdout, seeded.stderr
    return Server(env, log=data / "server.log").start()


def forwarded_alarm(
    internet: Server, note: str = "Armed man at the door, send a unit", alarm: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An alarm (by default a new one with the reporter's name and phone) accepted by seat
    `futian.net` and forwarded to 110 with `note`."""
    alarm = alarm or raise_alarm(
        internet.url, FUTIAN, category="violence", reporter={"name": "Wang", "phone": "13800138000"}
    )
    seat = seat_headers(internet.url, "futian.net")
    base = f"{internet.url}/api/v1/incidents/{alarm['incident_id']}/actions"
    assert httpx.post(f"{base}/accept", headers=seat).status_code == 200
    answer = httpx.post(f"{base}/forward-110", json={"note": note}, headers=seat)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "dispatched"
    return alarm


def intranet_case(intranet: Server, source_case_number: str, seat: dict[str, str]) -> dict[str, Any] | None:
    """The 110 incident made from the network case, once the puller has brought it."""
    for incident in httpx.get(f"{intranet.url}/api/v1/incidents", headers=seat).json():
        first = httpx.get(f"{intranet.url}/api/v1/incidents/{incident['id']}/timeline", headers=seat).json()[
            0
        ]
        if first["data"].get("source_case_number") == source_case_number:
            return {**incident, "first": first}
    return None


def timeline_of(server: Server, incident_id: str, seat: dict[str, str]) -> list[dict[str, Any]]:
    """The incident's timeline on `server`, read by the seat of `seat` (its headers)."""
    answer = httpx.get(f"{server.url}/api/v1/incidents/{incident_id}/timeline", headers=seat)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


@contextmanager
def linked_pair(data: Path, token: str, **settings: str) -> Iterator[tuple[Server, Server]]:
    """An Internet-side server (with `settings`, more NETALARM_* values) and an intranet one
    pulling from it (SQLite each, in `data`), started, and stopped afterwards."""
    internet = internet_server(data / "internet", token, **settings)
    intranet = intranet_server(data / "intranet", internet, token)
    try:
        yield internet, intranet
    finally:
        intranet.stop()
        internet.stop()


def forward_id(internet: Server, alarm: dict[str, Any]) -> str:
    """The id of the forward to 110 of the alarm's incident."""
    entries = timeline_of(internet, alarm["incident_id"], seat_headers(internet.url, "futian.net"))
    return str(next(e for e in entries if e["type"] == "forwarded_110")["data"]["forward_id"])


def seat_texts(internet: Server, alarm: dict[str, Any]) -> list[str]:
    """The seats' messages in the reporter's conversation, as the reporter reads it."""
    url = f"{internet.url}/api/v1/alarms/{alarm['id']}/messages"
    return [m["text"] for m in httpx.get(url, headers=reporter_headers(alarm)).json() if m["from"] == "seat"]


def merged_inside(
    internet: Server, intranet: Server
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Two cases forwarded to 110, the second merged inside into the first by seat
    `shenzhen.110`: the alarms kept and merged, and the 110 case they are now on."""
    police = seat_headers(intranet.url, "shenzhen.110")
    kept, merged = forwarded_alarm(internet, "Flooded street"), forwarded_alarm(internet, "Same street")
    here, gone = (
        eventually(partial(intranet_case, intranet, a["case_number"], police)) for a in (kept, merged)
    )
    answer = httpx.post(
        f"{intranet.url}/api/v1/incidents/{gone['id']}/actions/merge",
        json={"into": here["id"]},
        headers=police,
    )
    assert answer.status_code == 200, answer.text
    return kept, merged, here
