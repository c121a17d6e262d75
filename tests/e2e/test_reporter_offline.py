"""Without a connection the reporter app keeps the alarm, says it is waiting, offers an SMS,
and sends it exactly once when the connection returns; the installed app opens offline, and
while a proxy in front answers 502 for a server that is down."""

from __future__ import annotations

import posixpath
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import httpx
from playwright.sync_api import Browser, expect

from netalarm.channels.sms import keywords
from netalarm.channels.sms.position import position_in
from tests.e2e.reporter_app import incidents_at, kept, open_app, phone, somewhere_in_futian
from tests.support.servers import Server, demo_with


def test_an_alarm_made_offline_waits_offers_an_sms_and_arrives_exactly_once(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, demo_server.url)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}")

    context.set_offline(True)
    page.locator("#sos").tap()

    expect(page.locator("#view-waiting")).to_be_visible()
    expect(page.locator("#view-waiting")).to_contain_text("等待网络连接")
    expect(page.locator("#net")).to_be_visible()
    sms = page.locator("#sms-link").get_attribute("href") or ""
    assert sms.startswith("sms:12110?body=")
    body = unquote(sms.removeprefix("sms:12110?body="))
    assert f"{here[0]:.5f},{here[1]:.5f}" in body
    assert "其他" in body
    # Sent, this SMS raises a silent alarm at the phone's position: a silent SOS stays silent.
    assert body.startswith("静音 ") and keywords.asks_quiet(body)
    found = position_in(body)
    assert found is not None and (round(found.lat, 5), round(found.lon, 5)) == (
        round(here[0], 5),
        round(here[1], 5),
    )
    key = kept(page, "pending")["body"]["idempotency_key"]
    page.locator("#retry").tap()
    expect(page.locator("#view-waiting")).to_be_visible()
    sent = kept(page, "pending")["body"]
    assert sent["idempotency_key"] == key
    assert incidents_at(demo_server.url, here) == []

    context.set_offline(False)

    expect(page.locator("#view-status")).to_be_visible()
    expect(page.locator("#net")).to_be_hidden()
    assert kept(page, "pending") is None
    alarm_id = kept(page, "current")["id"]
    arrived = incidents_at(demo_server.url, here)
    assert len(arrived) == 1
    assert arrived[0]["alarm_ids"] == [alarm_id]
    again = httpx.post(f"{demo_server.url}/api/v1/alarms", json=sent)  # the phone's retry, answer lost
    assert again.status_code == 200 and again.json()["id"] == alarm_id
    stranger = httpx.post(f"{demo_server.url}/api/v1/alarms", json={"idempotency_key": key})
    assert stranger.status_code == 409 and alarm_id not in stranger.text
    context.close()


def test_an_alarm_kept_offline_is_sent_after_the_page_is_reopened(
    browser: Browser, demo_server: Server
) -> None:
    here = somewhere_in_futian()
    context = phone(browser, at=here)
    page = open_app(context, demo_server.url)
    expect(page.locator("#view-home [data-position]")).to_contain_text(f"{here[0]:.5f}")
    context.set_offline(True)
    page.locator("#sos").tap()
    expect(page.locator("#view-waiting")).to_be_visible()
    page.close()

    context.set_offline(False)
    page = open_app(context, demo_server.url)

    expect(page.locator("#view-status")).to_be_visible()
    assert len(incidents_at(demo_server.url, here)) == 1
    context.close()


def test_the_installed_app_opens_without_a_connection(browser: Browser, demo_server: Server) -> None:
    context = phone(browser)
    page = open_app(context, demo_server.url)
    manifest = page.request.get(f"{demo_server.url}/manifest.webmanifest")
    assert manifest.ok
    icons = {icon["sizes"] for icon in manifest.json()["icons"]}
    assert {"192x192", "512x512"} <= icons
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)") == demo_server.url + "/"
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.reload()

    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#sos")).to_be_visible()
    context.close()


STATIC = Path(__file__).resolve().parents[2] / "src" / "netalarm" / "web" / "static"
IMPORT = re.compile(r"""(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)["']([^"']+\.js)["']""", re.MULTILINE)


def _imports(url: str, seen: set[str]) -> set[str]:
    """`url` and every module it imports, directly or not (a /vendor/ one by its path only)."""
    if url in seen:
        return seen
    seen.add(url)
    if url.startswith("/static/"):
        for target in IMPORT.findall((STATIC / url.removeprefix("/static/")).read_text()):
            if not target.startswith("/"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(url), target))
            _imports(target, seen)
    return seen


def test_the_service_worker_keeps_every_module_the_reporter_app_imports() -> None:
    shell = set(re.findall(r'"(/[^"]+)"', (STATIC / "reporter" / "sw.js").read_text().split("];")[0]))
    needed = _imports("/static/reporter/app.js", set())
    assert {"/static/reporter/chat.js", "/static/common/events.js"} <= needed  # the walk finds them
    assert needed - shell == set()


class _BadGateway(BaseHTTPRequestHandler):
    """What a reverse proxy answers while the server behind it is down."""

    def do_GET(self) -> None:
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_the_installed_app_opens_when_a_proxy_answers_502_for_a_server_that_is_down(
    browser: Browser, tmp_path: Path
) -> None:
    with demo_with(tmp_path) as server:
        context = phone(browser)
        page = open_app(context, server.url)
        page.evaluate("navigator.serviceWorker.ready")
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        server.stop()
        proxy = ThreadingHTTPServer(("127.0.0.1", server.port), _BadGateway)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            page.reload()
            page.wait_for_selector("body[data-ready]")
            expect(page.locator("#sos")).to_be_visible()
            expect(page.locator("body")).not_to_contain_text("Bad Gateway")
        finally:
            proxy.shutdown()
            proxy.server_close()
        context.close()
