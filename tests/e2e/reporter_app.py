"""Helpers for the reporter app's browser tests: a phone-sized context at a given place,
reading what the page keeps on the device, and asking the seat API what arrived."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.support.http import seat_headers

PHONE: ViewportSize = {"width": 360, "height": 640}
ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "e2e-artefacts" / "reporter"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Records every way a page could make a sound or buzz, before any page script runs.
NOISE_PROBE = """
window.__noise = [];
const note = (what) => window.__noise.push(what);
for (const name of ["AudioContext", "webkitAudioContext", "OfflineAudioContext"]) {
  if (window[name]) {
    const Real = window[name];
    window[name] = function (...args) { note(name); return new Real(...args); };
  }
}
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function (...args) { note("play"); return play.apply(this, args); };
Object.defineProperty(Navigator.prototype, "vibrate", { value: () => { note("vibrate"); return true; } });
if (window.speechSynthesis) {
  window.speechSynthesis.speak = () => note("speak");
}
"""


def somewhere_in_futian() -> tuple[float, float]:
    """A point of its own per test, so each test finds its alarm by position."""
    return round(22.53 + random.random() * 0.02, 6), round(114.04 + random.random() * 0.03, 6)


def phone(
    browser: Browser,
    *,
    at: tuple[float, float] | None = None,
    accuracy: float = 12,
    locale: str = "zh-CN",
    media: bool = False,
    dark: bool = False,
) -> BrowserContext:
    """A 360x640 touch context with the given position (and camera/microphone) allowed; with
    `dark`, the phone is set to its dark appearance."""
    permissions = ["geolocation"] if at else []
    if media:
        permissions += ["camera", "microphone"]
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        geolocation={"latitude": at[0], "longitude": at[1], "accuracy": accuracy} if at else None,
        permissions=permissions,
        color_scheme="dark" if dark else "light",
    )
    context.set_default_timeout(10_000)
    return context


def open_app(context: BrowserContext, base: str, path: str = "/") -> Page:
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_selector("body[data-ready]")
    return page


def kept(page: Page, key: str) -> Any:
    """What the app keeps on the device under `netalarm.reporter.<key>`."""
    return json.loads(page.evaluate(f"localStorage.getItem('netalarm.reporter.{key}') || 'null'"))


def seat(base: str) -> dict[str, str]:
    """The city's network seat: it sees every incident of the demo."""
    return seat_headers(base, "shenzhen.net")


def incident(base: str, incident_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}", headers=seat(base))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def seat_messages(base: str, incident_id: str, headers: dict[str, str]) -> list[dict[str, str]]:
    answer = httpx.get(f"{base}/api/v1/incidents/{incident_id}/messages", headers=headers)
    assert answer.status_code == 200, answer.text
    messages: list[dict[str, str]] = answer.json()
    return messages


def incidents_at(base: str, point: tuple[float, float]) -> list[dict[str, Any]]:
    """Every incident whose position is exactly `point` (newest 200 looked at)."""
    answer = httpx.get(f"{base}/api/v1/incidents", params={"limit": 200}, headers=seat(base))
    assert answer.status_code == 200, answer.text
    return [
        i for i in answer.json() if i["location"] and (i["location"]["lat"], i["location"]["lon"]) == point
    ]


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Saves a picture of the page under build/e2e-artefacts/reporter (ignored by git)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("'axe' in window"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
