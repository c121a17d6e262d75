"""The console keeps its queue true at a small part of the server's work: after signing in it
reads only the rows that push events name, and the whole page again when it must (push back
after a drop); a new P1 is still listed within 2 s, nothing done while its socket was down is
missed, the SLA banner counts the late cases the queue does not list, and a case whose seat
signs out is marked "seat away" without any event telling it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Request, Route, expect

from tests.e2e.seat_console import desk, row, sign_in
from tests.support.http import DEMO_PASSWORD, FUTIAN, raise_alarm, raise_many, seat_headers
from tests.support.servers import Server, demo_with

LONG_SLA = {f"NETALARM_SLA_{p}_S": "3600" for p in ("P1", "P2", "P3", "P4")}
QUEUE = "/api/v1/seat/queue"

# Keeps the page's WebSockets (to drop them) and, while `window.__cut` holds, opens none that
# reach the server: a socket whose network has gone.
SOCKETS = """
window.__sockets = [];
window.__cut = false;
const RealWebSocket = window.WebSocket;
window.WebSocket = class extends RealWebSocket {
  constructor(url, ...rest) {
    super(window.__cut ? "ws://127.0.0.1:9/cut" : url, ...rest);
    window.__sockets.push(this);
  }
};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own with hour-long SLAs: nothing escalates out of Futian's view."""
    with demo_with(tmp_path_factory.mktemp("queue-sync"), **LONG_SLA) as running:
        yield running


def _queue_reads(context: BrowserContext) -> list[str]:
    """The console's queue reads, their query strings, filled in as they are made."""
    reads: list[str] = []

    def note(request: Request) -> None:
        if QUEUE in request.url:
            reads.append(request.url.split("?", 1)[1] if "?" in request.url else "")

    context.on("request", note)
    return reads


def _act(base: str, seat: dict[str, str], alarm: dict[str, Any], action: str, **body: str) -> None:
    done = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/{action}", json=body, headers=seat
    )
    assert done.status_code == 200, done.text


def test_the_queue_follows_events_reading_only_the_rows_they_name(browser: Browser, server: Server) -> None:
    base = server.url
    other_seat = seat_headers(base, "futian.sup")
    waiting = raise_alarm(base, FUTIAN, category="fraud")
    to_close = raise_alarm(base, FUTIAN, category="traffic")
    context = desk(browser)
    reads = _queue_reads(context)
    console = sign_in(context, base, "futian.net")
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live")
    expect(row(console, to_close["incident_id"])).to_be_visible()
    console.wait_for_timeout(500)
    whole_at_sign_in = sum(1 for r in reads if r.startswith("limit=500"))

    p1 = raise_alarm(base, FUTIAN, silent=True)
    expect(row(console, p1["incident_id"])).to_be_visible(timeout=2_000)
    expect(console.locator("#queue > li.row").first).to_have_attribute("data-id", p1["incident_id"])
    _act(base, other_seat, waiting, "accept")
    expect(row(console, waiting["incident_id"])).to_contain_text("accepted")
    _act(base, other_seat, to_close, "close", disposition="false_alarm")
    expect(row(console, to_close["incident_id"])).to_have_count(0)

    named = [r for r in reads if r.startswith("ids=")]
    assert named and all(len(r.split(",")) <= 100 for r in named)
    assert any(p1["incident_id"] in r for r in named)
    assert sum(1 for r in reads if r.startswith("limit=500")) == whole_at_sign_in  # no whole page since
    context.close()


