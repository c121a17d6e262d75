"""The incident's media in the console: opening an incident reads no original (each read of
evidence is on the record, so only the seat's own play or open reads one, named by its file
on the timeline; a preview is read once per console), and a voice note being played goes on
playing while the incident changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.seat_console import desk, open_incident, sign_in
from tests.media import tus
from tests.media.samples import ffmpeg, photo
from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server

PLAYING = "el => Boolean(el) && !el.paused && el.currentTime > 0"


def _incident_with_media(base: str, folder: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """An alarm with a photo and a minute-long voice note; returns it and media id by name."""
    alarm = raise_alarm(base, FUTIAN, category="violence")
    voice = ffmpeg(
        folder, "voice.mp3", "-f", "lavfi", "-i", "sine=frequency=440:duration=60", "-c:a", "libmp3lame"
    )
    ids = {}
    for name, data in (("door.jpg", photo()), ("voice.mp3", voice)):
        url, done = tus.upload(base, alarm, data, name)
        assert done.status_code == 204, done.text
        ids[name] = tus.media_id(url)
    return alarm, ids


def _reads(base: str, incident_id: str, variant: str) -> list[dict[str, Any]]:
    seat = seat_headers(base, "futian.net")
    entries = httpx.get(f"{base}/api/v1/incidents/{incident_id}/timeline", headers=seat).json()
    return [e for e in entries if e["type"] == "media_downloaded" and e["data"]["variant"] == variant]


def _figure(page: Any, media_id: str) -> Locator:
    locator: Locator = page.locator(f'#media figure[data-id="{media_id}"]')
    return locator


def test_opening_an_incident_reads_no_original_and_a_play_is_recorded_by_file_name(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    alarm, ids = _incident_with_media(base, tmp_path)
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])

    door, voice = _figure(page, ids["door.jpg"]), _figure(page, ids["voice.mp3"])
    expect(door.locator("img.preview")).to_be_visible()  # the server's preview, not the original
    expect(door).to_contain_text("door.jpg")
    expect(door).to_contain_text("photo")
    expect(voice).to_contain_text("voice.mp3")
    expect(voice).to_contain_text("voice note")
    expect(voice).to_contain_text("KB")
    expect(voice.locator("audio")).to_have_count(0)
    assert _reads(base, alarm["incident_id"], "original") == []

    voice.locator("button[data-open]").click()
    expect(voice.locator("audio")).to_have_count(1)
    reads = page.locator('#timeline li[data-type="media_downloaded"]')
    expect(reads).to_have_count(2)
    expect(reads.first).to_contain_text("File “door.jpg” opened (preview image).")
    expect(reads.last).to_contain_text("File “voice.mp3” opened (original).")
    assert [e["data"]["media_id"] for e in _reads(base, alarm["incident_id"], "original")] == [
        ids["voice.mp3"]
    ]

    other = raise_alarm(base, FUTIAN, category="traffic")
    open_incident(page, other["incident_id"], other["case_number"])
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    expect(door.locator("img.preview")).to_be_visible()
    page.wait_for_timeout(1_000)  # time for a second read of the preview, were one made
    assert len(_reads(base, alarm["incident_id"], "preview")) == 1  # once per console, not per visit
    context.close()


def test_a_voice_note_goes_on_playing_while_messages_and_positions_arrive(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    alarm, ids = _incident_with_media(base, tmp_path)
    context = desk(browser)
    page = sign_in(context, base, "futian.net")
    open_incident(page, alarm["incident_id"], alarm["case_number"])
    voice = _figure(page, ids["voice.mp3"])
    voice.locator("button[data-open]").click()
    player = voice.locator("audio")
    page.wait_for_function(f"() => ({PLAYING})(document.querySelector('#media audio'))")
    player.evaluate("el => { el.dataset.kept = 'yes'; }")

    reporter = reporter_headers(alarm)
    httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages", json={"text": "he is outside"}, headers=reporter
    )
    where = {"lat": FUTIAN[0] + 0.001, "lon": FUTIAN[1], "accuracy_m": 10, "source": "gps"}
    httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/locations", json=where, headers=reporter)
    expect(page.locator(".messages .msg.from-reporter")).to_contain_text("he is outside")
    expect(page.locator('#timeline li[data-type="location"]')).to_have_count(1)
    page.wait_for_timeout(500)

    expect(player).to_have_attribute("data-kept", "yes")  # the same element, never rebuilt
    assert player.evaluate(PLAYING) is True
    context.close()


def test_a_messages_paperclip_brings_the_file_sent_with_it_into_view(
    browser: Browser, demo_server: Server, tmp_path: Path
) -> None:
    base = demo_server.url
    alarm, _ = _incident_with_media(base, tmp_path)
    said = httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages",
        json={"text": "📎 knife.png"},
        headers=reporter_headers(alarm),
    )
    assert said.status_code == 201, said.text
    url, done = tus.upload(
        base, alarm, photo("PNG", size=(400, 300)), "knife.png", message_id=said.json()["id"]
    )
    assert done.status_code == 204, done.text
    context = desk(browser, locale="zh-CN")
    page = sign_in(context, base, "futian.net")
    page.set_viewport_size({"width": 1440, "height": 500})  # the media list below the fold
    open_incident(page, alarm["incident_id"], alarm["case_number"])

    clip = page.locator(f'.chat .msg[data-id="{said.json()["id"]}"] button[data-media]')
    expect(clip).to_have_count(1)
    expect(clip).to_have_attribute("title", "查看随此消息发送的文件")
    knife = _figure(page, tus.media_id(url))
    expect(knife).to_contain_text("knife.png")
    expect(knife).not_to_be_in_viewport()
    clip.click()
    expect(knife).to_be_in_viewport()
    expect(knife).to_have_class("revealed")
    expect(knife).not_to_have_class("revealed")  # a moment, then as before
    context.close()
