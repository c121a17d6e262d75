"""The console's live feed where WebSockets cannot reach the server (a proxy refusing the
upgrade): it goes live over server-sent events instead of settling for polling, so a case
moved away is still told to the seat that lost it; and a cursor the server no longer knows
does not keep it from going live again."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Request, expect

from tests.e2e.network import (
    WEBSOCKET_REFUSED,
    first_stream_shows_an_unknown_event,
    wait_for_resumption_from_the_unknown_event,
)
from tests.e2e.seat_console import desk, row, sign_in
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import Server


def test_with_websockets_refused_the_console_is_live_over_events_and_told_of_a_case_moved_away(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = desk(browser)
    context.add_init_script(WEBSOCKET_REFUSED)
    streams: list[str] = []
    context.on("request", lambda request: _note_stream(request, streams))
    console = sign_in(context, base, "futian.net")
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live")
    assert streams and all("access_token" not in url for url in streams)  # the token rides in a header

    alarm = raise_alarm(base, FUTIAN, description="fight outside the station")
    expect(row(console, alarm["incident_id"])).to_be_visible()
    moved = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/transfer",
        json={"centre": "440303"},
        headers=seat_headers(base, "futian.net"),
    )
    assert moved.status_code == 200, moved.text
    expect(row(console, alarm["incident_id"])).to_have_count(0)
    # Only an event says why a case left: polling alone would just see it gone.
    expect(console.locator("#toasts")).to_contain_text(
        f"{alarm['case_number']} was transferred to 罗湖分局 Luohu by futian.net"
    )
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live")
    context.close()


def test_a_console_resuming_from_an_event_the_server_does_not_know_starts_afresh_and_goes_live(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    context = desk(browser)
    context.add_init_script(WEBSOCKET_REFUSED)
    streams = first_stream_shows_an_unknown_event(context, "**/api/v1/seat/events*", "heartbeat")
    console = sign_in(context, base, "futian.net")
    wait_for_resumption_from_the_unknown_event(console, streams, within_s=15)
    # Refused (422 unknown_cursor), the console drops the cursor instead of retrying it for ever.
    expect(console.locator("#mode")).to_have_attribute("data-mode", "live", timeout=15_000)
    assert "after=" not in streams[-1]
    alarm = raise_alarm(base, FUTIAN, description="shouting in the stairwell")
    expect(row(console, alarm["incident_id"])).to_be_visible()
    context.close()
    # Not left waiting on the shared server: its SLA escalation would surprise other consoles.
    closed = httpx.post(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/close",
        json={"disposition": "prank"},
        headers=seat_headers(base, "futian.net"),
    )
    assert closed.status_code == 200, closed.text


def _note_stream(request: Request, streams: list[str]) -> None:
    if "/api/v1/seat/events" in request.url:
        streams.append(request.url)
