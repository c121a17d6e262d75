"""The reporter app's pages in both languages: no serious accessibility violations (axe-core
from npm), and phone-size pictures of each for people to look at."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.reporter_app import (
    kept,
    open_app,
    phone,
    screenshot,
    seat,
    serious_violations,
    somewhere_in_futian,
)
from tests.support.servers import Server


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_page_is_accessible_and_photographed_in_both_languages(
    browser: Browser, demo_server: Server, locale: str
) -> None:
    base, lang = demo_server.url, locale[:2]
    here = somewhere_in_futian()
    context = phone(browser, at=here, locale=locale)
    page = open_app(context, base)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}")
    screenshot(page, f"home-{lang}")
    assert serious_violations(page) == []

    page.locator("[data-category=medical]").tap()
    expect(page.locator("#map .pin")).to_be_visible()
    expect(page.locator("#map path.leaflet-interactive").first).to_be_attached()
    screenshot(page, f"details-{lang}", full_page=True)
    assert serious_violations(page) == []

    page.locator("#details-back").tap()
    page.locator("#sos").tap()
    expect(page.locator("#sent-note")).to_be_visible()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    screenshot(page, f"sos-confirmation-{lang}")

    incident_id = kept(page, "current")["incident_id"]
    headers = seat(base)
    for action, body in (("accept", {}), ("dispatch", {"note": "unit 3"})):
        answer = httpx.post(
            f"{base}/api/v1/incidents/{incident_id}/actions/{action}", json=body, headers=headers
        )
        assert answer.status_code == 200, answer.text
    text = "警员已出发，请保持安全。" if lang == "zh" else "Officers are on their way. Stay safe."
    said = httpx.post(f"{base}/api/v1/incidents/{incident_id}/messages", json={"text": text}, headers=headers)
    assert said.status_code == 201, said.text
    expect(page.locator("#messages .msg.theirs")).to_contain_text(text)
    expect(page.locator("#steps li[data-step=dispatched]")).to_have_class("done")
    screenshot(page, f"status-dim-{lang}", full_page=True)
    assert serious_violations(page) == []
    page.locator("#undim").tap()
    screenshot(page, f"status-{lang}", full_page=True)
    assert serious_violations(page) == []
    context.close()


def _luminance(page: Page, selector: str, prop: str) -> float:
    """Relative luminance (0 black … 1 white) of a computed colour of the first match."""
    rgb = page.locator(selector).first.evaluate(
        f"el => getComputedStyle(el)['{prop}'].match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number)"
    )
    return float(sum(w * c / 255 for w, c in zip((0.2126, 0.7152, 0.0722), rgb, strict=True)))


def test_a_phone_in_dark_mode_gets_a_dark_app_that_is_still_accessible(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian(), locale="en-US", dark=True)
    page = open_app(context, demo_server.url)
    assert _luminance(page, "body", "backgroundColor") < 0.1
    assert _luminance(page, "body", "color") > 0.8
    screenshot(page, "home-dark")
    assert serious_violations(page) == []
    page.locator("[data-category=medical]").tap()
    expect(page.locator("#map .pin")).to_be_visible()
    assert _luminance(page, "textarea", "backgroundColor") < 0.1
    screenshot(page, "details-dark", full_page=True)
    assert serious_violations(page) == []
    context.close()
