"""`GET /metrics`: the figures of `monitoring.service` for Prometheus.

Open to this machine only, unless `metrics_token` is set: then to a scraper sending it as
its bearer token, from anywhere. A police system's load is not for everyone to read."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from netalarm import __version__
from netalarm.boundary.document import LINK_110, SUPERIOR
from netalarm.core.errors import NotFound
from netalarm.core.http import RuntimeDep, Session, require_secret
from netalarm.monitoring import exposition
from netalarm.monitoring import service as monitoring_service
from netalarm.routing import service as routing_service

router = APIRouter(tags=["operations"])

LOOPBACK = frozenset({"127.0.0.1", "::1"})


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, session: Session, rt: RuntimeDep) -> Response:
    """Prometheus text: open incidents, the oldest unaccepted wait, unsent side effects,
    consoles present. 403 from another machine while `NETALARM_METRICS_TOKEN` is unset; with
    it set, 401 without it as the bearer token."""
    s = rt.settings
    local = request.client is not None and request.client.host in LOOPBACK
    if s.metrics_token or not local:
        require_secret(
            request,
            s.metrics_token,
            who="the scraper",
            off_code="metrics_local_only",
            off_message="metrics are served to this machine only; set NETALARM_METRICS_TOKEN "
            "to scrape from elsewhere",
        )
    targets = [t for t, on in ((LINK_110, s.forwards_to_110), (SUPERIOR, s.has_superior)) if on]
    figures = await monitoring_service.read(session, forward_targets=targets)
    try:
        centre = (await routing_service.root(session, s.centre or None)).code
    except NotFound:  # no centre yet: the figures are all the more worth reading
        centre = s.centre
    info = {"version": __version__, "role": s.role, "centre": centre}
    return Response(exposition.render(figures, info), media_type=CONTENT_TYPE_LATEST)
