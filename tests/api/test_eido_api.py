"""The EIDO export (`GET /api/v1/incidents/{id}/export.eido.json`) over HTTP against a real
server: an incident run through its whole loop comes out as one NENA EIDO message whose
components agree with what the seat API says, whose references all resolve, which only the
seats that may see the incident get, and which carries nothing of the reporter's identity."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.http import FUTIAN, raise_alarm, reporter_headers, seat_headers
from tests.support.servers import Server

NAME = "韩梅梅"
ID_NUMBER = "11010519491231002X"
MOVED = (22.5440, 114.0590)
GML = "{http://www.opengis.net/gml}pos"


def _components(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the document that has a `componentIdentifier`, at any depth."""
    if isinstance(node, dict):
        if "componentIdentifier" in node:
            yield node
        for value in node.values():
            yield from _components(value)
    elif isinstance(node, list):
        for value in node:
            yield from _components(value)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _pos(location: dict[str, Any]) -> tuple[float, float]:
    text = ET.fromstring(location["locationByValue"]).find(f".//{GML}").text  # type: ignore[union-attr]
    lat, lon = (text or "").split()
    return float(lat), float(lon)


@pytest.fixture(scope="module", params=["demo_server", "pg_demo_server"])
def run(request: pytest.FixtureRequest) -> dict[str, Any]:
    """On SQLite and on PostgreSQL: an alarm with a position and an identity, a position
    update, chat both ways, then accept, dispatch, resolve and close by futian.net; the
    export as futian.net sees it."""
    server: Server = request.getfixturevalue(request.param)
    base = server.url
    phone = f"1380013{secrets.randbelow(10_000):04d}"
    alarm = raise_alarm(
        base,
        FUTIAN,
        category="robbery_theft",
        description="bag snatched at the bus stop",
        reporter={"name": NAME, "phone": phone, "id_number": ID_NUMBER},
    )
    mine = reporter_headers(alarm)
    seat = seat_headers(base, "futian.net")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    moved = {"lat": MOVED[0], "lon": MOVED[1], "accuracy_m": 8, "source": "manual"}
    assert httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/locations", json=moved, headers=mine).is_success
    said = {"text": "he ran north"}
    assert httpx.post(f"{base}/api/v1/alarms/{alarm['id']}/messages", json=said, headers=mine).is_success
    for action, body in [("accept", {}), ("dispatch", {"note": "patrol car 7"})]:
        assert httpx.post(f"{incident}/actions/{action}", json=body, headers=seat).status_code == 200
    assert httpx.post(f"{incident}/messages", json={"text": "officers on the way"}, headers=seat).is_success
    for action, body in [("resolve", {"outcome": "bag returned"}), ("close", {"disposition": "handled"})]:
        assert httpx.post(f"{incident}/actions/{action}", json=body, headers=seat).status_code == 200
    answer = httpx.get(f"{incident}/export.eido.json", headers=seat)
    assert answer.status_code == 200, answer.text
    return {
        "base": base,
        "url": f"{incident}/export.eido.json",
        "phone": phone,
        "seat": seat,
        "alarm": alarm,
        "incident": httpx.get(incident, headers=seat).json(),
        "timeline": httpx.get(f"{incident}/timeline", headers=seat).json(),
        "answer": answer,
        "eido": answer.json(),
    }


def test_the_export_names_the_case_its_priority_status_and_the_sending_system(run: dict[str, Any]) -> None:
    eido, shown = run["eido"], run["incident"]
    assert run["answer"].headers["content-type"].startswith("application/json")
    assert eido["$id"] and eido["eidoMessageIdentifier"].startswith("urn:uuid:")
    assert eido["sendingSystemIdentifier"] == "urn:netalarm:internet:440300"
    assert eido["lastUpdateTimeStamp"] >= shown["closed_at"]
    [incident] = eido["incidentComponent"]
    assert incident["incidentTrackingIdentifier"] == shown["case_number"] == run["alarm"]["case_number"]
    assert shown["priority"] == "P2" and incident["incidentPriorityInternalText"] == "P2"
    assert incident["incidentCommonPriorityNumber"] == 7
    assert incident["incidentTypeInternalCode"] == "robbery_theft"
    assert incident["incidentStatusInternalText"] == ["closed"]


