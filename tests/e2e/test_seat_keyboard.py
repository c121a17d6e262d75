"""The console by keyboard and screen reader: Tab stops only where something can be done, a
form closed by Escape or Cancel gives the focus back to the button that opened it, and a
dialog has a name."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.seat_console import desk, open_incident, row, sign_in
from tests.support.http import FUTIAN, raise_alarm
from tests.support.servers import Server


def test_tab_never_stops_on_a_map_shape(browser: Browser, demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN, silent=True)
    context = desk(browser)
    page = sign_in(context, demo_server.url, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    expect(page.locator("#map path").first).to_be_attached()
    page.locator("#inc-case").focus()
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate("document.activeElement.closest('svg') ? 'svg' : document.activeElement.tagName")
        )
    assert "svg" not in stops
    context.close()


def test_escape_or_cancel_closes_the_sms_form_and_focus_returns_to_its_button(
    browser: Browser, demo_server: Server
) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN, reporter={"phone": "13800138000"})
    context = desk(browser)
    page = sign_in(context, demo_server.url, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    form, button = page.locator("#sms-form"), page.locator("#sms-button")
    for close in ("Escape", "cancel"):
        button.click()
        expect(form).to_be_visible()
        expect(form.locator("[name=text]")).to_be_focused()
        if close == "Escape":
            page.keyboard.press("Escape")
        else:
            form.locator("[data-cancel]").click()
        expect(form).to_be_hidden()
        expect(button).to_be_focused()
    context.close()


def test_an_action_dialog_is_named_by_its_heading(browser: Browser, demo_server: Server) -> None:
    alarm = raise_alarm(demo_server.url, FUTIAN)
    context = desk(browser)
    page = sign_in(context, demo_server.url, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    page.locator("body").press("x")
    dialog = page.get_by_role("dialog", name=f"Close · {alarm['case_number']}")
    expect(dialog).to_be_visible()
    context.close()


def test_a_focused_queue_row_keeps_the_focus_when_a_new_alarm_redraws_the_queue(
    browser: Browser, demo_server: Server
) -> None:
    waiting = raise_alarm(demo_server.url, FUTIAN, category="fraud")
    context = desk(browser)
    page = sign_in(context, demo_server.url, "futian.net")
    row(page, waiting["incident_id"]).focus()
    newcomer = raise_alarm(demo_server.url, FUTIAN, category="traffic")
    expect(row(page, newcomer["incident_id"])).to_be_visible()  # the queue was redrawn
    assert page.evaluate("document.activeElement.dataset.id") == waiting["incident_id"]
    page.keyboard.press("Enter")
    expect(page.locator("#inc-case")).to_have_text(waiting["case_number"])
    context.close()
