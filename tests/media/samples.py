"""Real media files made on the spot (Pillow, pillow-heif, ffmpeg) and a few impostors."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pillow_heif
from PIL import Image

# Futian, Shenzhen, as EXIF writes it: degrees, minutes, seconds.
GPS_LAT, GPS_LON = 22.5431, 114.0579


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def photo(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), gps: bool = False) -> bytes:
    """A gradient photo; with `gps`, EXIF carries the Futian position."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: _dms(GPS_LAT), 3: "E", 4: _dms(GPS_LON)}
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG that does not compress: about 3·side² bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def heic() -> bytes:
    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, quality=50)
    return out.getvalue()


def ffmpeg(folder: Path, name: str, *args: str) -> bytes:
    """Run ffmpeg with lavfi test sources; returns the file it wrote."""
    path = folder / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *args, str(path)], check=True, capture_output=True, timeout=120
    )
    return path.read_bytes()


VIDEO = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2"]
SOUND = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]


def all_samples(folder: Path) -> dict[str, bytes]:
    """name → bytes for every accepted type; the name's extension is only for reading."""
    return {
        "photo.jpg": photo(gps=True),
        "photo.png": photo("PNG", (400, 300)),
        "photo.webp": photo("WEBP", (400, 300)),
        "photo.heic": heic(),
        "clip.mp4": ffmpeg(folder, "clip.mp4", *VIDEO, "-c:v", "libx264", "-pix_fmt", "yuv420p"),
        "clip.mov": ffmpeg(folder, "clip.mov", *VIDEO, "-c:v", "mjpeg"),
        "clip.webm": ffmpeg(folder, "clip.webm", *VIDEO, "-c:v", "libvpx", "-b:v", "200k"),
        "voice.webm": ffmpeg(folder, "voice.webm", *SOUND, "-c:a", "libopus"),
        "voice.ogg": ffmpeg(folder, "voice.ogg", *SOUND, "-c:a", "libvorbis"),
        "voice.m4a": ffmpeg(folder, "voice.m4a", *SOUND, "-c:a", "aac"),
        "voice.aac": ffmpeg(folder, "voice.aac", *SOUND, "-c:a", "aac", "-f", "adts"),
        "voice.mp3": ffmpeg(folder, "voice.mp3", *SOUND, "-c:a", "libmp3lame"),
        "voice.wav": ffmpeg(folder, "voice.wav", *SOUND),
    }


EXPECTED = {
    "photo.jpg": ("image", "image/jpeg"),
    "photo.png": ("image", "image/png"),
    "photo.webp": ("image", "image/webp"),
    "photo.heic": ("image", "image/heic"),
    "clip.mp4": ("video", "video/mp4"),
    "clip.mov": ("video", "video/quicktime"),
    "clip.webm": ("video", "video/webm"),
    "voice.webm": ("audio", "audio/webm"),
    "voice.ogg": ("audio", "audio/ogg"),
    "voice.m4a": ("audio", "audio/mp4"),
    "voice.aac": ("audio", "audio/aac"),
    "voice.mp3": ("audio", "audio/mpeg"),
    "voice.wav": ("audio", "audio/wav"),
}

HTML = b"<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n"


def executable() -> bytes:
    """A real ELF program (the Python interpreter's first 64 KiB will do: an ELF header)."""
    with open("/bin/ls", "rb") as file:
        return file.read(65536)
