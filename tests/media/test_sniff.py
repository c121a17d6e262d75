"""Sniffing: the type comes from the leading bytes alone."""

from __future__ import annotations

import pytest

from netalarm.media.sniff import HEAD_BYTES, Sniffed, sniff
from tests.media.samples import EXPECTED, HTML, executable


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_accepted_format_is_recognised(samples: dict[str, bytes], name: str) -> None:
    found = sniff(samples[name][:HEAD_BYTES])
    assert found is not None
    kind, content_type = EXPECTED[name]
    if name == "voice.webm":  # WebM says "video" until its streams are probed
        assert found == Sniffed("video", "video/webm")
    else:
        assert found == Sniffed(kind, content_type)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff",
        executable()[:HEAD_BYTES],
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows program
        HTML,
        b"%PDF-1.7\n",
        b"PK\x03\x04\x14\x00",  # zip, docx, apk
        b"GIF89a\x01\x00",
        b"RIFF\x00\x00\x00\x00AVI LIST",
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",  # AVIF is not on the list
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska",  # Matroska, not WebM
        b"\xff\xfb\x00\x00",  # MP3 sync with a "free" bitrate and nothing else
        b"\xff\xd8",  # two bytes of JPEG are not a JPEG
    ],
)
def test_anything_else_is_not_recognised(head: bytes) -> None:
    assert sniff(head) is None


def test_heic_is_found_by_its_compatible_brand_under_mif1() -> None:
    head = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"
    assert sniff(head) == Sniffed("image", "image/heic")


def test_mp3_with_a_bare_frame_header_is_audio() -> None:
    assert sniff(b"\xff\xfb\x90\x64" + b"\x00" * 100) == Sniffed("audio", "audio/mpeg")
