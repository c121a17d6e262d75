"""The queue on a disaster's worst day: more open cases than it lists, new P1s in a burst, a
wave of escalations. The P1 waiting longest is listed first however many newer cases there
are, and the seat is told how many are not listed; a burst of new P1s, or of cases escalated
to the centre, is one alert counting them, not one toast, notification and siren each; rows
that did not change are not redrawn."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, row, sign_in
from tests.support.http import FUTIAN, raise_alarm, raise_many, seat_headers
from tests.support.servers import demo_with

LISTED = 500  # queue.js LIMIT
# Nothing escalates out of Futian's view while the test runs.
LONG_SLA = {f"NETALARM_SLA_{p}_S": "3600" for p in ("P1", "P2", "P3", "P4")}


def test_with_more_open_cases_than_listed_the_longest_waiting_p1_comes_first_and_the_rest_are_counted(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path, **LONG_SLA) as server:
        oldest_p1 = raise_alarm(server.url, FUTIAN, silent=True)
        raise_many(server.url, LISTED + 10, FUTIAN, category="fraud")
        context = desk(browser)
        console = sign_in(context, server.url, "futian.net")
        rows = console.locator("#queue > li.row")
        expect(rows).to_have_count(LISTED)
        expect(rows.first).to_have_attribute("data-id", oldest_p1["incident_id"])
        more = console.locator("#queue > li.more")
        expect(more).to_have_text(
            f"The {LISTED} most urgent of {LISTED + 11} open incidents are listed; "
            "the rest follow as these are taken."
        )
        console.locator("#lang").click()
        expect(more).to_have_text(
            f"按紧急程度列出前 {LISTED} 起，共 {LISTED + 11} 起未结警情；其余警情将随受理依次列出。"
        )
        context.close()


def test_a_burst_of_new_p1s_is_one_alert_counting_them_and_unchanged_rows_are_not_redrawn(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path, **LONG_SLA) as server:
        calm = raise_alarm(server.url, FUTIAN, category="fraud")
        context = desk(browser)
        console = sign_in(context, server.url, "futian.net")
        console.locator("body").click()  # a gesture: the console may play sound from now on
        row(console, calm["incident_id"]).evaluate("(li) => { li.dataset.probe = 'the same element'; }")
        tones = console.evaluate("window.__tones")

        burst = raise_many(server.url, 6, FUTIAN, silent=True)
        for alarm in burst:
            expect(row(console, alarm["incident_id"])).to_have_attribute("data-priority", "P1")
        expect(console.locator("#queue > li.row").nth(6)).to_have_attribute("data-id", calm["incident_id"])
        expect(row(console, calm["incident_id"])).to_have_attribute("data-probe", "the same element")
        alerts = console.locator("#toasts .toast:not(.left)")
        expect(alerts).to_have_count(1)
        expect(alerts).to_have_text(re.compile(r"^\s*6 new P1 alarms, the longest waiting \S+$"))
        assert console.evaluate("window.__notifications")[-1] == "New P1 alarms"
        # One siren (four notes) for the burst, two if its alarms straddled the 3 s pause;
        # one a case would have been 24 notes.
        assert 0 < console.evaluate("window.__tones") - tones <= 8

        alerts.click()
        cases = [alarm["case_number"] for alarm in burst]
        expect(console.locator("#inc-case")).to_have_text(re.compile("|".join(cases)))
        context.close()


def test_a_wave_of_cases_escalated_to_the_centre_is_one_alert_and_one_notification_counting_them(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path, **LONG_SLA) as server:
        wave = raise_many(server.url, 5, FUTIAN, category="fraud")
        context = desk(browser)
        city = sign_in(context, server.url, "shenzhen.net")
        futian = seat_headers(server.url, "futian.net")
        for alarm in wave:
            up = httpx.post(
                f"{server.url}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=futian
            )
            assert up.status_code == 200, up.text
        alerts = city.locator("#toasts .toast:not(.left)")
        expect(alerts).to_contain_text("5 cases escalated to you from 福田分局 Futian by futian.net: ")
        expect(alerts).to_have_count(1)
        expect(alerts).to_contain_text(" and 2 more")
        titles = city.evaluate("window.__notifications")
        assert titles[-1] == "Cases escalated to your centre"
        assert len(titles) < len(wave)
        context.close()
