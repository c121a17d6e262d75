"""Open reports near the open case: on a bad day many people report one fire. The seat sees
the others within 500 m and an hour, nearest first with their distance, merges one or all of
them into the case it holds, and the merge dialog offers them first. Over HTTP, the list
takes a radius and refuses a silly one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.e2e.reporter_app import serious_violations
from tests.e2e.seat_console import console_on, screenshot
from tests.support.http import raise_alarm, seat_headers
from tests.support.servers import Server, demo_with

FIRE = (22.5431, 114.0579)  # Futian
PER_DEGREE = 111_195.0  # metres per degree of latitude


def north(m: float) -> tuple[float, float]:
    return FIRE[0] + m / PER_DEGREE, FIRE[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own: the shared demo server has other tests' alarms at these places."""
    with demo_with(tmp_path_factory.mktemp("nearby")) as running:
        yield running


def test_reports_nearby_are_listed_nearest_first_and_merged_into_the_open_case(
    browser: Browser, server: Server
) -> None:
    base = server.url
    here = raise_alarm(base, FIRE, category="fire", description="smoke from the third floor")
    close_by = raise_alarm(base, north(60), category="fire", description="flames in a window")
    further = raise_alarm(base, north(220), description="people running out")
    raise_alarm(base, north(2000), category="fire")  # too far to be the same
    context, page = console_on(browser, base, here)
    confirmed: list[str] = []

    def confirm(dialog: Dialog) -> None:
        confirmed.append(dialog.message)
        dialog.accept()

    page.on("dialog", confirm)
    rows = page.locator("#nearby li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(close_by["case_number"])
    expect(rows.nth(0)).to_contain_text("60 m away")
    expect(rows.nth(0)).to_contain_text("flames in a window")
    expect(rows.nth(1)).to_contain_text(further["case_number"])
    expect(rows.nth(1)).to_contain_text("220 m away")
    expect(page.locator("#nearby [data-merge-all]")).to_have_text("Merge all 2 into this case")
    # The case's header says so, and leads to the list.
    page.locator("#inc-nearby").click()
    expect(page.locator("#inc-nearby")).to_have_text("2 open report(s) nearby")
    expect(rows.nth(0).locator("[data-open]")).to_be_focused()
    assert serious_violations(page) == []
    screenshot(page, "nearby-en-US")

    rows.nth(0).locator("[data-merge]").click()

    expect(page.locator("#inc-message")).to_contain_text(f"1 merged into {here['case_number']}")
    assert close_by["case_number"] in confirmed[0] and "duplicate" in confirmed[0]
    seat = seat_headers(base, "futian.net")
    merged = httpx.get(f"{base}/api/v1/incidents/{close_by['incident_id']}", headers=seat).json()
    assert (merged["status"], merged["disposition"]) == ("closed", "duplicate")
    expect(rows).to_have_count(1)
    expect(page.locator("#nearby [data-merge-all]")).to_be_hidden()
    expect(page.locator("#inc-nearby")).to_have_text("1 open report(s) nearby")

    # The merge dialog offers the report nearby first, with its distance.
    page.locator("body").press("m")
    first = page.locator("#action-dialog select[name=into] option").first
    expect(first).to_contain_text(further["case_number"])
    expect(first).to_contain_text("220 m away")
    page.locator("#action-dialog button[value=cancel]").click()
    context.close()


def test_merging_all_reports_nearby_says_what_was_refused_and_why(browser: Browser, server: Server) -> None:
    base = server.url
    point = (22.5251, 114.0332)
    here = raise_alarm(base, point, category="traffic")
    others = [raise_alarm(base, (point[0] + m / PER_DEGREE, point[1]), category="traffic") for m in (30, 90)]
    seat = seat_headers(base, "futian.net")
    context, page = console_on(browser, base, here)
    page.on("dialog", lambda dialog: dialog.accept())
    expect(page.locator("#nearby [data-merge-all]")).to_have_text("Merge all 2 into this case")
    # Meanwhile another seat dispatches one of them: it can no longer be merged.
    incident = f"{base}/api/v1/incidents/{others[1]['incident_id']}"
    assert httpx.post(f"{incident}/actions/accept", json={}, headers=seat).status_code == 200
    assert httpx.post(f"{incident}/actions/dispatch", json={"note": "car 3"}, headers=seat).status_code == 200

    page.locator("#nearby [data-merge-all]").click()

    message = page.locator("#inc-message")
    expect(message).to_contain_text(f"1 merged into {here['case_number']}")
    expect(message).to_contain_text(others[1]["case_number"])
    expect(message).to_have_class("notice error")
    context.close()


@pytest.mark.parametrize("radius", ["0", "5", "5001", "far"])
def test_a_radius_outside_10_to_5000_metres_is_refused_naming_it(server: Server, radius: str) -> None:
    base = server.url
    alarm = raise_alarm(base, FIRE)
    answer = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/nearby",
        params={"radius_m": radius},
        headers=seat_headers(base, "futian.net"),
    )
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "radius_m"


def test_a_seat_of_another_district_cannot_ask_about_a_case_it_may_not_see(server: Server) -> None:
    base = server.url
    alarm: dict[str, Any] = raise_alarm(base, FIRE)
    answer = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/nearby", headers=seat_headers(base, "luohu.net")
    )
    assert answer.status_code == 404