def test_the_alarm_is_an_incoming_web_call_received_and_answered_when_the_seat_api_says(
    run: dict[str, Any],
) -> None:
    shown = run["incident"]
    [call] = run["eido"]["callComponent"]
    assert call["componentIdentifier"].endswith(run["alarm"]["id"])
    assert (call["localCallType"], call["direction"], call["standardPrimaryCallType"]) == (
        "web",
        "incoming",
        "emergency",
    )
    assert call["callStartTimestamp"] == shown["created_at"]
    assert call["answerDate"] == shown["accepted_at"] and call["callStateRegistryText"] == "callEnd"
    assert call["agentReference"] == [{"$ref": "urn:netalarm:seat:futian.net"}]
    assert all(value.endswith("Z") for value in (call["callStartTimestamp"], call["answerDate"]))


def test_the_positions_are_the_first_one_the_update_and_the_current_one_in_wgs84_pidf_lo(
    run: dict[str, Any],
) -> None:
    eido = run["eido"]
    locations = {loc["componentIdentifier"]: loc for loc in eido["locationComponent"]}
    [call] = eido["callComponent"]
    trail = [locations[ref["$ref"]] for ref in call["locationReference"]]
    assert [_pos(loc) for loc in trail] == [pytest.approx(FUTIAN), pytest.approx(MOVED)]
    [current] = eido["incidentComponent"][0]["locationReference"]
    assert _pos(locations[current["$ref"]]) == pytest.approx(MOVED)
    first = ET.fromstring(trail[0]["locationByValue"])
    radius = first.find(".//{http://www.opengis.net/pidflo/1.0}radius")
    method = first.find(".//{urn:ietf:params:xml:ns:pidf:geopriv10}method")
    assert radius is not None and float(radius.text or "") == 15.0
    assert method is not None and method.text == "GPS"
    assert "source manual" in trail[1]["locationDescriptionText"]
    assert all(loc["locationTypeDescriptionRegistryText"] == "Caller" for loc in trail)


def test_the_description_chat_and_dispatch_and_resolve_notes_are_notes_in_order(run: dict[str, Any]) -> None:
    notes = [n["notesActionComments"] for n in run["eido"]["notesComponent"]]
    expected = [
        "bag snatched at the bus stop",
        "Reporter (chat): he ran north",
        "Seat futian.net (chat): officers on the way",
        "Accepted by seat futian.net",
        "Dispatched. Note: patrol car 7",
        "Resolved. Outcome: bag returned",
        "Closed as handled.",
    ]
    found = [next(i for i, note in enumerate(notes) if text in note) for text in expected]
    assert found[3:] == sorted(found[3:]) and found[1] < found[2]
    by_seat = [n for n in run["eido"]["notesComponent"] if "patrol car 7" in n["notesActionComments"]]
    assert by_seat[0]["agentReference"] == {"$ref": "urn:netalarm:seat:futian.net"}


def test_the_disposition_sits_in_the_incident_with_the_outcome_and_the_closing_time(
    run: dict[str, Any],
) -> None:
    [disposition] = run["eido"]["incidentComponent"][0]["dispositionComponent"]
    assert disposition["dispositionCategoryText"] == "handled"
    assert disposition["dispositionDescriptionText"] == "bag returned"
    assert disposition["dispositionPrimaryIndicator"] is True
    assert disposition["lastUpdateTimeStamp"] == run["incident"]["closed_at"]
    assert disposition["updatedByAgentReference"] == {"$ref": "urn:netalarm:seat:futian.net"}


