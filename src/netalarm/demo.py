"""The demo: Shenzhen city centre with Futian, Luohu and Nanshan district centres (approximate
outlines), one network seat and one supervisor per centre; on an intranet server instead the
Shenzhen 110 command centre with a 110 seat and a supervisor; for a superior server (`--province`)
the Guangdong province centre with a network seat and a supervisor. Running it twice changes
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.accounts import service as accounts_service
from netalarm.accounts.models import Seat
from netalarm.routing import service as routing_service
from netalarm.routing.models import Centre

DEMO_PASSWORD = "demo-pass-110"


@dataclass(frozen=True)
class DemoCentre:
    code: str
    name: str
    slug: str
    parent: str | None
    outline: bool = True


CENTRES = (
    DemoCentre("440300", "深圳市公安局 Shenzhen", "shenzhen", None),
    DemoCentre("440304", "福田分局 Futian", "futian", "440300"),
    DemoCentre("440303", "罗湖分局 Luohu", "luohu", "440300"),
    DemoCentre("440305", "南山分局 Nanshan", "nanshan", "440300"),
)
# The intranet's own centre: every forward lands there (it has no jurisdiction to route by).
INTRANET_CENTRES = (
    DemoCentre("110-440300", "深圳市公安局110指挥中心 Shenzhen 110", "shenzhen", None, False),
)
# The province above Shenzhen, for a demo of federation: its superior server's one centre.
PROVINCE_CENTRES = (DemoCentre("440000", "广东省公安厅 Guangdong", "guangdong", None, False),)
SEAT_KINDS = {
    "internet": (("network", "net"), ("supervisor", "sup")),
    "intranet": (("110", "110"), ("supervisor", "110sup")),
}


def _outline(code: str) -> dict[str, object]:
    text = resources.files("netalarm.routing").joinpath("demo", f"{code}.geojson").read_text("utf-8")
    doc: dict[str, object] = json.loads(text)
    return doc


async def seed(
    session: AsyncSession, role: str = "internet", *, province: bool = False
) -> list[tuple[str, str, str]]:
    """Create what is missing of the demo of a server with `role` (with `province`, of the
    Guangdong server above the Shenzhen one); returns (username, role, centre) of every demo
    seat."""
    logins = []
    centres = INTRANET_CENTRES if role == "intranet" else PROVINCE_CENTRES if province else CENTRES
    for centre in centres:
        if await session.scalar(select(Centre.id).where(Centre.code == centre.code)) is None:
            await routing_service.add_centre(
                session,
                code=centre.code,
                name=centre.name,
                parent_code=centre.parent,
                geojson=_outline(centre.code) if centre.outline else None,
            )
        for seat_role, suffix in SEAT_KINDS[role]:
            username = f"{centre.slug}.{suffix}"
            if await session.scalar(select(Seat.id).where(Seat.username == username)) is None:
                await accounts_service.add_seat(
                    session,
                    username=username,
                    password=DEMO_PASSWORD,
                    centre_code=centre.code,
                    role=seat_role,
                )
            logins.append((username, seat_role, centre.code))
    return logins