def test_what_happened_while_the_socket_was_down_is_listed_once_it_is_back(
    browser: Browser, server: Server
) -> None:
    base = server.url
    other_seat = seat_headers(base, "futian.sup")
    to_accept = raise_alarm(base, FUTIAN, category="fraud")
    to_close = raise_alarm(base, FUTIAN, category="traffic")
    context = desk(browser)
    context.add_init_script(SOCKETS)
    reads = _queue_reads(context)
    console = sign_in(context, base, "futian.net")
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live")
    expect(row(console, to_close["incident_id"])).to_be_visible()
    seen = raise_alarm(base, FUTIAN, category="fraud")  # an event: the console has a place to resume from
    expect(row(console, seen["incident_id"])).to_be_visible()

    # The network goes: the socket drops and nothing reaches the server until it is back.
    cut = [True]
    streams: list[str] = []

    def blocked(route: Route) -> None:
        streams.append(route.request.url)
        if cut[0]:
            route.abort()
        else:
            route.continue_()

    context.route("**/api/v1/seat/events*", blocked)
    context.route(f"**{QUEUE}*", blocked)
    console.evaluate("window.__cut = true; window.__sockets.forEach((s) => s.close())")
    expect(console.locator("#mode")).not_to_have_attribute("data-mode", "live")
    new_p1 = raise_alarm(base, FUTIAN, silent=True)
    _act(base, other_seat, to_accept, "accept")
    _act(base, other_seat, to_close, "close", disposition="false_alarm")
    console.wait_for_timeout(1500)
    expect(row(console, new_p1["incident_id"])).to_have_count(0)
    whole_before = sum(1 for r in reads if r.startswith("limit=500"))

    cut[0] = False
    console.evaluate("window.__cut = false")
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live")
    expect(row(console, new_p1["incident_id"])).to_be_visible()
    expect(row(console, to_accept["incident_id"])).to_contain_text("accepted")
    expect(row(console, to_close["incident_id"])).to_have_count(0)
    assert sum(1 for r in reads if r.startswith("limit=500")) > whole_before  # read whole once back
    # Back live over the socket or the event stream, resumed after the last event it had.
    sockets = console.evaluate("window.__sockets.map((s) => s.url)")
    assert any("after=" in url and "/api/v1/seat/" in url for url in [*sockets, *streams])
    context.close()


def test_a_case_whose_seat_signs_out_is_marked_away_without_an_event_saying_so(
    browser: Browser, server: Server
) -> None:
    base = server.url
    # A seat no other test of this module signs in (any token of it seen lately counts as there).
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    login = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": "shenzhen.sup", "password": DEMO_PASSWORD}
    )
    holder = {"Authorization": f"Bearer {login.json()['access_token']}"}
    _act(base, holder, alarm, "accept")
    context = desk(browser)
    console = sign_in(context, base, "futian.net")
    held = row(console, alarm["incident_id"])
    expect(held).to_contain_text("accepted")
    expect(held.locator(".holder-away")).to_have_count(0)

    assert httpx.post(f"{base}/api/v1/auth/logout", headers=holder).status_code == 204
    # The console's look every 10 s names the seats gone.
    expect(held.locator(".holder-away")).to_be_visible(timeout=15_000)
    context.close()


def test_the_sla_banner_counts_the_late_cases_the_queue_does_not_list(
    browser: Browser, tmp_path: Path
) -> None:
    # P3 cases are late after 2 s; 505 P1s (an hour to accept) fill the listed 500 before them.
    # Shenzhen, the root, keeps the escalated cases in sight.
    with demo_with(tmp_path, **{**LONG_SLA, "NETALARM_SLA_P3_S": "2"}) as running:
        base = running.url
        raise_many(base, 505, FUTIAN, silent=True)
        late = raise_many(base, 3, FUTIAN, category="fraud")
        context = desk(browser)
        console = sign_in(context, base, "shenzhen.net")
        expect(console.locator("#queue > li.row")).to_have_count(500)
        banner = console.locator("#sla-banner")
        expect(banner).to_be_visible()
        expect(banner).to_have_attribute("data-late", "3")
        expect(banner).to_contain_text("3 cases not listed")
        assert row(console, late[0]["incident_id"]).count() == 0

        _act(base, seat_headers(base, "shenzhen.net"), late[0], "accept")
        expect(banner).to_have_attribute("data-late", "2")
        expect(banner).to_contain_text("2 cases not listed")
        context.close()
