"""A reporter's message reaches the seat's attention, not only its unread count: a chime and
a note with its first words, which opens the case, when it is on a case this seat has taken
or nobody has yet and the seat is not reading it; nothing for a case another seat holds."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, sign_in
from tests.support.http import FUTIAN, raise_alarm, reporter_post, seat_headers
from tests.support.servers import Server


def _say(base: str, alarm: dict[str, str], text: str) -> None:
    said = reporter_post(base, alarm, "messages", {"text": text})
    assert said.status_code == 201, said.text


def test_a_reporters_message_elsewhere_chimes_and_opens_its_case_and_one_held_by_another_seat_is_quiet(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    reading, waiting, held = (raise_alarm(base, FUTIAN, category="fraud") for _ in range(3))
    accepted = httpx.post(
        f"{base}/api/v1/incidents/{held['incident_id']}/actions/accept",
        json={},
        headers=seat_headers(base, "futian.sup"),
    )
    assert accepted.status_code == 200, accepted.text
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    page.locator("body").click()  # a gesture: the console may play sound from now on
    open_incident(page, reading["incident_id"], reading["case_number"])
    notes = page.locator("#toasts .toast.left")
    tones = page.evaluate("window.__tones")

    _say(base, reading, "I can see you from here")  # the case the seat is reading
    _say(base, held, "still waiting")  # another seat's case
    expect(page.locator(".chat")).to_contain_text("I can see you from here")
    _say(base, waiting, "He is back, he has a knife " + "x" * 100)
    note = notes.filter(has_text=waiting["case_number"])
    expect(note).to_contain_text("the reporter wrote “He is back, he has a knife")
    expect(note).to_contain_text("…")
    page.wait_for_function(f"window.__tones > {tones}")
    expect(notes).to_have_count(1)

    note.click()
    expect(page.locator("#inc-case")).to_have_text(waiting["case_number"])
    context.close()
