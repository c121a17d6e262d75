"""A minimal tus client over httpx, for requests a test wants to shape by hand (the full
client in the tests is tuspy)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx

from tests.support.http import reporter_headers

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def create(
    base: str, alarm: dict[str, Any], length: int, filename: str = "file.bin", **extra: str
) -> httpx.Response:
    headers = {
        **TUS,
        **reporter_headers(alarm),
        "Upload-Length": str(length),
        "Upload-Metadata": metadata(alarm_id=alarm["id"], filename=filename, **extra),
    }
    return httpx.post(f"{base}/api/v1/uploads", headers=headers)


def patch(url: str, alarm: dict[str, Any], offset: int, body: bytes, **headers: str) -> httpx.Response:
    sent = {**TUS, **reporter_headers(alarm), "Upload-Offset": str(offset), "Content-Type": OCTETS}
    sent.update({k.replace("_", "-").title(): v for k, v in headers.items()})
    return httpx.patch(url, headers=sent, content=body, timeout=60)


def head(url: str, alarm: dict[str, Any]) -> httpx.Response:
    return httpx.head(url, headers={**TUS, **reporter_headers(alarm)})


def upload(
    base: str, alarm: dict[str, Any], data: bytes, filename: str, **extra: str
) -> tuple[str, httpx.Response]:
    """Create and send in one PATCH; returns the upload URL and the PATCH's answer (or the
    creation's, if that was refused)."""
    created = create(base, alarm, len(data), filename, **extra)
    if created.status_code != 201:
        return "", created
    url = base + created.headers["location"]
    return url, patch(url, alarm, 0, data)


def media_id(upload_url: str) -> str:
    return upload_url.rsplit("/", 1)[-1]
