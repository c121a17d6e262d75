"""The console's pop-up stack stays small: a burst of cases leaving a seat's view (a wave
of escalations in a disaster) never grows it over the open incident's controls, and the
alerts a seat must act on stay on top of, and outlast, the notes that only tell."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import DESKTOP, desk, open_incident, sign_in
from tests.support.http import FUTIAN, raise_alarm, seat_headers
from tests.support.servers import demo_with

ESCALATED = 10
HELD = 8  # toasts.js MAX

# True where the element at the centre of each matched control is that control (or inside it).
UNCOVERED = """selector => [...document.querySelectorAll(selector)].map((el) => {
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return el.contains(top);
})"""


def test_a_burst_of_escalations_keeps_the_p1_alert_on_top_the_newest_notes_and_the_controls_uncovered(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path) as server:
        base = server.url
        context = desk(browser)
        console = sign_in(context, base, "futian.net")
        kept = raise_alarm(base, FUTIAN, category="fraud")
        urgent = raise_alarm(base, FUTIAN, silent=True)
        open_incident(console, kept["incident_id"], kept["case_number"])
        toasts = console.locator("#toasts")
        alert = toasts.locator(f'.toast[data-id="{urgent["incident_id"]}"]')
        expect(alert).to_have_text(f"New P1 alarm {urgent['case_number']}")

        seat = seat_headers(base, "futian.net")
        gone = [raise_alarm(base, FUTIAN, category="fraud") for _ in range(ESCALATED)]
        for alarm in gone:
            up = httpx.post(f"{base}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=seat)
            assert up.status_code == 200, up.text

        def told(alarm: dict[str, str]) -> str:
            return f"{alarm['case_number']} was escalated to 深圳市公安局 Shenzhen by futian.net."

        notes = toasts.locator(".toast.left")
        expect(notes.first).to_have_text(told(gone[-1]))
        expect(toasts.locator(".toast")).to_have_count(HELD)
        expect(toasts.locator(".toast").first).to_have_text(f"New P1 alarm {urgent['case_number']}")
        expect(notes.last).to_have_text(told(gone[ESCALATED - HELD + 1]))  # the oldest gave way
        expect(alert).to_be_in_viewport()
        box = toasts.bounding_box()
        assert box is not None and box["height"] <= 0.4 * DESKTOP["height"] + 1
        assert all(console.evaluate(UNCOVERED, "#report-button, #actions button, #inc-case"))

        alert.click()
        expect(console.locator("#inc-case")).to_have_text(urgent["case_number"])
        context.close()
