"""Web pages: the reporter PWA (`/`, `/report`) and the seat console (`/seat`), their own
static files, and the browser libraries installed from npm (`/vendor`)."""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from netalarm.core.clock import iso, utcnow
from netalarm.core.http import RuntimeDep

WEB = Path(__file__).resolve().parent
STATIC = WEB / "static"
TEMPLATES = WEB / "templates"
# package.json sits at the repository root; `make run` / `make test` run `npm install` there.
NODE_MODULES = Path(os.environ.get("NETALARM_NODE_MODULES", WEB.parents[2] / "node_modules"))
VENDOR_PACKAGES = ("leaflet", "tus-js-client", "lucide-static")

router = APIRouter(include_in_schema=False)


@functools.cache
def _gzipped(name: str, mtime_ns: int) -> bytes:
    """The page `name` as it was at `mtime_ns`, gzipped (kept: a page is sent on every visit)."""
    return gzip.compress((TEMPLATES / name).read_bytes(), compresslevel=6)


def _page(name: str, request: Request) -> Response:
    """A page, never taken from a cache unasked; gzipped for a client that takes it, as the
    static files are (`_files`)."""
    html, headers = "text/html; charset=utf-8", {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = _gzipped(name, (TEMPLATES / name).stat().st_mtime_ns)
        return Response(body, media_type=html, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(TEMPLATES / name, media_type=html, headers=headers)


@router.get("/")
@router.get("/report")
async def reporter_page(request: Request, rt: RuntimeDep) -> Response:
    """The reporter app; an intranet server has no citizens to serve, so it shows its 110 seat
    console instead."""
    if rt.settings.role == "intranet":
        return RedirectResponse("/seat", status_code=307)
    return _page("reporter.html", request)


@router.get("/sw.js")
async def reporter_service_worker() -> FileResponse:
    """The reporter app's service worker, served from the root so its scope covers `/`."""
    return FileResponse(
        STATIC / "reporter" / "sw.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/manifest.webmanifest")
async def reporter_manifest() -> FileResponse:
    return FileResponse(
        STATIC / "reporter" / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/api/v1/reporter/config")
async def reporter_config(rt: RuntimeDep) -> dict[str, str]:
    """What the reporter app needs from the settings: the alarm SMS number and the map tiles."""
    return {
        "sms_number": rt.settings.sms_number,
        "map_tile_url": rt.settings.map_tile_url,
        "map_tile_attribution": rt.settings.map_tile_attribution,
    }


@router.get("/seat")
async def seat_page(request: Request) -> Response:
    return _page("seat.html", request)


@router.get("/api/v1/seat/config")
async def seat_config(rt: RuntimeDep) -> dict[str, object]:
    """What the seat console needs from the settings: SLA seconds per priority (time to
    accept), the idle sign-out time, the map tiles (empty URL: outlines only), and the 110
    link (`role` of this server; `enabled`: forwarding to 110, or pulling from outside), and
    whether a root centre's escalation goes to a superior server; `server_time`, this server's
    clock now, by which the console reads waiting times whatever its own clock says."""
    s = rt.settings
    link_on = s.forwards_to_110 or (s.role == "intranet" and bool(s.link_token and s.link_url))
    return {
        "link_110": {"role": s.role, "enabled": link_on},
        "superior": s.has_superior,
        "sla_s": {"P1": s.sla_p1_s, "P2": s.sla_p2_s, "P3": s.sla_p3_s, "P4": s.sla_p4_s},
        "idle_timeout_s": s.seat_idle_timeout_s,
        "map_tile_url": s.map_tile_url,
        "map_tile_attribution": s.map_tile_attribution,
        "server_time": iso(utcnow()),
    }


def _files(directory: Path) -> ASGIApp:
    """`directory`'s files, gzipped for a client that takes it: a first visit on a slow phone
    connection fetches about a third of the bytes (the API is not compressed: its answers are
    small, and the CPU is the intake's)."""
    return GZipMiddleware(StaticFiles(directory=directory), minimum_size=1024, compresslevel=6)


def mount(app: FastAPI) -> None:
    """Serve the pages, /static (project files) and /vendor/<package> (npm libraries)."""
    app.include_router(router)
    app.mount("/static", _files(STATIC), name="static")
    for package in VENDOR_PACKAGES:
        folder = NODE_MODULES / package
        if folder.is_dir():
            app.mount(f"/vendor/{package}", _files(folder), name=f"vendor-{package}")
