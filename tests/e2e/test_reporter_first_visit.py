"""A reporter's first visit, with nothing kept on the phone, on a slow connection: the page
fetches its modules at once and compressed, leaves the upload and map libraries for when
they are wanted, and an SOS tapped before the app has started is said at once and sent as
soon as it has. (How long the first visit takes is `bench/first_visit.py`'s to measure.)"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Route, expect

from netalarm.web.pages import STATIC, TEMPLATES
from tests.e2e.reporter_app import incident, kept, phone, somewhere_in_futian
from tests.support.servers import Server

IMPORT = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)
LATER = ("tus.min.js", "leaflet.css", "leaflet-src.esm.js")


def imported_at_start(module: str) -> set[str]:
    """`module` (a URL path) and every module it imports statically, transitively."""
    seen: set[str] = set()
    waiting = [module]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        source = (STATIC / Path(path).relative_to("/static")).read_text()
        for name in IMPORT.findall(source):
            waiting.append(str((Path(path).parent / name).resolve()) if name.startswith(".") else name)
    return seen


def test_the_page_preloads_exactly_the_modules_the_app_imports_at_start() -> None:
    page = (TEMPLATES / "reporter.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    assert preloaded == imported_at_start("/static/reporter/app.js") - {"/static/reporter/app.js"}


def test_pages_and_static_files_go_compressed_to_a_client_that_takes_it_and_plain_to_one_that_does_not(
    demo_server: Server,
) -> None:
    for path in ("/", "/seat", "/static/reporter/strings.js", "/vendor/tus-js-client/dist/tus.min.js"):
        packed = httpx.get(demo_server.url + path, headers={"Accept-Encoding": "gzip"})
        plain = httpx.get(demo_server.url + path, headers={"Accept-Encoding": "identity"})
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert packed.content == plain.content  # httpx unpacks: the same file either way
        assert packed.num_bytes_downloaded < len(plain.content) / 2
    api = httpx.get(demo_server.url + "/api/v1/reporter/config", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in api.headers  # the API's answers are small: not worth the CPU


def test_the_upload_and_map_libraries_are_fetched_when_the_details_form_opens_not_with_the_page(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(demo_server.url + "/")
    page.wait_for_selector("body[data-ready]")
    assert not [url for url in fetched if url.endswith(LATER)]

    page.locator("#open-details").tap()

    expect(page.locator("#map .leaflet-marker-icon")).to_be_visible()
    assert all(any(url.endswith(name) for url in fetched) for name in LATER)
    assert page.evaluate("typeof window.tus.Upload") == "function"
    context.close()


def test_an_sos_tapped_while_the_app_is_still_loading_is_said_at_once_and_sent_when_it_has_loaded(
    browser: Browser, demo_server: Server
) -> None:
    context = phone(browser, at=somewhere_in_futian())
    page = context.new_page()
    held: list[Route] = []
    page.route("**/static/reporter/app.js", lambda route: held.append(route))
    page.goto(demo_server.url + "/", wait_until="commit")
    page.wait_for_function("document.getElementById('sos-hint') !== null")

    page.locator("#sos").tap()

    expect(page.locator("#sos-hint")).to_contain_text("Starting: SOS is sent as soon as the app is ready")
    expect(page.locator("#sos-hint")).to_contain_text("正在启动")
    assert kept(page, "current") is None and kept(page, "pending") is None  # nothing sent yet
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator("#view-status")).to_be_visible()
    sent = kept(page, "current")
    arrived = incident(demo_server.url, sent["incident_id"])
    assert arrived["silent"] is True and arrived["alarm_ids"] == [sent["id"]]
    # One tap, one alarm: the app's own handler did not send a second.
    assert page.evaluate("document.body.dataset.sosEarly") is None
    context.close()
