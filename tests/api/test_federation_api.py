"""Federation end to end: the Shenzhen server and the Guangdong server above it, real
processes with their own databases. A case nobody takes at Shenzhen's root centre goes up,
signed; Guangdong's seat takes it and Shenzhen's reporter sees it accepted."""

from __future__ import annotations

import hashlib
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from netalarm.boundary import outside_files
from netalarm.core.db import transaction
from netalarm.federation import service as federation_service
from netalarm.federation import signing, worker
from netalarm.incidents import actions
from netalarm.media import files
from netalarm.media.storage.local import LocalStorage
from netalarm.timeline import service as timeline_service
from tests.media import tus
from tests.media.samples import noise_png, photo
from tests.support import factories
from tests.support.factories import Tree
from tests.support.federation import SUPERIOR_SEAT, subordinate_server, superior_server
from tests.support.http import raise_alarm, reporter_headers, seat_headers
from tests.support.proxy import CuttingProxy
from tests.support.servers import Server, free_port
from tests.support.waiting import eventually

KEY = secrets.token_hex(16)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    above = superior_server(tmp_path_factory.mktemp("superior"), f"440300={KEY}")
    below = subordinate_server(
        tmp_path_factory.mktemp("subordinate"), above, KEY, sla_p1_s="1", sla_tick_s="0.2"
    )
    yield below, above
    below.stop()
    above.stop()


def _above_case(above: Server, case_number: str, seat: dict[str, str]) -> dict[str, Any] | None:
    for incident in httpx.get(f"{above.url}/api/v1/incidents", headers=seat).json():
        first = httpx.get(f"{above.url}/api/v1/incidents/{incident['id']}/timeline", headers=seat).json()[0]
        if first["data"].get("source_case_number") == case_number:
            return {**incident, "first": first}
    return None


