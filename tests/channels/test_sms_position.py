"""A position in an SMS's text (a phone's emergency text, a map link, typed coordinates) puts
the alarm on the map and routes it to the district that holds it, or moves an open case's
position; text that only looks like numbers, and links on Chinese map datums, give none. On
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from netalarm.channels.sms.position import position_in
from netalarm.timeline import service as timeline_service
from tests.channels.test_sms_inbound import _phone, _receive, _sms
from tests.support import factories


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'A"ML=1;lt=+22.54317;lg=+114.05598;rd=50;top=20261127104500;lc=90;pm=G;si=460001234567890',
            (22.54317, 114.05598, 50.0, "aml"),
        ),
        ("I am here geo:22.5431,114.0579;u=30", (22.5431, 114.0579, 30.0, "manual")),
        (
            "I need help. My location: https://maps.google.com/?q=22.543100,114.057900",
            (22.5431, 114.0579, None, "manual"),
        ),
        ("http://maps.apple.com/?ll=22.5431,114.0579&q=Dropped%20Pin", (22.5431, 114.0579, None, "manual")),
        ("https://www.google.com/maps/@22.5431,114.0579,17z", (22.5431, 114.0579, None, "manual")),
        ("https://maps.google.com/?q=22.5431%2C114.0579", (22.5431, 114.0579, None, "manual")),
        ("我在 22.5431，114.0579 附近的楼里", (22.5431, 114.0579, None, "manual")),
        ("-33.8688, 151.2093", (-33.8688, 151.2093, None, "manual")),
    ],
)
def test_a_position_in_the_text_is_read_with_its_source(
    text: str, expected: tuple[float, float, float | None, str]
) -> None:
    found = position_in(text)
    assert found is not None
    assert (found.lat, found.lon, found.accuracy_m, found.source) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Flat 12, Lotus Road 5",
        "call me on 13800138000",
        "it cost 12.50, 3.25 each",  # too few decimals to be a position
        "version 1.2.3.4",
        "95.1234,10.1234",  # no latitude is 95
        "22.5431, 214.0579",  # nor a longitude 214
        "https://uri.amap.com/marker?position=114.0579,22.5431",  # Amap: its own datum
        "百度地图 https://api.map.baidu.com/marker?location=22.5431,114.0579",
        "",
    ],
)
def test_text_without_a_wgs84_position_gives_none(text: str) -> None:
    assert position_in(text) is None


async def test_a_first_text_with_a_map_link_raises_the_alarm_there_in_the_district_holding_it(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    got = await _receive(
        session,
        t,
        _sms(_phone(), "Help, I cannot talk. My location: https://maps.google.com/?q=22.5500,114.0500"),
    )
    assert (got.incident.lat, got.incident.lon, got.incident.location_source) == (22.55, 114.05, "manual")
    assert got.incident.centre_id == t.a.id  # not the city's queue, where a text without one goes
    assert got.alarm.description.endswith("q=22.5500,114.0500")  # the words as sent


async def test_a_reply_with_an_aml_position_moves_the_open_case_and_is_on_its_trail(
    session: AsyncSession,
) -> None:
    t = await factories.tree(session)
    phone = _phone()
    made = await _receive(session, t, _sms(phone, "Someone is following me"))
    assert made.incident.lat is None
    await _receive(session, t, _sms(phone, 'A"ML=1;lt=+22.55000;lg=+114.25000;rd=12;top=20261127104500'))
    entries = await timeline_service.entries(session, made.incident.id)
    assert [e.type for e in entries][-2:] == ["message", "location"]
    assert {k: entries[-1].data[k] for k in ("lat", "lon", "accuracy_m", "source")} == {
        "lat": 22.55,
        "lon": 114.25,
        "accuracy_m": 12.0,
        "source": "aml",
    }
    assert (made.incident.lat, made.incident.lon) == (22.55, 114.25)
