"""The real type of a file, from its leading bytes alone (never its name or declared type)."""

from __future__ import annotations

from dataclasses import dataclass

# How many leading bytes `sniff` needs to decide.
HEAD_BYTES = 4096

# ISO base media (MP4 family) major and compatible brands.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_QUICKTIME_BRANDS = {b"qt  "}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"F4A "}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash",
    b"M4V ", b"M4VH", b"M4VP", b"MSNV", b"NDAS", b"f4v ", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"mmp4",
}  # fmt: skip


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image, video or audio
    content_type: str


def sniff(head: bytes) -> Sniffed | None:
    """The type of a file starting with `head` if it is one we accept, else None.

    Accepted: JPEG, PNG, WebP, HEIC images; MP4, QuickTime, WebM videos; WebM/Opus, Ogg,
    M4A/AAC, MP3, WAV audio. Whether a WebM or MP4 holds video or only sound is decided
    later, by probing its streams."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav")
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _matroska(head)
    if head.startswith(b"OggS"):
        return Sniffed("audio", "audio/ogg")
    if head.startswith(b"ID3") or _mpeg_audio_frame(head):
        return Sniffed("audio", "audio/mpeg")
    if _adts_frame(head):
        return Sniffed("audio", "audio/aac")
    return None


def _iso_media(head: bytes) -> Sniffed | None:
    size = int.from_bytes(head[:4], "big")
    if size < 16 or size > len(head):
        size = min(len(head), 64)
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, size - 3, 4)}
    if major in _HEIC_BRANDS or (major in {b"mif1", b"msf1"} and brands & _HEIC_BRANDS):
        return Sniffed("image", "image/heic")
    if major in _QUICKTIME_BRANDS:
        return Sniffed("video", "video/quicktime")
    if major in _M4A_BRANDS:
        return Sniffed("audio", "audio/mp4")
    if major in _MP4_BRANDS or brands & _MP4_BRANDS:
        return Sniffed("video", "video/mp4")
    return None


def _matroska(head: bytes) -> Sniffed | None:
    # The EBML header names the DocType within its first few dozen bytes; only WebM is taken.
    window = head[:64]
    if b"\x42\x82" in window and b"webm" in window:
        return Sniffed("video", "video/webm")
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG-1/2 Layer III frame header: 11 sync bits, a valid version, layer III, and a
    bitrate and sample rate that are not reserved."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 0xF) and rate != 0b11


def _adts_frame(head: bytes) -> bool:
    """An AAC ADTS frame header: 12 sync bits, layer 00, a sampling index that is not reserved."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        return False
    return (head[2] >> 2) & 0xF < 13
