"""The ASGI application: one per server process."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from netalarm import __version__
from netalarm.accounts.api import router as accounts_router
from netalarm.boundary import puller as link_puller
from netalarm.boundary.api import router as link_router
from netalarm.channels.phone.api import router as phone_router
from netalarm.channels.sms import worker as sms_worker
from netalarm.channels.sms.api import router as sms_router
from netalarm.channels.sms.inbound_api import router as sms_inbound_router
from netalarm.core import migrate
from netalarm.core.db import make_engine, make_sessionmaker
from netalarm.core.http import Runtime, RuntimeDep, install_error_handlers
from netalarm.core.settings import Settings, get_settings
from netalarm.exports.api import router as exports_router
from netalarm.federation import incoming as federation_incoming
from netalarm.federation import worker as federation_worker
from netalarm.federation.api import router as federation_router
from netalarm.incidents.api import router as incidents_router
from netalarm.incidents.queue_api import router as queue_router
from netalarm.intake.api import router as intake_router
from netalarm.intake.batcher import IntakeBatcher
from netalarm.media import runtime as media_runtime
from netalarm.media.api import router as media_router
from netalarm.media.tus import router as tus_router
from netalarm.messaging.api import router as messaging_router
from netalarm.messaging.receipts_api import router as receipts_router
from netalarm.monitoring.api import router as monitoring_router
from netalarm.realtime import runtime as realtime
from netalarm.realtime.api import router as realtime_router
from netalarm.routing.api import router as routing_router
from netalarm.supervision.api import router as supervision_router
from netalarm.verification.api import router as verification_router
from netalarm.web import pages

# Young-generation collections every 10,000 allocations rather than 700: a request makes
# hundreds of short-lived objects, and each collection is a pause for every request.
GC_YOUNG_THRESHOLD = 10_000


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database is migrated when it starts serving."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        await migrate.upgrade(engine)
        app.state.runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            key=settings.resolved_secret_key(),
        )
        app.state.realtime = await realtime.start(app.state.runtime)
        app.state.media = await media_runtime.start(settings, app.state.runtime.sessions)
        app.state.partials = federation_incoming.Partials()
        app.state.intake = IntakeBatcher(
            app.state.runtime.sessions, centre=settings.centre, timezone=settings.timezone
        )
        app.state.intake.start()
        app.state.sms = await sms_worker.start(settings, app.state.runtime.sessions)
        app.state.link = await link_puller.start(
            settings, app.state.runtime.sessions, app.state.media.storage
        )
        app.state.federation = await federation_worker.start(
            settings, app.state.runtime.sessions, app.state.media.storage
        )
        # Everything made so far lives as long as the process: out of the collector's way, so
        # its full passes under load walk only what requests make (shorter pauses).
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield
        finally:
            if app.state.federation is not None:
                await app.state.federation.stop()
            if app.state.link is not None:
                await app.state.link.stop()
            await app.state.sms.stop()
            await app.state.intake.stop()
            await app.state.partials.drop_all(app.state.media.storage)
            await app.state.media.stop()
            await app.state.realtime.stop()
            await engine.dispose()

    app = FastAPI(
        title="netalarm",
        version=__version__,
        description='Network alarm and disposal system. Errors are `{"error": {code, message, field}}`.',
        lifespan=lifespan,
        # netalarm exports no OpenTelemetry; asking on every request whether it should was
        # about 1 % of a busy server's CPU.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    for router in (
        intake_router,
        messaging_router,
        accounts_router,
        incidents_router,
        queue_router,
        routing_router,
    ):
        app.include_router(router)
    app.include_router(exports_router)
    app.include_router(receipts_router)
    app.include_router(realtime_router)
    app.include_router(supervision_router)
    app.include_router(tus_router)
    app.include_router(media_router)
    app.include_router(sms_router)
    app.include_router(sms_inbound_router)
    app.include_router(phone_router)
    app.include_router(verification_router)
    app.include_router(link_router)
    app.include_router(federation_router)
    app.include_router(monitoring_router)
    pages.mount(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, Any]:
        """The process is alive."""
        return {"ok": True, "version": __version__}

    @app.get("/readyz", tags=["operations"])
    async def readyz(rt: RuntimeDep) -> Any:
        """The database answers and its schema is at the newest migration."""
        try:
            async with rt.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            revision = await migrate.current(rt.engine)
        except Exception as exc:  # any failure to reach the database means "not ready"
            body = {"ok": False, "database": False, "error": type(exc).__name__}
            return JSONResponse(body, status_code=503)
        expected = migrate.heads()
        ok = revision == expected
        body = {"ok": ok, "database": True, "revision": sorted(revision), "expected": sorted(expected)}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
