"""A case whose seat has gone (signed out, console closed) is marked in every queue of the
centre, its reporter's messages reach the other seats, and one of them takes it over (O):
the case is theirs from then on, with its status and times unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.reporter_app import serious_violations
from tests.e2e.seat_console import desk, open_incident, row, screenshot, sign_in
from tests.support.http import DEMO_PASSWORD, FUTIAN, raise_alarm, reporter_post, seat_headers
from tests.support.servers import Server, demo_with


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: on the shared one, other tests keep futian.net signed in."""
    with demo_with(tmp_path_factory.mktemp("take-over")) as running:
        yield running


def held_by_a_seat_gone_home(base: str) -> dict[str, str]:
    """An alarm accepted and dispatched by futian.net, which then signed out."""
    alarm = raise_alarm(base, FUTIAN, category="violence", description="a man with a bat")
    credentials = {"username": "futian.net", "password": DEMO_PASSWORD}
    login = httpx.post(f"{base}/api/v1/auth/login", json=credentials)
    seat = {"Authorization": f"Bearer {login.json()['access_token']}"}
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    assert httpx.post(f"{incident}/actions/accept", json={}, headers=seat).status_code == 200
    assert httpx.post(f"{incident}/actions/dispatch", json={"note": "car 9"}, headers=seat).status_code == 200
    assert httpx.post(f"{base}/api/v1/auth/logout", headers=seat).status_code == 204
    return alarm


def test_a_case_whose_seat_has_gone_is_marked_and_taken_over_by_another_seat(
    browser: Browser, server: Server
) -> None:
    base = server.url
    alarm = held_by_a_seat_gone_home(base)
    context = desk(browser)
    page = sign_in(context, base, "futian.sup")
    expect(row(page, alarm["incident_id"])).to_contain_text("seat away")

    # The reporter writes: the seat that holds the case is gone, so this one is told.
    assert reporter_post(base, alarm, "messages", {"text": "he is coming back"}).status_code == 201
    expect(page.locator("#toasts")).to_contain_text("he is coming back")

    open_incident(page, alarm["incident_id"], alarm["case_number"])
    page.locator("body").press("o")
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("futian.net")
    expect(dialog).to_contain_text("no console open")
    assert serious_violations(page) == []
    screenshot(page, "take-over-en-US")
    dialog.locator('button[value="ok"]').click()

    expect(page.locator("#timeline")).to_contain_text("Taken over by seat futian.sup from seat futian.net.")
    expect(page.locator('#actions [data-action="take-over"]')).to_be_disabled()
    taken = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=seat_headers(base, "futian.sup")
    ).json()
    assert (taken["accepted_by"], taken["status"]) == ("futian.sup", "dispatched")
    assert taken["holder_present"] is True
    expect(row(page, alarm["incident_id"])).not_to_contain_text("seat away")
    context.close()


def test_taking_over_over_http_names_what_is_wrong(server: Server) -> None:
    base = server.url
    alarm = raise_alarm(base, FUTIAN)
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    seat = seat_headers(base, "futian.net")
    waiting = httpx.post(f"{incident}/actions/take-over", json={}, headers=seat)
    assert waiting.status_code == 409 and waiting.json()["error"]["code"] == "illegal_transition"
    assert httpx.post(f"{incident}/actions/accept", json={}, headers=seat).status_code == 200
    own = httpx.post(f"{incident}/actions/take-over", json={}, headers=seat)
    assert own.status_code == 409 and own.json()["error"]["code"] == "already_yours"
    unseen = httpx.post(f"{incident}/actions/take-over", json={}, headers=seat_headers(base, "luohu.net"))
    assert unseen.status_code == 404
