"""Export HTTP: the incident as an EIDO (NENA-STA-021.1a-2022 JSON) for other public-safety
systems; the printable report, and the signed link the console opens it with.

A new browser tab cannot send the console's bearer header, so the console first asks for a
link (`POST …/report-link`, bearer) and opens that: the link is signed for this incident
and seat and expires after `report_link_ttl_s`. The report itself also accepts the bearer.
A browser (asking for HTML) that opens an expired or forged link gets a small page saying so,
with the same 401; other clients get the JSON error."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from netalarm.accounts import service as accounts_service
from netalarm.core.errors import Unauthorized
from netalarm.core.http import RuntimeDep, SeatDep, Session, bearer, current_seat, parse_uuid
from netalarm.exports import eido, links, render, report
from netalarm.incidents import service as incident_service
from netalarm.media import service as media_service
from netalarm.timeline.words import Language

router = APIRouter(prefix="/api/v1/incidents", tags=["exports"])
REFUSED_HEADERS = {"Cache-Control": "no-store", "WWW-Authenticate": "Bearer"}


@router.get("/{incident_id}/export.eido.json")
async def export_eido(incident_id: str, session: Session, rt: RuntimeDep, seat: SeatDep) -> JSONResponse:
    """The incident as an EIDO message (see `exports.eido`): for seats that may see the
    incident (404 otherwise). It holds no reporter identity, so it is not an identity read."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    document = await eido.document(session, incident, role=rt.settings.role)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.post("/{incident_id}/report-link")
async def report_link(
    incident_id: str, session: Session, rt: RuntimeDep, seat: SeatDep, lang: Language = "en"
) -> dict[str, str]:
    """A link to the report that works without the bearer header, for `report_link_ttl_s`."""
    incident = await incident_service.get_visible(session, seat, parse_uuid(incident_id, "incident_id"))
    params = links.sign(rt.key, incident.id, seat.seat_id, rt.settings.report_link_ttl_s)
    query = "&".join(f"{k}={v}" for k, v in {**params, "lang": lang}.items())
    return {"url": f"/api/v1/incidents/{incident.id}/report.html?{query}"}


@router.get("/{incident_id}/report.html", response_class=HTMLResponse)
async def report_html(
    incident_id: str,
    request: Request,
    session: Session,
    rt: RuntimeDep,
    lang: Language = "en",
    seat: str | None = None,
    exp: str | None = None,
    sig: str | None = None,
) -> HTMLResponse:
    """The printable report of the whole event: with the seat's bearer, or a signed link."""
    incident_uuid = parse_uuid(incident_id, "incident_id")
    if bearer(request):
        identity = await current_seat(request, session)
    elif seat and exp and sig:
        try:
            seat_id = links.check(rt.key, incident_uuid, seat, exp, sig)
        except Unauthorized as refused:
            if "text/html" not in request.headers.get("accept", ""):
                raise
            page = render.link_refused(lang, expired=refused.field == "exp")
            return HTMLResponse(page, status_code=refused.status, headers=REFUSED_HEADERS)
        identity = await accounts_service.seat_identity(session, seat_id)
    else:
        raise Unauthorized("a seat bearer token or a signed report link is required", field="sig")
    incident = await incident_service.get_visible(session, identity, incident_uuid)
    base = f"/api/v1/incidents/{incident.id}/media"
    media = [media_service.public(m, base) for m in await media_service.for_incident(session, incident)]
    gathered = await report.gather(session, identity, incident, media)
    return HTMLResponse(
        render.html(gathered, lang, rt.settings.timezone), headers={"Cache-Control": "no-store"}
    )
