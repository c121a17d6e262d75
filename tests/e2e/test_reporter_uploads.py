"""A file sent in the chat survives a network drop in the middle of its upload: the page says
it waits, resumes from the server's offset when the connection returns, and the seat gets the
file whole, attached to the chat message. A file chosen offline waits for the connection. An
upload that failed while the server was in trouble is tried again, by itself and with its
Retry button; a file the server refuses is not."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, Request, Route, expect

from tests.e2e.reporter_app import kept, open_app, phone, seat, serious_violations, somewhere_in_futian
from tests.media.samples import photo
from tests.support.servers import Server

SLOW = {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1_000_000}
CUT = {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0}
FAST = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def voice_note(path: Path, seconds: int = 90) -> bytes:
    """A 16 kHz mono WAV of a rising tone, about 2.9 MB."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes((i * 7) % 256 for i in range(16000 * 2 * seconds)))
    return path.read_bytes()


def test_a_chat_attachment_resumes_after_a_network_drop_and_arrives_whole(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    content = voice_note(tmp_path / "note.wav")
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    resumed: list[str] = []
    page.on("request", lambda r: resumed.append(r.url) if _is_tus_head(r) else None)
    network = context.new_cdp_session(page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", SLOW)

    page.locator("#file-chat").set_input_files(str(tmp_path / "note.wav"))
    page.wait_for_function("(document.querySelector('#uploads progress') || {}).value >= 40")
    network.send("Network.emulateNetworkConditions", CUT)

    upload = page.locator("#uploads .upload")
    expect(upload).to_have_attribute("data-state", "waiting")
    network.send("Network.emulateNetworkConditions", FAST)
    expect(upload).to_have_attribute("data-state", "done")
    assert page.locator("#uploads progress").evaluate("(bar) => bar.value") == 100
    assert resumed, "the upload did not ask the server for its offset (no tus HEAD)"

    incident_id = kept(page, "current")["incident_id"]
    headers = seat(base)
    note = next(
        m
        for m in httpx.get(f"{base}/api/v1/incidents/{incident_id}/messages", headers=headers).json()
        if m["from"] == "reporter"
    )
    assert "note.wav" in note["text"]
    media = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=headers).json()
    assert len(media) == 1
    assert media[0]["sha256"] == hashlib.sha256(content).hexdigest()
    assert media[0]["size"] == len(content)
    assert media[0]["message_id"] == note["id"]
    context.close()


def test_a_chat_attachment_chosen_offline_is_sent_when_the_connection_returns(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    content = voice_note(tmp_path / "later.wav", seconds=1)
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    incident_id = kept(page, "current")["incident_id"]

    context.set_offline(True)
    page.locator("#file-chat").set_input_files(str(tmp_path / "later.wav"))
    expect(page.locator("#uploads .upload")).to_have_attribute("data-state", "waiting")
    context.set_offline(False)

    expect(page.locator("#uploads .upload")).to_have_attribute("data-state", "done")
    media = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=seat(base)).json()
    assert [m["sha256"] for m in media] == [hashlib.sha256(content).hexdigest()]
    context.close()


def _is_tus_head(request: Request) -> bool:
    return request.method == "HEAD" and "/api/v1/uploads/" in request.url


def test_a_file_the_server_refuses_says_why_once_and_is_not_uploaded_again_after_a_reload(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo, a video or a voice note\n" * 20)
    context = phone(browser, at=somewhere_in_futian())
    page = open_app(context, demo_server.url)
    page.locator("[data-category=fraud]").tap()
    page.locator("#file-details").set_input_files(str(notes))
    expect(page.locator("#attachments li")).to_have_count(1)

    page.locator("#details-form button[type=submit]").tap()

    refused = page.locator("#uploads .upload")
    expect(refused).to_have_attribute("data-state", "refused")
    expect(refused).to_contain_text("notes.txt：无法接收这种文件")
    expect(refused.locator("progress")).to_be_hidden()
    dropped = "JSON.parse(localStorage.getItem('netalarm.reporter.current')).uploads.length === 0"
    page.wait_for_function(dropped)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/api/v1/uploads" in r.url else None)
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    page.wait_for_timeout(500)

    expect(page.locator("#uploads .upload")).to_have_count(0)
    assert uploads == []
    assert kept(page, "current")["uploads"] == []
    context.close()


class ServerTrouble:
    """Answers 503 to every upload request while `on`, as a server (or its proxy) under
    trouble would; the rest of the API is untouched."""

    def __init__(self, context: BrowserContext) -> None:
        self.on = True
        context.route("**/api/v1/uploads**", self._answer)

    def _answer(self, route: Route) -> None:
        if self.on:
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()


def test_uploads_that_failed_on_a_server_error_are_sent_by_themselves_once_it_recovers(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    (tmp_path / "form.jpg").write_bytes(photo())
    (tmp_path / "chat.jpg").write_bytes(photo(size=(640, 480)))
    context = phone(browser, at=somewhere_in_futian())
    trouble = ServerTrouble(context)
    page = open_app(context, base)
    page.locator("[data-category=fraud]").tap()
    page.locator("#file-details").set_input_files(str(tmp_path / "form.jpg"))
    page.locator("#details-form button[type=submit]").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    page.locator("#file-chat").set_input_files(str(tmp_path / "chat.jpg"))

    rows = page.locator("#uploads .upload")
    for name in ("form.jpg", "chat.jpg"):
        row = rows.filter(has_text=name)
        expect(row).to_have_attribute("data-state", "failed")
        expect(row).to_contain_text(f"{name}：上传失败，稍后自动重试")
        expect(row.get_by_role("button", name=f"重试上传 {name}")).to_be_visible()
    trouble.on = False

    for name in ("form.jpg", "chat.jpg"):
        row = rows.filter(has_text=name)
        expect(row).to_have_attribute("data-state", "done", timeout=25_000)
        expect(row.get_by_role("button")).to_be_hidden()
    incident_id = kept(page, "current")["incident_id"]
    headers = seat(base)
    media = httpx.get(f"{base}/api/v1/incidents/{incident_id}/media", headers=headers).json()
    assert sorted(m["filename"] for m in media) == ["chat.jpg", "form.jpg"]
    note = next(
        m
        for m in httpx.get(f"{base}/api/v1/incidents/{incident_id}/messages", headers=headers).json()
        if "chat.jpg" in m["text"]
    )
    assert note["media_ids"] == [m["id"] for m in media if m["filename"] == "chat.jpg"]
    assert kept(page, "current")["uploads"] == []
    context.close()


def test_the_retry_button_of_a_failed_upload_sends_it_at_once(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    (tmp_path / "door.jpg").write_bytes(photo())
    context = phone(browser, at=somewhere_in_futian(), locale="en-US")
    trouble = ServerTrouble(context)
    page = open_app(context, base)
    page.locator("#sos").tap()
    expect(page.locator("#steps li[data-step=received]")).to_have_class("done")
    page.locator("#file-chat").set_input_files(str(tmp_path / "door.jpg"))
    row = page.locator("#uploads .upload")
    expect(row).to_have_attribute("data-state", "failed")
    expect(row).to_contain_text("door.jpg: upload failed; it is tried again shortly")
    assert serious_violations(page) == []
    trouble.on = False

    row.get_by_role("button", name="Retry uploading door.jpg").tap()

    # Sooner than the first automatic attempt, 5 s after the failure.
    expect(row).to_have_attribute("data-state", "done", timeout=3_000)
    media = httpx.get(
        f"{base}/api/v1/incidents/{kept(page, 'current')['incident_id']}/media", headers=seat(base)
    ).json()
    assert [m["filename"] for m in media] == ["door.jpg"]
    context.close()
