"""Checking a finished upload and making its derived files.

Images are opened with Pillow (HEIC through pillow-heif): a file that does not decode to
the end is refused, a JPEG thumbnail is made, and the EXIF GPS position is read. Videos and
sound are probed with ffprobe (duration, size, streams); a video also gets a poster frame
from ffmpeg. The original is only ever read.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from netalarm.core.errors import UnsupportedMedia
from netalarm.media.sniff import Sniffed
from netalarm.media.storage import Storage

pillow_heif.register_heif_opener()

THUMBNAIL_PX = 320
POSTER_WIDTH_PX = 640
TOOL_TIMEOUT_S = 300
_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
# A file sniffed as a container that turns out to hold only sound.
_AUDIO_ONLY = {"video/mp4": "audio/mp4", "video/quicktime": "audio/mp4", "video/webm": "audio/webm"}


@dataclass(frozen=True)
class Inspected:
    kind: str
    content_type: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    preview: bytes | None = None
    gps: tuple[float, float] | None = None


def corrupt(what: str) -> UnsupportedMedia:
    return UnsupportedMedia(
        f"the file looks like {what} but does not decode", code="corrupt_media", field="file"
    )


async def inspect(storage: Storage, key: str, sniffed: Sniffed) -> Inspected:
    """Decode the stored original enough to trust it, and make its preview. Raises
    `UnsupportedMedia` (415, code `corrupt_media`) when it does not decode."""
    if sniffed.kind == "image":
        async with storage.local_copy(key) as path:
            return await asyncio.to_thread(_image, path, sniffed)
    async with storage.tool_input(key) as source:
        return await _timed(source, sniffed)


def _image(path: Path, sniffed: Sniffed) -> Inspected:
    try:
        with Image.open(path) as probe:
            if probe.format != _PILLOW_FORMATS[sniffed.content_type]:
                raise corrupt(sniffed.content_type)
            probe.verify()
        with Image.open(path) as image:
            image.load()  # a truncated file fails here
            gps = _gps(image.getexif())
            upright = ImageOps.exif_transpose(image)
            width, height = upright.size
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise corrupt(sniffed.content_type) from exc
    return Inspected("image", sniffed.content_type, width, height, None, out.getvalue(), gps)


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """The (lat, lon) of the EXIF GPS block, if present and on Earth."""
    info: dict[int, Any] = dict(exif.get_ifd(0x8825))
    try:
        lat = _degrees(info[2]) * (-1 if str(info.get(1, "N")).upper().startswith("S") else 1)
        lon = _degrees(info[4]) * (-1 if str(info.get(3, "E")).upper().startswith("W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0.0, 0.0):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(value: Any) -> float:
    d, m, s = (float(x) for x in value)
    return d + m / 60 + s / 3600


async def _run(*args: str) -> tuple[int, bytes]:
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), TOOL_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return -1, b""
    return process.returncode or 0, out


async def _timed(source: str, sniffed: Sniffed) -> Inspected:
    code, out = await _run(
        "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", source
    )
    try:
        probe = json.loads(out) if code == 0 else {}
    except ValueError:
        probe = {}
    streams = probe.get("streams", [])
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    duration = _float(probe.get("format", {}).get("duration"))
    if sniffed.kind == "video" and videos:
        poster = await _poster(source, duration)
        width, height = videos[0].get("width"), videos[0].get("height")
        return Inspected("video", sniffed.content_type, width, height, duration, poster)
    audio_type = _AUDIO_ONLY.get(sniffed.content_type, sniffed.content_type)
    if audios and (sniffed.kind == "audio" or audio_type != sniffed.content_type):
        return Inspected("audio", audio_type, duration_s=duration)
    raise corrupt(sniffed.content_type)


def _float(value: Any) -> float | None:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None


async def _poster(source: str, duration: float | None) -> bytes | None:
    """A JPEG frame from early in the video (a second in, or its middle if shorter)."""
    at = min(1.0, duration / 2) if duration else 0.0
    code, out = await _run(
        "ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", source, "-frames:v", "1",
        "-vf", f"scale='min({POSTER_WIDTH_PX},iw)':-2",
        "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "4", "pipe:1",
    )  # fmt: skip
    return out if code == 0 and out.startswith(b"\xff\xd8") else None
