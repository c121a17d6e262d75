"""The tus 1.0 protocol at /api/v1/uploads, driven by a real tus client (tuspy) and by hand."""

from __future__ import annotations

import asyncio
import hashlib
import io
import socket
import time
from urllib.parse import urlsplit

import httpx
from tusclient.client import TusClient
from tusclient.uploader import Uploader

from tests.media import tus
from tests.media.conftest import MediaServer
from tests.support.http import FUTIAN, raise_alarm, reporter_headers


class Sha256Uploader(Uploader):
    """tuspy sends `Upload-Checksum` with SHA-1 by default; this server takes SHA-256."""

    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


def big_video(samples: dict[str, bytes], size: int) -> bytes:
    """A valid MP4 padded to `size` bytes with a free box (players skip it), so the stored
    file is both large and a real video."""
    clip = samples["clip.mp4"]
    pad = size - len(clip)
    return (
        clip
        + pad.to_bytes(4, "big")
        + b"free"
        + bytes(range(256)) * ((pad - 8) // 256)
        + b"\0" * ((pad - 8) % 256)
    )


def test_options_advertises_version_extensions_and_checksum(media_server: MediaServer) -> None:
    answer = httpx.options(f"{media_server.url}/api/v1/uploads")
    assert answer.status_code == 204
    assert answer.headers["tus-version"] == "1.0.0" and answer.headers["tus-resumable"] == "1.0.0"
    assert set(answer.headers["tus-extension"].split(",")) >= {"creation", "termination", "checksum"}
    assert answer.headers["tus-checksum-algorithm"] == "sha256"
    assert answer.headers["tus-max-size"] == str(16 * 1024 * 1024)
    assert "Upload-Offset" in answer.headers["access-control-expose-headers"]


def test_tuspy_upload_interrupted_halfway_resumes_and_stores_the_exact_bytes(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = big_video(samples, 11 * 1024 * 1024 + 12345)  # > one S3 part, not a multiple of it
    client = TusClient(f"{base}/api/v1/uploads", headers=reporter_headers(alarm))
    first = Sha256Uploader(
        file_stream=io.BytesIO(data),
        client=client,
        chunk_size=1024 * 1024 + 7,
        metadata={"alarm_id": alarm["id"], "filename": "long-video.mp4"},
        upload_checksum=True,
    )
    first.upload(stop_at=len(data) // 2)  # then the "phone" loses the network
    assert first.url is not None
    resumed = Sha256Uploader(
        file_stream=io.BytesIO(data), url=first.url, client=client, chunk_size=3 * 1024 * 1024
    )
    assert len(data) // 2 <= resumed.offset < len(data)
    resumed.upload()
    assert tus.head(first.url, alarm).headers["upload-offset"] == str(len(data))
    media = _listed(media_server, alarm, tus.media_id(first.url))
    assert media["sha256"] == hashlib.sha256(data).hexdigest() and media["size"] == len(data)
    assert media["kind"] == "video" and media["content_type"] == "video/mp4"
    stored = httpx.get(f"{base}{media['url']}", headers=reporter_headers(alarm)).content
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_connection_dropped_mid_body_keeps_what_arrived_and_resumes_from_there(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = big_video(samples, 3 * 1024 * 1024)
    url = base + tus.create(base, alarm, len(data), "drop.mp4").headers["location"]
    sent = _send_and_drop(url, alarm, data, cut=1_500_000)
    offset = _settled_offset(url, alarm)
    assert 0 < offset <= sent  # whatever the server stored, never more than was sent
    rest = tus.patch(url, alarm, offset, data[offset:])
    assert rest.status_code == 204 and rest.headers["upload-offset"] == str(len(data))
    assert _listed(media_server, alarm, tus.media_id(url))["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_patch_at_the_wrong_offset_is_409_and_changes_nothing(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = samples["photo.jpg"]
    url = base + tus.create(base, alarm, len(data), "p.jpg").headers["location"]
    assert tus.patch(url, alarm, 0, data[:1000]).headers["upload-offset"] == "1000"
    wrong = tus.patch(url, alarm, 0, data[:1000])
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "offset_mismatch"
    assert tus.head(url, alarm).headers["upload-offset"] == "1000"


def test_a_checksum_mismatch_is_460_and_the_chunk_is_discarded(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = samples["photo.png"]
    url = base + tus.create(base, alarm, len(data), "p.png").headers["location"]
    bad = tus.patch(url, alarm, 0, data[:5000], upload_checksum=tus.checksum(b"something else"))
    assert bad.status_code == 460 and bad.json()["error"]["code"] == "checksum_mismatch"
    assert tus.head(url, alarm).headers["upload-offset"] == "0"
    good = tus.patch(url, alarm, 0, data, upload_checksum=tus.checksum(data))
    assert good.status_code == 204 and good.headers["upload-offset"] == str(len(data))


def test_only_sha256_checksums_are_understood(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url = base + tus.create(base, alarm, 10, "x.jpg").headers["location"]
    answer = tus.patch(url, alarm, 0, b"0123456789", upload_checksum="md5 AAAA")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "Upload-Checksum"


def test_termination_deletes_an_unfinished_upload(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = samples["clip.mov"]
    url = base + tus.create(base, alarm, len(data), "c.mov").headers["location"]
    tus.patch(url, alarm, 0, data[:50_000])
    gone = httpx.delete(url, headers={**tus.TUS, **reporter_headers(alarm)})
    assert gone.status_code == 204
    assert tus.head(url, alarm).status_code == 404
    assert _keys_of(media_server, tus.media_id(url)) == []


def test_a_file_of_a_refused_type_is_refused_on_its_first_patch_not_after_all_of_it(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    junk = bytes(range(256)) * 256  # 64 KiB that are no photo, video or sound
    url = base + tus.create(base, alarm, len(junk) * 16, "video.mp4").headers["location"]
    refused = tus.patch(url, alarm, 0, junk)
    assert refused.status_code == 415 and refused.json()["error"]["field"] == "file"
    assert tus.head(url, alarm).status_code == 404
    assert _keys_of(media_server, tus.media_id(url)) == []
    real = samples["clip.mov"]
    url = base + tus.create(base, alarm, len(real), "c.mov").headers["location"]
    assert tus.patch(url, alarm, 0, real[:50_000]).status_code == 204  # a real one goes on


def test_a_finished_upload_cannot_be_deleted(media_server: MediaServer, samples: dict[str, bytes]) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url, done = tus.upload(base, alarm, samples["photo.webp"], "w.webp")
    assert done.status_code == 204
    refused = httpx.delete(url, headers={**tus.TUS, **reporter_headers(alarm)})
    assert refused.status_code == 409
    assert tus.head(url, alarm).headers["upload-offset"] == str(len(samples["photo.webp"]))


def test_uploads_need_the_reporters_own_token_and_alarm(media_server: MediaServer) -> None:
    base = media_server.url
    alarm, other = raise_alarm(base, FUTIAN), raise_alarm(base, FUTIAN)
    anonymous = httpx.post(
        f"{base}/api/v1/uploads",
        headers={
            **tus.TUS,
            "Upload-Length": "10",
            "Upload-Metadata": tus.metadata(alarm_id=alarm["id"], filename="a"),
        },
    )
    assert anonymous.status_code == 401
    foreign = httpx.post(
        f"{base}/api/v1/uploads",
        headers={
            **tus.TUS,
            **reporter_headers(other),
            "Upload-Length": "10",
            "Upload-Metadata": tus.metadata(alarm_id=alarm["id"], filename="a"),
        },
    )
    assert foreign.status_code == 404
    url = base + tus.create(base, alarm, 10, "a.jpg").headers["location"]
    assert tus.head(url, other).status_code == 404
    assert tus.patch(url, other, 0, b"0123456789").status_code == 404


def test_creation_refuses_bad_headers_with_the_field_named(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    headers = {**tus.TUS, **reporter_headers(alarm)}
    cases = [
        ({"Upload-Metadata": tus.metadata(alarm_id=alarm["id"], filename="a")}, 400, "Upload-Length"),
        (
            {"Upload-Length": "-1", "Upload-Metadata": tus.metadata(alarm_id=alarm["id"], filename="a")},
            400,
            "Upload-Length",
        ),
        ({"Upload-Length": "10", "Upload-Metadata": tus.metadata(filename="a")}, 400, "alarm_id"),
        ({"Upload-Length": "10", "Upload-Metadata": tus.metadata(alarm_id=alarm["id"])}, 400, "filename"),
        ({"Upload-Length": "10", "Upload-Metadata": "alarm_id !!!"}, 400, "Upload-Metadata"),
        (
            {"Upload-Length": "10", "Upload-Metadata": tus.metadata(alarm_id="nope", filename="a")},
            422,
            "alarm_id",
        ),
    ]
    for extra, status, field in cases:
        answer = httpx.post(f"{base}/api/v1/uploads", headers={**headers, **extra})
        assert (answer.status_code, answer.json()["error"]["field"]) == (status, field), extra
        assert answer.headers["tus-resumable"] == "1.0.0"


def test_a_client_of_another_tus_version_gets_412(media_server: MediaServer) -> None:
    alarm = raise_alarm(media_server.url, FUTIAN)
    answer = httpx.post(
        f"{media_server.url}/api/v1/uploads",
        headers={**reporter_headers(alarm), "Tus-Resumable": "0.2.2", "Upload-Length": "1"},
    )
    assert answer.status_code == 412 and answer.headers["tus-version"] == "1.0.0"


def test_patch_needs_the_offset_octet_stream_type(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url = base + tus.create(base, alarm, 10, "a.jpg").headers["location"]
    answer = tus.patch(url, alarm, 0, b"0123456789", content_type="application/json")
    assert answer.status_code == 415 and answer.json()["error"]["field"] == "Content-Type"


def test_a_body_longer_than_upload_length_is_413(media_server: MediaServer) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    url = base + tus.create(base, alarm, 10, "a.jpg").headers["location"]
    assert tus.patch(url, alarm, 0, b"x" * 11).status_code == 413
    assert tus.head(url, alarm).headers["upload-offset"] == "0"


def test_method_override_lets_post_carry_a_patch(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = samples["voice.ogg"]
    url = base + tus.create(base, alarm, len(data), "v.ogg").headers["location"]
    headers = {
        **tus.TUS,
        **reporter_headers(alarm),
        "X-HTTP-Method-Override": "PATCH",
        "Upload-Offset": "0",
        "Content-Type": tus.OCTETS,
    }
    answer = httpx.post(url, headers=headers, content=data)
    assert answer.status_code == 204 and answer.headers["upload-offset"] == str(len(data))


# helpers


def _listed(server: MediaServer, alarm: dict[str, str], media_id: str) -> dict[str, object]:
    listed = httpx.get(f"{server.url}/api/v1/alarms/{alarm['id']}/media", headers=reporter_headers(alarm))
    assert listed.status_code == 200, listed.text
    found = [m for m in listed.json() if m["id"] == media_id]
    assert found, listed.json()
    media: dict[str, object] = found[0]
    return media


def _keys_of(server: MediaServer, upload_id: str) -> list[str]:
    return [k for k in asyncio.run(server.backend.storage.keys()) if upload_id in k]


def _send_and_drop(url: str, alarm: dict[str, str], data: bytes, cut: int) -> int:
    """Send a PATCH announcing all of `data` but close the socket after `cut` bytes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(_patch_head(url, alarm, len(data)) + data[:cut])
        time.sleep(0.3)
    return cut


def _patch_head(url: str, alarm: dict[str, str], length: int) -> bytes:
    """The request line and headers of a PATCH at offset 0 announcing `length` bytes."""
    parts = urlsplit(url)
    return (
        f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: Bearer {alarm['reporter_token']}\r\nUpload-Offset: 0\r\n"
        f"Content-Type: {tus.OCTETS}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _settled_offset(url: str, alarm: dict[str, str]) -> int:
    """The offset once the server has noticed the drop and released the upload."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = tus.head(url, alarm)
        offset = int(answer.headers["upload-offset"])
        if offset > 0:
            return offset
        time.sleep(0.1)
    raise AssertionError("the server kept nothing of the dropped request")


def test_a_second_patch_while_one_is_streaming_is_423(
    media_server: MediaServer, samples: dict[str, bytes]
) -> None:
    base, alarm = media_server.url, raise_alarm(media_server.url, FUTIAN)
    data = big_video(samples, 2 * 1024 * 1024)
    url = base + tus.create(base, alarm, len(data), "busy.mp4").headers["location"]
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as slow:
        slow.sendall(_patch_head(url, alarm, len(data)) + data[:100_000])
        time.sleep(0.5)  # the slow request holds the upload now
        busy = tus.patch(url, alarm, 0, data)
        assert busy.status_code == 423 and busy.json()["error"]["code"] == "upload_busy"
    offset = _settled_offset(url, alarm)
    assert tus.patch(url, alarm, offset, data[offset:]).status_code == 204
