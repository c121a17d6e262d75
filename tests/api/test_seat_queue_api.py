"""`GET /api/v1/seat/queue` over HTTP: the console's page of light rows, the rows named by id,
the counts alone, the exact count of cases past their time to accept, and bad reads refused
naming the field."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest

from netalarm.incidents.queue import ROW_FIELDS
from tests.support.http import FUTIAN, LUOHU, raise_alarm, seat_headers
from tests.support.servers import Server, demo_with

OPEN = "received,accepted,dispatched,resolved"


@pytest.mark.parametrize("server", ["demo_server", "pg_demo_server"])
def test_the_queue_reads_a_page_of_light_rows_the_rows_named_and_the_counts_alone(
    request: pytest.FixtureRequest, server: str
) -> None:
    base = request.getfixturevalue(server).url
    seat = seat_headers(base, "futian.net")
    fraud = raise_alarm(base, FUTIAN, category="fraud", description="words the queue does not show")
    fire = raise_alarm(base, FUTIAN, category="fire")
    closed = raise_alarm(base, FUTIAN)
    elsewhere = raise_alarm(base, LUOHU)
    shut = httpx.post(
        f"{base}/api/v1/incidents/{closed['incident_id']}/actions/close",
        json={"disposition": "test"},
        headers=seat,
    )
    assert shut.status_code == 200, shut.text
    listing = httpx.get(f"{base}/api/v1/incidents?status={OPEN}&order=queue&limit=500", headers=seat)

    page = httpx.get(f"{base}/api/v1/seat/queue", headers=seat)

    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"server_time", "total", "overdue", "away", "rows"}
    assert body["total"] == int(listing.headers["X-Total-Count"])
    assert [r["id"] for r in body["rows"]] == [r["id"] for r in listing.json()]
    assert all(tuple(r) == ROW_FIELDS for r in body["rows"])
    assert "words the queue does not show" not in page.text
    rows_bytes = len(json.dumps(body["rows"], separators=(",", ":"), ensure_ascii=False).encode())
    assert rows_bytes < 0.7 * len(listing.content)

    wanted = [fraud["incident_id"], closed["incident_id"], elsewhere["incident_id"], fire["incident_id"]]
    named = httpx.get(f"{base}/api/v1/seat/queue", params={"ids": ",".join(wanted)}, headers=seat).json()
    assert [r["id"] for r in named["rows"]] == [fire["incident_id"], fraud["incident_id"]]
    assert named["total"] == body["total"]

    counts = httpx.get(f"{base}/api/v1/seat/queue?limit=0", headers=seat).json()
    assert (counts["rows"], counts["total"]) == ([], body["total"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("limit=many", "limit"),
        ("ids=not-an-id", "ids"),
        ("ids=" + ",".join(str(uuid.uuid4()) for _ in range(101)), "ids"),
    ],
)
def test_a_bad_queue_read_is_refused_naming_the_field(demo_server: Server, query: str, field: str) -> None:
    base = demo_server.url
    answer = httpx.get(f"{base}/api/v1/seat/queue?{query}", headers=seat_headers(base, "futian.net"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_the_queue_is_for_seats_only(demo_server: Server) -> None:
    base = demo_server.url
    assert httpx.get(f"{base}/api/v1/seat/queue").status_code == 401
    reporter = raise_alarm(base, FUTIAN)
    bearer = {"Authorization": f"Bearer {reporter['reporter_token']}"}
    assert httpx.get(f"{base}/api/v1/seat/queue", headers=bearer).status_code == 401


def test_the_overdue_count_is_exact_with_one_row_listed_by_the_servers_sla_limits(tmp_path: Path) -> None:
    with demo_with(tmp_path, NETALARM_SLA_P3_S="1") as server:
        base = server.url
        for _ in range(3):
            raise_alarm(base, FUTIAN, category="fraud")  # P3: late after 1 s
        raise_alarm(base, FUTIAN, category="fire")  # P1: 15 s to accept
        time.sleep(1.5)
        # Shenzhen, the root, keeps every case in sight however the watchdog escalates them.
        answer = httpx.get(f"{base}/api/v1/seat/queue?limit=1", headers=seat_headers(base, "shenzhen.net"))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (len(body["rows"]), body["total"], body["overdue"]) == (1, 4, 3)
        assert body["rows"][0]["priority"] == "P1"
