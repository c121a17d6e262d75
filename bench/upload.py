"""Upload throughput of a 1 GiB video against the machine's plain disk write speed.

A server process on the embedded defaults (SQLite, media in a local folder) receives one
1 GiB file over tus (one creation, one streaming PATCH, as tus-js-client sends by default);
the time runs from creation to the answer of the last PATCH, so it includes the server's
checks on completion (type sniffing, ffprobe, poster frame, SHA-256 of the stored file). In
the same run, and in the same folder, the disk's own speed is measured: 1 GiB written in
1 MiB blocks and fsync'ed, as the server does. The server's resident memory is sampled all
along; its peak growth over the idle baseline is reported. Targets: at least half the disk
speed, less than 64 MiB of growth. Both speeds swing from run to run on a shared virtual
disk (the disk's by a factor of two), so the disk probe and the upload alternate `--rounds`
times (the machine's page cache flushed before each) and the medians are compared; the
memory growth is the peak over all of them. Prints one JSON object (see bench/README.md).

    python bench/upload.py [--mib 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from common import netalarm, report, server

BLOCK = 1024 * 1024


def video_of(size: int, folder: Path) -> Path:
    """A real MP4 (a few seconds of ffmpeg's test pattern) padded to `size` bytes with a
    `free` box, which players and ffprobe skip: a valid video of exactly that size."""
    clip = folder / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25:duration=4",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    data = clip.read_bytes()
    pad = size - len(data)
    path = folder / "evidence.mp4"
    block = os.urandom(BLOCK)
    with path.open("wb") as out:
        out.write(data + pad.to_bytes(4, "big") + b"free")
        left = pad - 8
        while left > 0:
            out.write(block[: min(BLOCK, left)])
            left -= min(BLOCK, left)
    return path


def disk_mib_per_s(folder: Path, size: int) -> float:
    """Plain write speed: `size` bytes in 1 MiB blocks, then fsync."""
    block = os.urandom(BLOCK)
    path = folder / "disk-probe.bin"
    started = time.perf_counter()
    with path.open("wb") as out:
        for _ in range(size // BLOCK):
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    path.unlink()
    return size / BLOCK / elapsed


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """The highest resident memory of one process, read every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while block := file.read(BLOCK):
            yield block


def upload(base: str, path: Path) -> tuple[float, str]:
    """Upload `path` as a reporter; returns the seconds taken and the server's SHA-256."""
    alarm = httpx.post(f"{base}/api/v1/alarms", json={"idempotency_key": f"bench-{time.time_ns()}"}).json()
    auth = {"Authorization": f"Bearer {alarm['reporter_token']}", "Tus-Resumable": "1.0.0"}
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
                    {"alarm_id": alarm["id"], "filename": path.name}.items())  # fmt: skip
    size = path.stat().st_size
    started = time.perf_counter()
    created = httpx.post(
        f"{base}/api/v1/uploads", headers={**auth, "Upload-Length": str(size), "Upload-Metadata": meta}
    )
    created.raise_for_status()
    done = httpx.patch(
        base + created.headers["location"],
        headers={**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
                 "Content-Length": str(size)},
        content=chunks(path),
        timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.status_code != 204:
        raise RuntimeError(f"upload failed: {done.status_code} {done.text}")
    listed = httpx.get(f"{base}/api/v1/alarms/{alarm['id']}/media", headers=auth).json()
    return elapsed, listed[0]["sha256"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024, help="size of the uploaded file")
    parser.add_argument("--rounds", type=int, default=3, help="disk probes and uploads, alternating")
    args = parser.parse_args()
    size = args.mib * BLOCK
    with tempfile.TemporaryDirectory(prefix="netalarm-bench-upload-", dir=os.environ.get("TMPDIR")) as tmp:
        folder = Path(tmp)
        source = video_of(size, folder)
        expected = hashlib.sha256(source.read_bytes()).hexdigest() if args.mib <= 64 else None
        env = {
            "NETALARM_DATA_DIR": str(folder / "data"),
            "NETALARM_DATABASE_URL": "",
            "NETALARM_MEDIA_URL": "",
        }
        netalarm(["demo"], env)
        disks: list[float] = []
        uploads: list[float] = []
        with server(env) as (base, process):
            time.sleep(1)  # let start-up allocations settle before the baseline
            baseline = rss_kib(process.pid)
            sampler = Sampler(process.pid)
            sampler.start()
            for _ in range(args.rounds):
                # Each measure starts with nothing of the one before still being written back.
                os.sync()
                disks.append(disk_mib_per_s(folder, size))
                os.sync()
                elapsed, sha256 = upload(base, source)
                uploads.append(args.mib / elapsed)
                if expected is not None and sha256 != expected:
                    raise RuntimeError("the stored file does not hash to the original")
            sampler.running = False
            sampler.join()
    disk, mib_per_s = statistics.median(disks), statistics.median(uploads)
    report(
        "upload",
        {"mib": args.mib, "database": "sqlite", "media": "local folder", "patches": 1, "rounds": args.rounds},
        {
            "mib_per_s": round(mib_per_s, 1),
            "disk_mib_per_s": round(disk, 1),
            "ratio_to_disk": round(mib_per_s / disk, 2),
            "mib_per_s_each": [round(u, 1) for u in uploads],
            "disk_mib_per_s_each": [round(d, 1) for d in disks],
            "rss_baseline_mib": round(baseline / 1024, 1),
            "rss_growth_mib": round((sampler.peak - baseline) / 1024, 1),
            "targets": {"ratio_to_disk": ">= 0.5", "rss_growth_mib": "< 64"},
        },
    )


if __name__ == "__main__":
    main()
