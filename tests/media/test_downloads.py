"""Seats and reporters getting media back: lists, originals with ranges, previews, evidence
verification, the timeline record of every seat download, chat attachments, and least
privilege (anyone else gets 404)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import pytest

from tests.media import tus
from tests.media.conftest import MediaServer
from tests.media.samples import GPS_LAT, GPS_LON
from tests.support.http import FUTIAN, LUOHU, raise_alarm, reporter_headers, seat_headers


def _uploaded(
    server: MediaServer, data: bytes, name: str, alarm: dict[str, Any] | None = None
) -> tuple[dict[str, Any], str]:
    alarm = alarm or raise_alarm(server.url, FUTIAN)
    url, done = tus.upload(server.url, alarm, data, name)
    assert done.status_code == 204, done.text
    return alarm, tus.media_id(url)


def _timeline(base: str, alarm: dict[str, Any], seat: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=seat)
    entries: list[dict[str, Any]] = answer.json()
    return entries


def test_the_seat_lists_the_incidents_media_with_hashes(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm, photo = _uploaded(media_server, samples["photo.jpg"], "IMG_0001.JPG")
    alarm, voice = _uploaded(media_server, samples["voice.mp3"], "voice.mp3", alarm)
    listed = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/media", headers=seat).json()
    assert [(m["id"], m["kind"], m["content_type"]) for m in listed] == [
        (photo, "image", "image/jpeg"),
        (voice, "audio", "audio/mpeg"),
    ]
    assert listed[0]["sha256"] == hashlib.sha256(samples["photo.jpg"]).hexdigest()
    assert listed[0]["size"] == len(samples["photo.jpg"]) and listed[0]["filename"] == "IMG_0001.JPG"
    assert (listed[0]["width"], listed[0]["height"]) == (800, 600)


def test_the_hash_is_on_the_timeline_and_the_chain_verifies(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm, media_id = _uploaded(media_server, samples["clip.webm"], "clip.webm")
    (entry,) = [e for e in _timeline(base, alarm, seat) if e["type"] == "media_attached"]
    assert entry["actor"].startswith("reporter:")
    assert entry["data"]["media_id"] == media_id
    assert entry["data"]["sha256"] == hashlib.sha256(samples["clip.webm"]).hexdigest()
    assert entry["data"]["size"] == len(samples["clip.webm"]) and entry["data"]["kind"] == "video"
    verified = httpx.get(
        f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline/verify", headers=seat
    ).json()
    assert verified["ok"] is True


def test_exif_gps_becomes_a_secondary_location_hint(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm = raise_alarm(base, (22.55, 114.06))
    alarm, media_id = _uploaded(media_server, samples["photo.jpg"], "gps.jpg", alarm)
    listed = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/media", headers=seat).json()
    hint = listed[0]["location_hint"]
    assert hint["source"] == "exif"
    assert hint["lat"] == pytest.approx(GPS_LAT, abs=1e-4) and hint["lon"] == pytest.approx(GPS_LON, abs=1e-4)
    (entry,) = [e for e in _timeline(base, alarm, seat) if e["type"] == "location_hint"]
    assert entry["data"]["source"] == "exif" and entry["data"]["media_id"] == media_id
    incident = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}", headers=seat).json()
    assert incident["location"]["source"] == "gps"  # the reporter's own position stays primary


def test_range_requests_return_exactly_the_asked_bytes(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    data = samples["clip.mov"]
    alarm, media_id = _uploaded(media_server, data, "clip.mov")
    url = f"{base}/api/v1/incidents/{alarm['incident_id']}/media/{media_id}"
    whole = httpx.get(url, headers=seat)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "video/quicktime"
    size = len(data)
    for asked, start, end in [
        ("bytes=0-99", 0, 100),
        ("bytes=1000-", 1000, size),
        ("bytes=-500", size - 500, size),
        (f"bytes={size - 10}-{size + 1000}", size - 10, size),
    ]:
        part = httpx.get(url, headers={**seat, "Range": asked})
        assert part.status_code == 206, asked
        assert part.content == data[start:end], asked
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
    past = httpx.get(url, headers={**seat, "Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"


def test_previews_are_jpegs_for_photos_and_videos_and_absent_for_sound(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm, photo = _uploaded(media_server, samples["photo.heic"], "photo.heic")
    alarm, video = _uploaded(media_server, samples["clip.mp4"], "clip.mp4", alarm)
    alarm, sound = _uploaded(media_server, samples["voice.wav"], "voice.wav", alarm)
    media = f"{base}/api/v1/incidents/{alarm['incident_id']}/media"
    for media_id in (photo, video):
        preview = httpx.get(f"{media}/{media_id}/preview", headers=seat)
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
        assert preview.content.startswith(b"\xff\xd8")
    assert httpx.get(f"{media}/{sound}/preview", headers=seat).status_code == 404


def test_every_seat_download_is_a_timeline_entry(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm, media_id = _uploaded(media_server, samples["photo.png"], "p.png")
    url = f"{base}/api/v1/incidents/{alarm['incident_id']}/media/{media_id}"
    httpx.get(url, headers=seat)
    httpx.get(url, headers={**seat, "Range": "bytes=0-9"})
    httpx.get(f"{url}/preview", headers=seat)
    downloads = [e for e in _timeline(base, alarm, seat) if e["type"] == "media_downloaded"]
    assert [(e["actor"], e["data"]["variant"], e["data"]["range"]) for e in downloads] == [
        ("seat:futian.net", "original", None),
        ("seat:futian.net", "original", "bytes=0-9"),
        ("seat:futian.net", "preview", None),
    ]


def test_a_seat_read_on_the_timeline_names_the_file_and_its_form_in_both_languages(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    alarm, media_id = _uploaded(media_server, samples["photo.png"], "门口.png")
    url = f"{base}/api/v1/incidents/{alarm['incident_id']}/media/{media_id}"
    httpx.get(url, headers=seat)
    httpx.get(f"{url}/preview", headers=seat)
    timeline = f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline"
    said = {
        lang: [
            e["words"]
            for e in httpx.get(f"{timeline}?lang={lang}", headers=seat).json()
            if e["type"] == "media_downloaded"
        ]
        for lang in ("en", "zh")
    }
    assert said == {
        "en": ["File “门口.png” opened (original).", "File “门口.png” opened (preview image)."],
        "zh": ["打开文件“门口.png”（原件）。", "打开文件“门口.png”（预览图）。"],
    }


def test_verify_recomputes_the_stored_hash_and_catches_tampering(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    data = samples["voice.m4a"]
    alarm, media_id = _uploaded(media_server, data, "voice.m4a")
    verify = f"{base}/api/v1/incidents/{alarm['incident_id']}/media/{media_id}/verify"
    good = httpx.get(verify, headers=seat).json()
    assert good["ok"] is True and good["timeline_ok"] is True
    assert good["sha256_recorded"] == good["sha256_stored"] == hashlib.sha256(data).hexdigest()
    tampered = bytearray(data)
    tampered[-1] ^= 0xFF
    asyncio.run(media_server.backend.storage.put(f"originals/{media_id}", bytes(tampered)))
    bad = httpx.get(verify, headers=seat).json()
    assert bad["ok"] is False and bad["timeline_ok"] is True
    assert bad["sha256_recorded"] == hashlib.sha256(data).hexdigest() != bad["sha256_stored"]
    checks = [e["data"]["ok"] for e in _timeline(base, alarm, seat) if e["type"] == "media_verified"]
    assert checks == [True, False]
    said = {
        lang: [
            e["words"]
            for e in httpx.get(
                f"{base}/api/v1/incidents/{alarm['incident_id']}/timeline?lang={lang}", headers=seat
            ).json()
            if e["type"] == "media_verified"
        ]
        for lang in ("en", "zh")
    }
    assert said == {
        "en": [
            "File “voice.m4a” checked against its hash: it matches.",
            "File “voice.m4a” checked against its hash: "
            "IT DOES NOT MATCH, the stored file is not the one received.",
        ],
        "zh": [
            "按哈希校验文件“voice.m4a”：一致。",
            "按哈希校验文件“voice.m4a”：不一致，存储的文件不是收到的那一份。",
        ],
    }


def test_a_seat_of_another_centre_gets_404_for_everything(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base = media_server.url
    alarm, media_id = _uploaded(media_server, samples["photo.jpg"], "p.jpg")
    outsider = seat_headers(base, "luohu.net")
    media = f"{base}/api/v1/incidents/{alarm['incident_id']}/media"
    for url in (media, f"{media}/{media_id}", f"{media}/{media_id}/preview", f"{media}/{media_id}/verify"):
        assert httpx.get(url, headers=outsider).status_code == 404, url
    assert httpx.get(f"{media}/{media_id}", headers=seat_headers(base, "shenzhen.net")).status_code == 200


def test_a_media_id_of_another_incident_is_404_even_for_its_own_seat(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, seat = media_server.url, seat_headers(media_server.url, "futian.net")
    _, media_id = _uploaded(media_server, samples["photo.jpg"], "p.jpg")
    other = raise_alarm(base, FUTIAN)
    answer = httpx.get(f"{base}/api/v1/incidents/{other['incident_id']}/media/{media_id}", headers=seat)
    assert answer.status_code == 404


def test_the_reporter_downloads_their_own_files_and_no_one_elses(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base = media_server.url
    alarm, media_id = _uploaded(media_server, samples["photo.webp"], "w.webp")
    own = f"{base}/api/v1/alarms/{alarm['id']}/media/{media_id}"
    answer = httpx.get(own, headers=reporter_headers(alarm))
    assert answer.status_code == 200 and answer.content == samples["photo.webp"]
    assert httpx.get(f"{own}/preview", headers=reporter_headers(alarm)).status_code == 200
    stranger = raise_alarm(base, LUOHU)
    assert httpx.get(own, headers=reporter_headers(stranger)).status_code == 404
    theirs = f"{base}/api/v1/alarms/{stranger['id']}/media/{media_id}"
    assert httpx.get(theirs, headers=reporter_headers(stranger)).status_code == 404
    assert httpx.get(own).status_code == 401


def test_an_upload_for_a_chat_message_is_attached_to_it(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    messages = f"{base}/api/v1/alarms/{alarm['id']}/messages"
    message = httpx.post(messages, json={"text": "this is him"}, headers=reporter_headers(alarm)).json()
    url, done = tus.upload(base, alarm, samples["photo.jpg"], "him.jpg", message_id=message["id"])
    assert done.status_code == 204
    listed = httpx.get(messages, headers=reporter_headers(alarm)).json()
    assert [m["media_ids"] for m in listed if m["id"] == message["id"]] == [[tus.media_id(url)]]
    seat = seat_headers(base, "futian.net")
    media = httpx.get(f"{base}/api/v1/incidents/{alarm['incident_id']}/media", headers=seat).json()
    assert media[0]["message_id"] == message["id"]


def test_an_upload_cannot_name_a_message_of_another_alarm(media_server: MediaServer) -> None:
    base = media_server.url
    alarm, other = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    foreign = httpx.post(
        f"{base}/api/v1/alarms/{other['id']}/messages", json={"text": "hi"}, headers=reporter_headers(other)
    ).json()
    refused = tus.create(base, alarm, 100, "a.jpg", message_id=foreign["id"])
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "message_id"


def test_messages_may_only_name_media_of_their_own_alarm(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base = media_server.url
    alarm, media_id = _uploaded(media_server, samples["photo.jpg"], "p.jpg")
    other = raise_alarm(base, FUTIAN)
    ok = httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages",
        json={"media_ids": [media_id]},
        headers=reporter_headers(alarm),
    )
    assert ok.status_code == 201 and ok.json()["media_ids"] == [media_id]
    refused = httpx.post(
        f"{base}/api/v1/alarms/{other['id']}/messages",
        json={"media_ids": [media_id]},
        headers=reporter_headers(other),
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "media_ids"
    seat = seat_headers(base, "futian.net")
    seat_refused = httpx.post(
        f"{base}/api/v1/incidents/{other['incident_id']}/messages",
        json={"media_ids": [media_id]},
        headers=seat,
    )
    assert seat_refused.status_code == 422
