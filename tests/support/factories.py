"""Test data built through the services: a centre tree with seats, and alarms."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.service import SeatIdentity
from netalarm.boundary import inside
from netalarm.boundary.document import Forward
from netalarm.boundary.models import LinkForward
from netalarm.incidents import actions
from netalarm.incidents.models import Incident
from netalarm.intake import service as intake_service
from netalarm.intake.schemas import AlarmIn
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre


def square(lon: float, lat: float, size: float = 0.1) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass
class Tree:
    """A city over two districts, A (around 114.05, 22.55) and B (around 114.25, 22.55),
    with one network seat per centre. Codes are unique per tree."""

    city: Centre
    a: Centre
    b: Centre
    city_seat: SeatIdentity
    a_seat: SeatIdentity
    a_seat2: SeatIdentity
    b_seat: SeatIdentity

    A_POINT = (22.55, 114.05)
    B_POINT = (22.55, 114.25)
    OUTSIDE = (39.9, 116.4)


async def tree(session: AsyncSession) -> Tree:
    tag = secrets.token_hex(3)
    city = await routing_service.add_centre(
        session, code=f"C{tag}", name="City", geojson=square(113.9, 22.4, 0.6)
    )
    a = await routing_service.add_centre(
        session, code=f"A{tag}", name="District A", parent_code=city.code, geojson=square(114.0, 22.5)
    )
    b = await routing_service.add_centre(
        session, code=f"B{tag}", name="District B", parent_code=city.code, geojson=square(114.2, 22.5)
    )

    async def seat(centre: Centre, name: str) -> SeatIdentity:
        made = await accounts_service.add_seat(
            session, username=f"{name}-{tag}", password="password-1", centre_code=centre.code, role="network"
        )
        return accounts_service.identity_from_seat(made, centre)

    return Tree(
        city, a, b, await seat(city, "city"), await seat(a, "a"), await seat(a, "a2"), await seat(b, "b")
    )


async def alarm(
    session: AsyncSession, root: Centre, point: tuple[float, float] | None = None, **fields: Any
) -> intake_service.Submitted:
    body: dict[str, Any] = {"idempotency_key": f"key-{secrets.token_hex(8)}", **fields}
    if point:
        body["location"] = {"lat": point[0], "lon": point[1], "accuracy_m": 10, "source": "gps"}
    return await intake_service.submit(session, AlarmIn(**body), root=root, timezone="Asia/Shanghai")


async def forwarded_to_110(
    session: AsyncSession, t: Tree, intranet: Tree, **fields: Any
) -> tuple[intake_service.Submitted, Incident, LinkForward, uuid.UUID]:
    """An alarm in `t`'s district A (with `fields`), accepted there and forwarded to 110 with
    the note "armed man", and received by `intranet`'s server: the alarm, the network case, its
    forward, and the id of the case it became inside."""
    made = await alarm(session, t.city, Tree.A_POINT, **fields)
    incident = await actions.act(session, t.a_seat, made.incident.id, "accept")
    await actions.act(session, t.a_seat, incident.id, "forward-110", note="armed man", link_110=True)
    row = await session.scalar(select(LinkForward).where(LinkForward.incident_id == incident.id))
    assert row is not None
    received = await inside.receive(
        session, Forward.model_validate(row.document), root=intranet.city, timezone="Asia/Shanghai"
    )
    return made, incident, row, received.incident_id


async def handed_up(
    session: AsyncSession, below: Tree, above: Tree, incident_id: uuid.UUID
) -> tuple[LinkForward, Forward, inside.Received]:
    """The root seat below escalates the incident to the superior server, and the superior
    (`above`) takes the forward: the forward, its document, and what the superior made of it."""
    await actions.act(session, below.city_seat, incident_id, "escalate", superior=True)
    row = await session.scalar(
        select(LinkForward).where(LinkForward.incident_id == incident_id, LinkForward.target == "superior")
    )
    assert row is not None
    forward = Forward.model_validate(row.document)
    received = await inside.receive(
        session,
        forward,
        root=above.city,
        timezone="Asia/Shanghai",
        source=below.city.code,
        first_type="escalated_in",
    )
    return row, forward, received
