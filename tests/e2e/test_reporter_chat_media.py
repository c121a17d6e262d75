"""A photo sent in the chat (after a silent SOS the only way to send one) is kept on the device
until the seat has it: a reload in the middle of its upload resumes it from the server's
offset, and one chosen offline is still there after a reload and goes when the connection
returns. Either way it arrives once, in the one chat message made for it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, Response, expect

from tests.e2e.reporter_app import kept, open_app, phone, seat, somewhere_in_futian
from tests.support.servers import Server

SLOW = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 400_000}
FAST = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def noisy_photo(path: Path, size: tuple[int, int] = (1200, 900)) -> bytes:
    """A JPEG of random pixels: it hardly compresses (about 2.5 MB at this size)."""
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(path, "JPEG", quality=95)
    return path.read_bytes()


def sos(page: Page) -> dict[str, Any]:
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    current: dict[str, Any] = kept(page, "current")
    return current


def kept_blobs(page: Page) -> list[str]:
    """The keys of the files the app keeps in IndexedDB."""
    keys: list[str] = page.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("netalarm-reporter", 1);
          open.onsuccess = () => {
            const all = open.result.transaction("media").objectStore("media").getAllKeys();
            all.onsuccess = () => { open.result.close(); resolve(all.result); };
          };
        })"""
    )
    return keys


def what_the_seat_has(base: str, incident_id: str, name: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """The reporter's chat messages naming `name`, and the incident's files."""
    headers = seat(base)
    messages = httpx.get(f"{base}/api/v1/incidents/{incident_id}/messages", headers=headers).json()
    media = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=headers).json()
    return [m for m in messages if m["from"] == "reporter" and name in m["text"]], media


def test_a_chat_photo_survives_a_reload_mid_upload_and_arrives_once_in_its_message(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    content = noisy_photo(tmp_path / "big.jpg")
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    incident_id = sos(page)["incident_id"]
    network = context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", SLOW)
    page.locator("#file-chat").set_input_files(str(tmp_path / "big.jpg"))
    page.wait_for_function("(document.querySelector('#uploads progress') || {}).value >= 45")

    offsets: list[int] = []

    def note_offset(response: Response) -> None:
        if response.request.method == "HEAD" and "/api/v1/uploads/" in response.url:
            offsets.append(int(response.headers["upload-offset"]))

    page.on("response", note_offset)
    page.reload()
    page.wait_for_selector("body[data-ready]")
    network.send("Network.emulateNetworkConditions", FAST)

    row = page.locator("#uploads .upload")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-state", "done", timeout=20_000)
    expect(row).to_contain_text("big.jpg：已上传")
    # A busy server may still be storing the cut-off request at the first look (offset 0);
    # the client asks again and goes on from there rather than starting over.
    assert max(offsets, default=0) > len(content) // 4, f"not resumed from the server's offset: {offsets}"
    messages, media = what_the_seat_has(base, incident_id, "big.jpg")
    assert len(messages) == 1, messages
    assert [(m["sha256"], m["message_id"]) for m in media] == [
        (hashlib.sha256(content).hexdigest(), messages[0]["id"])
    ]
    assert messages[0]["media_ids"] == [media[0]["id"]]
    assert kept(page, "current")["uploads"] == []
    assert kept_blobs(page) == []
    context.close()


def test_a_chat_photo_chosen_offline_survives_a_reload_and_is_sent_once_back_online(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    content = noisy_photo(tmp_path / "later.jpg", size=(320, 240))
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    incident_id = sos(page)["incident_id"]
    page.reload()  # now under the service worker, which opens the page offline
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.locator("#file-chat").set_input_files(str(tmp_path / "later.jpg"))
    row = page.locator("#uploads .upload")
    expect(row).to_have_attribute("data-state", "waiting")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-state", "waiting")
    expect(row).to_contain_text("later.jpg：等待网络后继续")
    # No file yet. (Its chat message may already be there: under the emulated cut the browser
    # has been seen to let that POST reach the server and fail only its answer, which the
    # message's key covers: asked again, the server answers with that same message.)
    assert what_the_seat_has(base, incident_id, "later.jpg")[1] == []

    context.set_offline(False)

    expect(row).to_have_attribute("data-state", "done")
    messages, media = what_the_seat_has(base, incident_id, "later.jpg")
    assert len(messages) == 1, messages
    assert [(m["sha256"], m["message_id"]) for m in media] == [
        (hashlib.sha256(content).hexdigest(), messages[0]["id"])
    ]
    assert messages[0]["media_ids"] == [media[0]["id"]]
    expect(page.locator("#messages li.mine")).to_have_count(1)
    assert kept(page, "current")["uploads"] == []
    assert kept_blobs(page) == []
    context.close()