def _escalated(below: Server, above: Server, alarm: dict[str, Any]) -> dict[str, Any]:
    """A root seat below escalates `alarm`'s case by hand; the case it became above, once there."""
    shenzhen = seat_headers(below.url, "shenzhen.net")
    up = httpx.post(f"{below.url}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=shenzhen)
    assert up.status_code == 200, up.text
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    case: dict[str, Any] = eventually(lambda: _above_case(above, alarm["case_number"], guangdong))
    return case


def test_a_case_nobody_accepts_at_the_root_goes_up_and_the_superiors_acceptance_comes_back(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    alarm = raise_alarm(below.url, None, silent=True)  # no position: the root centre's, P1
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    case = eventually(lambda: _above_case(above, alarm["case_number"], guangdong))
    assert (case["status"], case["priority"], case["centre"]) == ("received", "P1", "440000")
    assert (case["first"]["type"], case["first"]["data"]["source"]) == ("escalated_in", "440300")
    assert case["first"]["data"]["note"] == "not accepted in time"

    accepted = httpx.post(f"{above.url}/api/v1/incidents/{case['id']}/actions/accept", headers=guangdong)
    assert accepted.status_code == 200, accepted.text

    mine = f"{below.url}/api/v1/alarms/{alarm['id']}"
    eventually(
        lambda: httpx.get(mine, headers=reporter_headers(alarm)).json()["status"] == "accepted" or None
    )
    shenzhen = seat_headers(below.url, "shenzhen.net")
    incident = httpx.get(f"{below.url}/api/v1/incidents/{alarm['incident_id']}", headers=shenzhen).json()
    assert incident["accepted_by"] == f"superior:{SUPERIOR_SEAT}"
    entries = httpx.get(
        f"{below.url}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=shenzhen
    ).json()
    types = [e["type"] for e in entries]
    assert "escalated_superior" in types and types[-2:] == ["superior_update", "accepted"]
    ups = [e["data"] for e in entries if e["type"] == "superior_update"]
    assert [u["stage"] for u in ups] == ["escalated_in", "accepted"]
    assert {u["remote_case_number"] for u in ups} == {case["case_number"]}
    assert httpx.get(
        f"{below.url}/api/v1/incidents/{alarm['incident_id']}/timeline/verify", headers=shenzhen
    ).json()["ok"]


def test_a_root_seat_escalates_by_hand_and_the_console_config_says_there_is_a_superior(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    shenzhen = seat_headers(below.url, "shenzhen.net")
    assert httpx.get(f"{below.url}/api/v1/seat/config", headers=shenzhen).json()["superior"] is True
    alarm = raise_alarm(below.url, None, description="Fraud ring, several cities")
    up = httpx.post(f"{below.url}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=shenzhen)
    assert up.status_code == 200, up.text
    again = httpx.post(
        f"{below.url}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=shenzhen
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_escalated")
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    case = eventually(lambda: _above_case(above, alarm["case_number"], guangdong))
    assert case["description"] == "Fraud ring, several cities"
    assert case["first"]["data"]["note"] == "escalated by a seat"


def _escalation(forward_id: str) -> dict[str, Any]:
    return {
        "forward_id": forward_id,
        "case_number": "440300-20261126-999999",
        "centre": "440300",
        "centre_name": "Shenzhen",
        "priority": "P2",
        "category": "other",
        "description": "signed by hand",
        "silent": False,
        "location": None,
        "reported_at": "2026-11-26T10:00:00Z",
        "forwarded_at": "2026-11-26T10:01:00Z",
        "forwarded_by": "shenzhen.net",
        "note": "escalated by a seat",
        "reporter": None,
        "media_count": 0,
    }


def test_the_superior_takes_only_signed_messages_and_each_escalation_once(
    pair: tuple[Server, Server], demo_server: Server
) -> None:
    _, above = pair
    path = "/api/v1/federation/escalations"
    body = orjson.dumps(_escalation("01900000-0000-7000-8000-" + secrets.token_hex(6)))
    unsigned = httpx.post(f"{above.url}{path}", content=body)
    assert (unsigned.status_code, unsigned.json()["error"]["field"]) == (401, signing.SENDER)
    forged = signing.headers("440300", "not-the-key", "POST", path, body)
    assert httpx.post(f"{above.url}{path}", content=body, headers=forged).status_code == 401
    signed = signing.headers("440300", KEY, "POST", path, body)
    first = httpx.post(f"{above.url}{path}", content=body, headers=signed)
    again = httpx.post(f"{above.url}{path}", content=body, headers=signed)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    bad = orjson.dumps({**_escalation("01900000-0000-7000-8000-000000000001"), "priority": "P9"})
    refused = httpx.post(
        f"{above.url}{path}", content=bad, headers=signing.headers("440300", KEY, "POST", path, bad)
    )
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "priority")
    off = httpx.post(f"{demo_server.url}{path}", content=body, headers=signed)
    assert (off.status_code, off.json()["error"]["code"]) == (403, "no_federation")


def test_escalations_wait_while_the_superior_is_away_and_the_seats_are_told(tmp_path: Path) -> None:
    nowhere = Server({}, port=free_port())  # never started: nothing listens there
    below = subordinate_server(tmp_path, nowhere, KEY)
    try:
        shenzhen = seat_headers(below.url, "shenzhen.net")
        alarm = raise_alarm(below.url, None)
        up = httpx.post(
            f"{below.url}/api/v1/incidents/{alarm['incident_id']}/actions/escalate", headers=shenzhen
        )
        assert up.status_code == 200, up.text

        def told() -> dict[str, Any] | None:
            status: dict[str, Any] = httpx.get(
                f"{below.url}/api/v1/federation/status", headers=shenzhen
            ).json()
            return status if status["last_error"] else None

        status = eventually(told)
        assert status["superior"] is True and status["waiting"] == 1 and status["name"] == "440300"
        assert "unreachable" in status["last_error"] and status["last_contact_at"] is None
    finally:
        below.stop()


def test_a_server_without_a_superior_says_so(pair: tuple[Server, Server]) -> None:
    _, above = pair
    status = httpx.get(
        f"{above.url}/api/v1/federation/status", headers=seat_headers(above.url, SUPERIOR_SEAT)
    )
    assert status.json() == {"superior": False}


def test_the_reporter_talks_with_the_superiors_seat_through_the_server_below(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    alarm = raise_alarm(below.url, None, description="Kidnapping, car heading north")
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    theirs = f"{above.url}/api/v1/incidents/{case['id']}/messages"
    assert httpx.post(theirs, json={"text": "Can you see the plate?"}, headers=guangdong).status_code == 201
    mine = f"{below.url}/api/v1/alarms/{alarm['id']}/messages"

    def texts(url: str, headers: dict[str, str]) -> list[str]:
        return [m["text"] for m in httpx.get(url, headers=headers).json()]

    eventually(lambda: "Can you see the plate?" in texts(mine, reporter_headers(alarm)) or None)
    assert httpx.post(mine, json={"text": "粤B 12345"}, headers=reporter_headers(alarm)).status_code == 201
    eventually(lambda: "粤B 12345" in texts(theirs, guangdong) or None)


def test_the_cases_files_go_up_unchanged_and_both_records_say_so(pair: tuple[Server, Server]) -> None:
    below, above = pair
    shenzhen = seat_headers(below.url, "shenzhen.net")
    alarm = raise_alarm(below.url, None, description="Fraud ring, photos of the leaflets")
    leaflet = photo(size=(640, 480))
    url, answer = tus.upload(below.url, alarm, leaflet, "leaflet.jpg")
    assert answer.status_code == 204, answer.text
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)

    def files() -> list[dict[str, Any]] | None:
        found = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
        return found or None

    [item] = eventually(files)
    assert (item["id"], item["filename"]) == (tus.media_id(url), "leaflet.jpg")
    assert item["sha256"] == hashlib.sha256(leaflet).hexdigest()
    assert httpx.get(f"{above.url}{item['url']}", headers=guangdong).content == leaflet
    assert httpx.get(f"{above.url}{item['url']}/verify", headers=guangdong).json()["ok"] is True
    entries = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/timeline", headers=guangdong).json()
    assert [e["actor"] for e in entries if e["type"] == "media_attached"] == ["system:federation"]
    handed = [
        e
        for e in httpx.get(
            f"{below.url}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=shenzhen
        ).json()
        if e["type"] == "media_downloaded"
    ]
    assert [(e["actor"], e["data"]["variant"]) for e in handed] == [("system:federation", "link_superior")]


def test_the_superior_takes_a_file_only_signed_and_only_with_the_signed_bytes(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    shenzhen = seat_headers(below.url, "shenzhen.net")
    alarm = raise_alarm(below.url, None, description="Case for a forged file")
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    forward_id = _forward_id(below, alarm, shenzhen)
    data = photo()
    media_id = str(uuid.uuid4())
    query = f"filename=x.jpg&kind=image&size={len(data)}"
    path = f"/api/v1/federation/escalations/{forward_id}/media/{media_id}?{query}"
    unsigned = httpx.put(f"{above.url}{path}", content=data)
    assert unsigned.status_code == 401
    signed = signing.headers("440300", KEY, "PUT", path, body_sha256=hashlib.sha256(data).hexdigest())
    renamed = path.replace("x.jpg", "y.jpg")
    assert httpx.put(f"{above.url}{renamed}", content=data, headers=signed).status_code == 401
    other = bytearray(data)
    other[-100] ^= 0xFF
    wrong = httpx.put(f"{above.url}{path}", content=bytes(other), headers=signed)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "wrong_bytes")
    entries = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/timeline", headers=guangdong).json()
    refused = [e for e in entries if e["type"] == "media_refused"]
    assert [e["data"]["media_id"] for e in refused] == [media_id]
    # Refused once: sent again with the right bytes, it is not taken (nor asked for).
    again = httpx.put(f"{above.url}{path}", content=data, headers=signed)
    assert (again.status_code, again.json()) == (200, {"media_id": media_id, "created": False})
    assert httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json() == []


def _forward_id(below: Server, alarm: dict[str, Any], seat: dict[str, str]) -> str:
    entries = httpx.get(f"{below.url}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=seat).json()
    return str(next(e for e in entries if e["type"] == "escalated_superior")["data"]["forward_id"])


def _conversation(above: Server, case: dict[str, Any], seat: dict[str, str]) -> list[dict[str, Any]]:
    return list(httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/messages", headers=seat).json())


def test_a_photo_sent_in_the_chat_below_arrives_above_in_its_message(pair: tuple[Server, Server]) -> None:
    below, above = pair
    alarm = raise_alarm(below.url, None, description="Hit and run")
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    said = httpx.post(
        f"{below.url}/api/v1/alarms/{alarm['id']}/messages",
        json={"text": "📎 plate.jpg"},
        headers=reporter_headers(alarm),
    )
    assert said.status_code == 201, said.text
    url, answer = tus.upload(below.url, alarm, photo(), "plate.jpg", message_id=said.json()["id"])
    assert answer.status_code == 204, answer.text

    def linked() -> dict[str, Any] | None:
        return next((m for m in _conversation(above, case, guangdong) if m["media_ids"]), None)

    message = eventually(linked)
    assert (message["text"], message["media_ids"]) == ("📎 plate.jpg", [tus.media_id(url)])
    [item] = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
    assert item["message_id"] == message["id"]


def test_a_file_that_comes_up_before_its_message_is_put_in_it_when_the_message_comes(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    shenzhen = seat_headers(below.url, "shenzhen.net")
    alarm = raise_alarm(below.url, None, description="Case whose file outruns its message")
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    forward_id = _forward_id(below, alarm, shenzhen)
    data, media_id, message_id = photo(), str(uuid.uuid4()), str(uuid.uuid4())
    digest = hashlib.sha256(data).hexdigest()
    door = f"/api/v1/federation/escalations/{forward_id}/media/{media_id}"
    bad = f"{door}?filename=door.jpg&kind=image&size={len(data)}&message_id=nope"
    refused = httpx.put(
        f"{above.url}{bad}",
        content=data,
        headers=signing.headers("440300", KEY, "PUT", bad, body_sha256=digest),
    )
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "message_id")
    query = f"filename=door.jpg&kind=image&size={len(data)}&message_id={message_id}"
    path = f"{door}?{query}"
    signed = signing.headers("440300", KEY, "PUT", path, body_sha256=digest)
    sent = httpx.put(f"{above.url}{path}", content=data, headers=signed)
    assert sent.status_code == 201, sent.text
    [item] = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
    assert item["message_id"] is None  # its message is not there yet

    news = {
        "updates": {
            forward_id: [
                {
                    "seq": 10_000,
                    "type": "message",
                    "at": "2026-11-27T05:00:00Z",
                    "actor": f"reporter:{uuid.uuid4()}",
                    "case_number": alarm["case_number"],
                    "data": {"id": message_id, "from": "reporter", "seat": None, "text": "📎 door.jpg"},
                }
            ]
        }
    }
    body = orjson.dumps(news)
    told = httpx.post(
        f"{above.url}/api/v1/federation/news",
        content=body,
        headers=signing.headers("440300", KEY, "POST", "/api/v1/federation/news", body),
    )
    assert told.status_code == 200, told.text
    [message] = [m for m in _conversation(above, case, guangdong) if m["text"] == "📎 door.jpg"]
    assert message["media_ids"] == [media_id]
    [item] = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
    assert item["message_id"] == message["id"]
    # The same news again changes nothing.
    again = httpx.post(
        f"{above.url}/api/v1/federation/news",
        content=body,
        headers=signing.headers("440300", KEY, "POST", "/api/v1/federation/news", body),
    )
    assert again.status_code == 200, again.text
    assert [m["text"] for m in _conversation(above, case, guangdong)].count("📎 door.jpg") == 1


def _wanted(above: Server, forward_id: str, listed: dict[str, Any]) -> dict[str, Any]:
    """The superior's answer to the signed question which of `listed` it wants."""
    body = orjson.dumps({"media": {forward_id: [listed]}})
    path = "/api/v1/federation/media/wanted"
    answer = httpx.post(
        f"{above.url}{path}", content=body, headers=signing.headers("440300", KEY, "POST", path, body)
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _cut_off_put(server: Server, path: str, headers: dict[str, str], size: int, part: bytes) -> None:
    """A PUT announcing `size` bytes whose connection closes after `part` of them."""
    lines = [f"PUT {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {size}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", httpx.URL(server.url).port or 80)) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + part)


def test_a_put_cut_off_is_held_above_and_a_resume_must_name_the_bytes_held(
    pair: tuple[Server, Server],
) -> None:
    below, above = pair
    shenzhen = seat_headers(below.url, "shenzhen.net")
    alarm = raise_alarm(below.url, None, description="Case whose file comes in two goes")
    case = _escalated(below, above, alarm)
    guangdong = seat_headers(above.url, SUPERIOR_SEAT)
    forward_id = _forward_id(below, alarm, shenzhen)
    data, media_id = noise_png(500), str(uuid.uuid4())
    digest = hashlib.sha256(data).hexdigest()
    listed = {"id": media_id, "filename": "cut.png", "kind": "image", "size": len(data), "sha256": digest}
    door = f"/api/v1/federation/escalations/{forward_id}/media/{media_id}"
    door += f"?filename=cut.png&kind=image&size={len(data)}"

    def put(offset: int, body: bytes) -> httpx.Response:
        path = f"{door}&offset={offset}"
        signed = signing.headers("440300", KEY, "PUT", path, body_sha256=digest)
        return httpx.put(f"{above.url}{path}", content=body, headers=signed)

    _cut_off_put(
        above,
        door,
        signing.headers("440300", KEY, "PUT", door, body_sha256=digest),
        len(data),
        data[:400_000],
    )
    held: int = eventually(lambda: _wanted(above, forward_id, listed)["offsets"].get(media_id))
    assert 0 < held <= 400_000
    assert _wanted(above, forward_id, listed)["wanted"] == {forward_id: [media_id]}

    negative = put(-1, data)
    assert (negative.status_code, negative.json()["error"]["field"]) == (422, "offset")
    past = put(len(data) + 1, b"")
    assert (past.status_code, past.json()["error"]["field"]) == (422, "offset")
    for wrong in (held + 1, held - 1):
        mismatch = put(wrong, data[wrong : wrong + 10])
        assert mismatch.status_code == 409, mismatch.text
        error = mismatch.json()["error"]
        assert (error["code"], error["field"], error["offset"]) == ("offset_mismatch", "offset", held)
    unsigned = httpx.put(f"{above.url}{door}&offset={held}", content=data[held:])
    assert unsigned.status_code == 401
    assert _wanted(above, forward_id, listed)["offsets"] == {media_id: held}  # nothing spoilt

    rest = put(held, data[held:])
    assert (rest.status_code, rest.json()) == (201, {"media_id": media_id, "created": True})
    [item] = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
    assert (item["sha256"], item["size"]) == (digest, len(data))
    assert httpx.get(f"{above.url}{item['url']}", headers=guangdong).content == data
    assert httpx.get(f"{above.url}{item['url']}/verify", headers=guangdong).json()["ok"] is True


def test_a_file_whose_transfer_breaks_off_on_the_way_up_goes_on_from_there(tmp_path: Path) -> None:
    data = noise_png(1400)  # about 5.6 MiB
    cut = 3 * 1024 * 1024
    above = superior_server(tmp_path / "above", f"440300={KEY}")
    link = CuttingProxy(target=httpx.URL(above.url).port or 80, cut_after=cut).start()
    below = subordinate_server(tmp_path / "below", above, KEY, superior_url=link.url, federation_poll_s="0.5")
    try:
        shenzhen = seat_headers(below.url, "shenzhen.net")
        alarm = raise_alarm(below.url, None, description="A long video over a flaky link")
        url, answer = tus.upload(below.url, alarm, data, "evidence.png")
        assert answer.status_code == 204, answer.text
        case = _escalated(below, above, alarm)
        guangdong = seat_headers(above.url, SUPERIOR_SEAT)

        def arrived() -> list[dict[str, Any]] | None:
            found = httpx.get(f"{above.url}/api/v1/incidents/{case['id']}/media", headers=guangdong).json()
            return found or None

        [item] = eventually(arrived, timeout=60)
        assert link.up_at_cut is not None
        # Every byte sent up after the cut: the rest of the file, and the rounds' chatter.
        second = link.up - link.up_at_cut
        assert (item["id"], item["sha256"]) == (tus.media_id(url), hashlib.sha256(data).hexdigest())
        assert httpx.get(f"{above.url}{item['url']}", headers=guangdong).content == data
        handed = [
            e["data"]["range"]
            for e in httpx.get(
                f"{below.url}/api/v1/incidents/{alarm['incident_id']}/timeline", headers=shenzhen
            ).json()
            if e["type"] == "media_downloaded"
        ]
        assert handed[0] is None and len(handed) == 2, handed  # all of it, then the rest
        start, _, end = handed[1].removeprefix("bytes=").partition("-")
        held = int(start)
        assert int(end) == len(data) - 1
        assert 0 < held <= cut
        assert len(data) - held <= second < len(data) - held + 200_000
    finally:
        below.stop()
        above.stop()
        link.stop()


async def test_a_sender_told_another_offset_by_the_superior_sends_from_the_offset_named(
    pair: tuple[Server, Server], own_database: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """As when the rest lands on another of the superior's processes (which holds other bytes,
    or none): the sender's PUT from the offset it was told is answered 409 with the offset
    held there, and it sends from that one at once."""
    _, above = pair
    storage = LocalStorage(tmp_path)
    data = noise_png(500)
    async with transaction(own_database) as session:
        t = await factories.tree(session)
        made = await factories.alarm(session, t.city, Tree.OUTSIDE)
        arriving = await files.arrive(storage, media_id := uuid.uuid4())
        await files.take(storage, arriving, _once(data))
        await files.complete(storage, arriving, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        examined = await files.examine(storage, media_id)
        session.add(
            files.media_row(
                media_id,
                examined,
                alarm_id=made.alarm.id,
                reporter_id=made.alarm.reporter_id,
                message_id=None,
                incident=made.incident,
                filename="evidence.png",
            )
        )
        await actions.act(session, t.city_seat, made.incident.id, "escalate", superior=True)
    async with httpx.AsyncClient(base_url=above.url, timeout=10) as client:
        sender = worker.Sender(own_database, client, KEY, "", storage, name="440300")
        await sender.run_once()  # the escalation goes up
        async with transaction(own_database) as session:
            [forward_id] = await federation_service.following(session)
            [remote] = (await outside_files.media_of(session, [forward_id], target="superior"))[forward_id]
        door = f"/api/v1/federation/escalations/{forward_id}/media/{media_id}"
        door += f"?filename=evidence.png&kind=image&size={len(data)}"
        signed = signing.headers("440300", KEY, "PUT", door, body_sha256=remote.sha256)
        _cut_off_put(above, door, signed, len(data), data[:300_000])
        listed = remote.model_dump(mode="json")
        held: int = eventually(lambda: _wanted(above, str(forward_id), listed)["offsets"].get(str(media_id)))

        await sender._send_file(forward_id, remote, held + 1000)

        guangdong = seat_headers(above.url, SUPERIOR_SEAT)
        case = eventually(lambda: _above_case(above, made.incident.case_number, guangdong))
        [item] = (await client.get(f"/api/v1/incidents/{case['id']}/media", headers=guangdong)).json()
        assert (item["id"], item["sha256"]) == (str(media_id), remote.sha256)
        assert (await client.get(item["url"], headers=guangdong)).content == data
    async with own_database() as session:
        handed = [
            e.data["range"]
            for e in await timeline_service.entries(session, made.incident.id)
            if e.type == "media_downloaded"
        ]
    assert handed == [f"bytes={held + 1000}-{len(data) - 1}", f"bytes={held}-{len(data) - 1}"]


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
