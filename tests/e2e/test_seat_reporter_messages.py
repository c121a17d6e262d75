"""A reporter's message reaches the seat's attention, not only its unread count: a chime and
a note with its first words, which opens the case, when it is on a case this seat has taken
or nobody has yet and the seat is not reading it (behind the case history it is not, and the
message is not marked read until it is seen); nothing for a case another seat holds. A
console with no push at all learns of messages and cancellations from its polls."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.network import WEBSOCKET_REFUSED
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
    # The shared server's other cases may leave notes of their own: only these three count.
    expect(notes.filter(has_text=held["case_number"])).to_have_count(0)
    expect(notes.filter(has_text=reading["case_number"])).to_have_count(0)
    expect(note).to_have_count(1)

    note.click()
    expect(page.locator("#inc-case")).to_have_text(waiting["case_number"])
    context.close()


def test_a_message_on_the_open_case_behind_the_case_history_chimes_and_stays_unread_until_seen(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, category="fraud")
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    page.locator("body").click()
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    page.locator("body").press("a")
    expect(page.locator("#inc-status")).to_have_attribute("data-status", "accepted")
    page.locator("#history-tab").click()
    tones = page.evaluate("window.__tones")

    _say(base, alarm, "He is back with a knife")
    expect(page.locator("#toasts .toast.left", has_text=alarm["case_number"])).to_contain_text(
        "He is back with a knife"
    )
    page.wait_for_function(f"window.__tones > {tones}")
    messages_url = f"{base}/api/v1/incidents/{alarm['incident_id']}/messages"
    headers = seat_headers(base, "futian.sup")
    page.wait_for_timeout(1500)  # a poll or two of the hidden view
    assert httpx.get(messages_url, headers=headers).json()[-1]["read_at"] is None

    page.locator("#history-tab").click()  # back to the console: now it is read
    expect(page.locator(".chat")).to_contain_text("He is back with a knife")
    for _ in range(50):  # the receipt goes at once; the server may take a moment
        if httpx.get(messages_url, headers=headers).json()[-1]["read_at"]:
            break
        page.wait_for_timeout(100)
    assert httpx.get(messages_url, headers=headers).json()[-1]["read_at"] is not None
    context.close()


def test_with_no_push_at_all_a_reporters_message_and_cancellation_still_reach_the_seat(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    waiting = raise_alarm(base, FUTIAN, category="fraud")
    context = desk(browser)
    context.add_init_script(WEBSOCKET_REFUSED)
    context.route("**/api/v1/seat/events*", lambda route: route.abort())  # no event stream either
    page = sign_in(context, base, "futian.net")
    expect(page.locator("#mode")).to_have_attribute("data-mode", "polling")
    page.wait_for_timeout(2500)  # a poll has seen the queue as it is

    _say(base, waiting, "are you there")
    notes = page.locator("#toasts .toast.left", has_text=waiting["case_number"])
    expect(notes.filter(has_text="a new message from the reporter")).to_have_count(1)
    assert reporter_post(base, waiting, "withdraw", {"reason": "mistake"}).status_code == 200
    expect(notes.filter(has_text="the reporter cancelled the alarm (sent by mistake)")).to_have_count(1)
    context.close()
