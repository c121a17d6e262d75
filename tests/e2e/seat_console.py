"""Helpers for the seat console's browser tests: a desktop context, signing in, pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from tests.support.http import DEMO_PASSWORD

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
# The suite shares small machines with other test runs: wait generously for what must come,
# and state tighter limits (such as the queue's 2 s) where the requirement names them.
expect.set_options(timeout=15_000)
ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "e2e-artefacts" / "seat"

# Keeps the title of every browser notification the page raises and counts the tones it
# plays (both still happen).
NOTIFICATION_PROBE = """
window.__notifications = [];
window.__tones = 0;
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.__notifications.push(title); }
};
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function (...args) {
  window.__tones += 1;
  return createOscillator.apply(this, args);
};
"""


def desk(browser: Browser, locale: str = "en-US") -> BrowserContext:
    """A 1440x900 desktop context that may show notifications."""
    context = browser.new_context(viewport=DESKTOP, locale=locale, permissions=["notifications"])
    context.add_init_script(NOTIFICATION_PROBE)
    context.set_default_timeout(20_000)
    return context


def sign_in(context: BrowserContext, base: str, username: str, path: str = "/seat") -> Page:
    """Opens the console and signs in; returns once the queue has been loaded."""
    page = context.new_page()
    page.goto(base + path)
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#queue > li").first).to_be_visible()
    return page


def console_on(
    browser: Browser, base: str, alarm: dict[str, Any], *, username: str = "futian.net", locale: str = "en-US"
) -> tuple[BrowserContext, Page]:
    """A desk signed in as `username`, with the incident of `alarm` (as `raise_alarm` returns
    it) open in the console."""
    context = desk(browser, locale)
    page = sign_in(context, base, username)
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    return context, page


def row(page: Page, incident_id: str) -> Locator:
    return page.locator(f'#queue [data-id="{incident_id}"]')


def open_incident(page: Page, incident_id: str, case_number: str) -> None:
    row(page, incident_id).click()
    expect(page.locator("#inc-case")).to_have_text(case_number)


def act(page: Page, key: str, **fields: str) -> None:
    """Presses an action's shortcut, fills its dialog's fields by name, confirms."""
    page.locator("body").press(key)
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    for name, value in fields.items():
        field = dialog.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    dialog.locator('button[value="ok"]').click()
    expect(dialog).to_be_hidden()


def report_text(base: str, incident_id: str, headers: dict[str, str], lang: str = "en") -> str:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}/report.html?lang={lang}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.text


def screenshot(page: Page, name: str) -> Path:
    """Saves a picture of the page under build/e2e-artefacts/seat (ignored by git)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
