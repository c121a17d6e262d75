"""How soon a reporter's very first visit can raise an alarm on a poor phone connection.

One server on the embedded defaults (SQLite, media folder, the demo). Debian's Chromium
opens the reporter app with an empty cache, on a connection throttled as Chrome's DevTools
profiles do (latency added to every request, download and upload capped), and the time runs
from the navigation to the app being ready (`body[data-ready]`: the SOS button works; a tap
before that is kept and sent then). Also counted: the requests and the bytes on the wire
until then. Each profile runs `--rounds` times (a new browser each time); medians.
Target: ready within 3 s on "slow 3G" (400 ms, 400 kbit/s). Prints one JSON object.

    python bench/first_visit.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

from common import netalarm, report, server
from playwright.async_api import Browser, Request, async_playwright

# name: (added latency in ms, bytes per second each way)
PROFILES = {"slow_3g": (400, 50_000), "2g": (800, 30_000)}


async def visit(browser: Browser, url: str, latency_ms: int, bytes_per_s: int) -> dict[str, float]:
    context = await browser.new_context()
    page = await context.new_page()
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    throttle = {"latency": latency_ms, "downloadThroughput": bytes_per_s, "uploadThroughput": bytes_per_s}
    await cdp.send("Network.emulateNetworkConditions", {"offline": False, **throttle})
    started = time.monotonic()
    await page.goto(url, wait_until="commit")
    await page.wait_for_selector("body[data-ready]", state="attached", timeout=120_000)
    ready = time.monotonic() - started
    sizes = [await request.sizes() for request in finished]
    await context.close()
    wire = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    return {"ready_s": ready, "requests": len(sizes), "bytes": wire}


async def measure(url: str, rounds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with async_playwright() as playwright:
        for name, (latency_ms, bytes_per_s) in PROFILES.items():
            runs = []
            for _ in range(rounds):
                browser = await playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    headless=True,
                    args=["--no-sandbox", "--disable-background-networking"],
                )
                try:
                    runs.append(await visit(browser, url, latency_ms, bytes_per_s))
                finally:
                    await browser.close()
            figures[name] = {
                "ready_s": round(statistics.median(r["ready_s"] for r in runs), 2),
                "requests": int(statistics.median(r["requests"] for r in runs)),
                "bytes": int(statistics.median(r["bytes"] for r in runs)),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {"NETALARM_DATA_DIR": data, "NETALARM_DATABASE_URL": ""}
        netalarm(["demo"], env)
        with server(env) as (url, _):
            figures = asyncio.run(measure(url + "/", args.rounds))
    profiles = {n: {"latency_ms": lat, "kbit_per_s": bps * 8 // 1000} for n, (lat, bps) in PROFILES.items()}
    settings = {"rounds": args.rounds, "profiles": profiles}
    report("first_visit", settings, {"ready_s_slow_3g": figures["slow_3g"]["ready_s"], "profiles": figures})


if __name__ == "__main__":
    main()
