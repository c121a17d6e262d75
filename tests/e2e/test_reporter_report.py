"""A full report from the reporter app: category, text, address, a photo and a voice note made
in the page with the (fake) camera and microphone, identity remembered; it arrives whole."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.reporter_app import incident, kept, open_app, phone, seat, somewhere_in_futian
from tests.support.servers import Server


def capture(page: Page, kind: str, seconds: float = 0) -> None:
    """Makes a photo, or records `seconds` of video or voice, through the page's own dialog."""
    page.locator(f'[data-media="details"] [data-kind="{kind}"]').tap()
    go = page.locator("#capture .capture-go")
    expect(go).to_be_enabled()
    go.tap()
    if kind != "photo":
        page.wait_for_timeout(seconds * 1000)
        go.tap()
    expect(page.locator("#capture")).to_be_hidden()


def test_a_full_report_arrives_with_its_photo_and_voice_note_uploaded_to_100_percent(
    browser: Browser, demo_server: Server
) -> None:
    base = demo_server.url
    here = somewhere_in_futian()
    context = phone(browser, at=here, media=True)
    page = open_app(context, base)
    page.locator("[data-category=traffic]").tap()
    expect(page.locator('input[name="category"][value="traffic"]')).to_be_checked()
    page.locator("#description").fill("两车相撞，一人受伤倒地")
    page.locator("#address").fill("深南大道与彩田路口")
    capture(page, "photo")
    capture(page, "voice", seconds=1.2)
    expect(page.locator("#attachments li")).to_have_count(2)
    page.locator("#name").fill("李雷")
    page.locator("#phone").fill("13800138000")
    page.locator("#remember").check()

    page.locator("#details-form button[type=submit]").tap()

    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#uploads .upload[data-state=done]")).to_have_count(2)
    assert page.eval_on_selector_all("#uploads progress", "bars => bars.map((b) => b.value)") == [100, 100]
    incident_id = kept(page, "current")["incident_id"]
    arrived = incident(base, incident_id)
    assert arrived["category"] == "traffic"
    assert arrived["silent"] is False
    assert (arrived["location"]["lat"], arrived["location"]["lon"]) == here
    headers = seat(base)
    media = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=headers).json()
    assert sorted(m["kind"] for m in media) == ["audio", "image"]
    assert all(m["size"] > 0 and len(m["sha256"]) == 64 for m in media)
    timeline = httpx.get(f"{base}/api/v1/incidents/{incident_id}/timeline", headers=headers).json()
    described = timeline[0]["data"]
    assert "两车相撞，一人受伤倒地" in str(described) and "深南大道与彩田路口" in str(described)
    who = httpx.get(f"{base}/api/v1/incidents/{incident_id}/reporter", headers=headers).json()
    assert who["name"] == "李雷" and who["phone"].endswith("13800138000")
    assert kept(page, "identity") == {"name": "李雷", "phone": "13800138000"}
    context.close()