def test_the_centre_is_the_owning_agency_and_the_seat_an_agent_of_it(run: dict[str, Any]) -> None:
    eido = run["eido"]
    [agency] = eido["agencyComponent"]
    assert agency["componentIdentifier"] == "urn:netalarm:centre:440304"
    assert agency["incidentOwningAgencyIndicator"] is True and agency["agencyType"] == ["police"]
    [agent] = eido["agentComponent"]
    assert agent["componentIdentifier"] == "urn:netalarm:seat:futian.net"
    assert agent["agencyReference"] == {"$ref": agency["componentIdentifier"]}


def test_every_reference_resolves_to_one_component_of_the_same_document(run: dict[str, Any]) -> None:
    components = [c["componentIdentifier"] for c in _components(run["eido"])]
    assert len(components) == len(set(components)), "component identifiers must be unique"
    refs = list(_refs(run["eido"]))
    assert len(refs) > 10
    assert set(refs) <= set(components), set(refs) - set(components)
    [person] = run["eido"]["personComponent"]
    assert person["callIdentifier"] == [run["eido"]["callComponent"][0]["componentIdentifier"]]
    assert set(person["callIdentifier"]) <= set(components)


def test_the_export_carries_no_reporter_identity_and_is_not_recorded_as_an_identity_read(
    run: dict[str, Any],
) -> None:
    text = run["answer"].text
    for secret in (NAME, run["phone"], ID_NUMBER, "****"):
        assert secret not in text
    [person] = run["eido"]["personComponent"]
    assert set(person) == {
        "componentIdentifier",
        "lastUpdateTimeStamp",
        "updatedByAgencyReference",
        "personIncidentRoleRegistryText",
        "callIdentifier",
        "locationReference",
    }
    assert person["personIncidentRoleRegistryText"] == ["Caller"]
    assert "callbackComponent" not in run["eido"]
    again = httpx.get(run["url"], headers=run["seat"])
    assert again.status_code == 200
    after = httpx.get(run["url"].replace("/export.eido.json", "/timeline"), headers=run["seat"]).json()
    assert len(after) == len(run["timeline"])
    assert "identity_viewed" not in {e["type"] for e in after}


def test_a_seat_of_another_district_gets_404_and_the_city_above_gets_the_export(run: dict[str, Any]) -> None:
    base = run["base"]
    elsewhere = httpx.get(run["url"], headers=seat_headers(base, "luohu.net"))
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["field"] == "incident_id"
    city = httpx.get(run["url"], headers=seat_headers(base, "shenzhen.net"))
    assert city.status_code == 200
    assert city.json()["incidentComponent"][0]["incidentTrackingIdentifier"] == run["alarm"]["case_number"]


def test_without_a_seat_bearer_the_export_is_401(run: dict[str, Any]) -> None:
    assert httpx.get(run["url"]).status_code == 401
    assert httpx.get(run["url"], headers=reporter_headers(run["alarm"])).status_code == 401


def test_every_note_is_the_incidents_and_every_centre_the_case_passed_through_is_an_agency(
    demo_server: Server,
) -> None:
    base = demo_server.url
    alarm = raise_alarm(base, FUTIAN, description="a fight outside the station")
    futian = seat_headers(base, "futian.net")
    incident = f"{base}/api/v1/incidents/{alarm['incident_id']}"
    assert httpx.post(
        f"{base}/api/v1/alarms/{alarm['id']}/messages",
        json={"text": "hurry"},
        headers=reporter_headers(alarm),
    ).is_success
    moved = httpx.post(f"{incident}/actions/transfer", json={"centre": "440303"}, headers=futian)
    assert moved.status_code == 200, moved.text
    eido = httpx.get(f"{incident}/export.eido.json", headers=seat_headers(base, "luohu.net")).json()
    agencies = {a["componentIdentifier"]: a["incidentOwningAgencyIndicator"] for a in eido["agencyComponent"]}
    assert agencies == {"urn:netalarm:centre:440303": True, "urn:netalarm:centre:440304": False}
    [owned] = eido["incidentComponent"]
    assert {r["$ref"] for r in owned["notesReference"]} == {
        n["componentIdentifier"] for n in eido["notesComponent"]
    }
