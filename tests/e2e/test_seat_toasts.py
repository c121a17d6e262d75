"""The console's pop-up stack stays small: a burst of cases leaving a seat's view (a wave
of escalations in a disaster) is one note counting them, notes of many cases never grow the
stack over the open incident's controls, and the alerts a seat must act on stay on top of,
and outlast, the notes that only tell."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import DESKTOP, desk, open_incident, sign_in
from tests.support.http import FUTIAN, raise_alarm, reporter_post, seat_headers
from tests.support.servers import demo_with

ESCALATED = 10
HELD = 8  # toasts.js MAX

# True where the element at the centre of each matched control is that control (or inside it).
UNCOVERED = """selector => [...document.querySelectorAll(selector)].map((el) => {
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return el.contains(top);
})"""


def test_a_burst_of_escalations_is_one_note_under_the_p1_alert_and_many_notes_leave_the_controls_uncovered(
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
        notes = toasts.locator(".toast.left")
        expect(notes).to_have_count(1)
        first = ", ".join(a["case_number"] for a in gone[:3])
        expect(notes).to_have_text(
            f"{ESCALATED} cases were escalated to 深圳市公安局 Shenzhen by futian.net: "
            f"{first} and {ESCALATED - 3} more."
        )
        expect(toasts.locator(".toast").first).to_have_text(f"New P1 alarm {urgent['case_number']}")

        # Messages on as many cases: a note each, the stack held to its height and depth.
        writing = [raise_alarm(base, FUTIAN, category="fraud") for _ in range(HELD)]
        for n, alarm in enumerate(writing):
            said = reporter_post(base, alarm, "messages", {"text": f"message {n}"})
            assert said.status_code == 201, said.text
        expect(notes.first).to_contain_text("message 7")
        expect(toasts.locator(".toast")).to_have_count(HELD)
        expect(toasts.locator(".toast").first).to_have_text(f"New P1 alarm {urgent['case_number']}")
        expect(notes.last).to_contain_text("message 1")  # the escalations' note and message 0 gave way
        expect(alert).to_be_in_viewport()
        box = toasts.bounding_box()
        assert box is not None and box["height"] <= 0.4 * DESKTOP["height"] + 1
        assert all(console.evaluate(UNCOVERED, "#report-button, #actions button, #inc-case"))

        alert.click()
        expect(console.locator("#inc-case")).to_have_text(urgent["case_number"])
        context.close()
