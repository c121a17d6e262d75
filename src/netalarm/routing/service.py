"""Centre tree and routing by jurisdiction."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

import shapely
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.core.errors import Conflict, Invalid, NotFound
from netalarm.routing.geo import normalise_geojson, prepared_area
from netalarm.routing.models import Centre


async def add_centre(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    parent_code: str | None = None,
    geojson: Any | None = None,
) -> Centre:
    """Create a centre under `parent_code` (or as a root). Codes are unique."""
    code = code.strip()
    if not code or "/" in code or len(code) > 32:
        raise Invalid("centre code must be 1-32 characters without '/'", field="code")
    if await session.scalar(select(Centre.id).where(Centre.code == code)):
        raise Conflict(f"centre {code} exists", field="code")
    parent = await get_by_code(session, parent_code) if parent_code else None
    centre = Centre(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else '/'}{code}/",
        depth=parent.depth + 1 if parent else 0,
        jurisdiction=normalise_geojson(geojson) if geojson is not None else None,
    )
    session.add(centre)
    await session.flush()
    _routers.clear()
    return centre


async def get_by_code(session: AsyncSession, code: str) -> Centre:
    centre = await session.scalar(select(Centre).where(Centre.code == code))
    if centre is None:
        raise NotFound(f"no centre {code}", field="centre")
    return centre


async def get(session: AsyncSession, centre_id: uuid.UUID) -> Centre:
    centre = await session.get(Centre, centre_id)
    if centre is None:
        raise NotFound("no such centre", field="centre")
    return centre


async def root(session: AsyncSession, code: str | None = None) -> Centre:
    """The centre this server serves: `code` if given, else the oldest root centre."""
    if code:
        return await get_by_code(session, code)
    centre = await session.scalar(
        select(Centre).where(Centre.parent_id.is_(None)).order_by(Centre.created_at, Centre.id).limit(1)
    )
    if centre is None:
        raise NotFound("no centre configured; run `netalarm demo` or `netalarm centre add`", field="centre")
    return centre


async def subtree(session: AsyncSession, centre: Centre) -> list[Centre]:
    """The centre and every centre below it, deepest first."""
    rows = await session.scalars(select(Centre).where(Centre.path.startswith(centre.path, autoescape=True)))
    return sorted(rows, key=lambda c: -c.depth)


async def subtree_ids(session: AsyncSession, centre_id: uuid.UUID) -> list[uuid.UUID]:
    return [c.id for c in await subtree(session, await get(session, centre_id))]


async def is_within(session: AsyncSession, centre_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Whether `centre_id` is `ancestor_id` or lies below it."""
    centre, ancestor = await get(session, centre_id), await get(session, ancestor_id)
    return centre.path.startswith(ancestor.path)


@dataclass(frozen=True)
class Router:
    """A snapshot of a subtree's jurisdictions, deepest centre first, ready for point tests."""

    root: Centre
    areas: tuple[tuple[Centre, Any], ...]

    def route(self, lat: float | None, lon: float | None) -> Centre:
        """The deepest centre whose jurisdiction holds the point; the root centre when there
        is no point or no jurisdiction holds it."""
        if lat is None or lon is None:
            return self.root
        for centre, area in self.areas:
            if shapely.intersects_xy(area, lon, lat):
                return centre
        return self.root


class _Cached(NamedTuple):
    stamp: tuple[Any, ...]  # the centre table's (count, newest) when the router was built
    checked: float  # when the stamp was last found unchanged (time.monotonic)
    router: Router


# Routers by root code. Centres are only ever added, so a changed stamp means a stale
# router; it is looked at no more than once per STAMP_TTL_S (a round trip on every intake
# batch otherwise). A centre added here drops the routers at once; one added by another
# process routes its alarms within STAMP_TTL_S, to its parent until then (whose seats
# see them too).
STAMP_TTL_S = 1.0
_routers: dict[str, _Cached] = {}
_STAMP = select(func.count(), func.max(Centre.created_at))


async def router(session: AsyncSession, root_centre: Centre) -> Router:
    """The routing snapshot for `root_centre`, rebuilt only when a centre was added."""
    cached = _routers.get(root_centre.code)
    now = time.monotonic()
    if cached and now - cached.checked < STAMP_TTL_S:
        return cached.router
    stamp = tuple((await session.execute(_STAMP)).one())
    if cached and cached.stamp == stamp:
        _routers[root_centre.code] = cached._replace(checked=now)
        return cached.router
    areas = tuple(
        (centre, prepared_area(centre.jurisdiction))
        for centre in await subtree(session, root_centre)
        if centre.jurisdiction
    )
    made = Router(root_centre, areas)
    _routers[root_centre.code] = _Cached(stamp, now, made)
    return made


async def route(session: AsyncSession, root_centre: Centre, lat: float | None, lon: float | None) -> Centre:
    """See `Router.route`."""
    return (await router(session, root_centre)).route(lat, lon)


def public(centre: Centre) -> dict[str, Any]:
    return {"id": str(centre.id), "code": centre.code, "name": centre.name, "depth": centre.depth}
