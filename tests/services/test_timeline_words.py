"""Timeline entries read as sentences in both languages, not as raw data."""

from __future__ import annotations

import pytest

from netalarm.timeline.words import describe


@pytest.mark.parametrize(
    ("lang", "reason", "expected"),
    [
        ("en", "manual", "Escalated from centre 440304 to centre 440300 (by a seat; was received)."),
        (
            "en",
            "sla",
            "Escalated from centre 440304 to centre 440300 (not accepted within the SLA; was received).",
        ),
        ("zh", "manual", "由中心 440304 上报至中心 440300（坐席操作；原状态 待受理）。"),
        ("zh", "sla", "由中心 440304 上报至中心 440300（超时未受理；原状态 待受理）。"),
    ],
)
def test_an_escalation_says_where_from_where_to_and_why(lang: str, reason: str, expected: str) -> None:
    data = {"from": "440304", "to": "440300", "reason": reason, "previous_status": "received"}
    assert describe({"type": "escalated", "data": data}, lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "Not accepted within 15 s (P1): alert raised at centre 440304 after 15 s.",
                "Still not accepted after 30 s: escalated to centre 440300.",
                "Still not accepted after 30 s, and centre 440300 has no centre above it: alerted again.",
            ],
        ),
        (
            "zh",
            [
                "P1 警情 15 秒内未受理：已在中心 440304 告警（已等待 15 秒）。",
                "等待 30 秒仍未受理：已上报至中心 440300。",
                "等待 30 秒仍未受理，中心 440300 无上级中心：再次告警。",
            ],
        ),
    ],
)
def test_each_sla_stage_says_the_limit_the_wait_and_where_it_went(lang: str, expected: list[str]) -> None:
    stages = [("alert", 15.2, "440304"), ("escalated", 30.4, "440300"), ("overdue", 30.4, "440300")]
    said = [
        describe(
            {
                "type": "sla_alert",
                "data": {
                    "stage": stage,
                    "priority": "P1",
                    "limit_s": 15,
                    "waited_s": waited,
                    "centre": centre,
                },
            },
            lang,
        )
        for stage, waited, centre in stages
    ]
    assert said == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "Forwarded to the 110 seat (was accepted), with the reporter's identity. Note: armed",
                "110 case 110-440300-20261126-000001 accepted by seat shenzhen.110.",
                "110 closed case 110-440300-20261126-000001 as false alarm.",
            ],
        ),
        (
            "zh",
            [
                "已转交110坐席（原状态 已受理），并提供报警人身份。备注：armed",
                "110警情 110-440300-20261126-000001 已由 坐席 shenzhen.110 受理。",
                "110警情 110-440300-20261126-000001 结案：误报。",
            ],
        ),
    ],
)
def test_the_110_link_entries_say_who_did_what_to_which_case(lang: str, expected: list[str]) -> None:
    case = "110-440300-20261126-000001"
    entries = [
        {
            "type": "forwarded_110",
            "data": {"note": "armed", "previous_status": "accepted", "identity_shared": True},
        },
        {
            "type": "link_110",
            "data": {"stage": "accepted", "remote_case_number": case, "by": "seat:shenzhen.110"},
        },
        {
            "type": "link_110",
            "data": {"stage": "closed", "remote_case_number": case, "disposition": "false_alarm"},
        },
    ]
    assert [describe(entry, lang) for entry in entries] == expected


@pytest.mark.parametrize(
    ("lang", "refused", "handed"),
    [
        (
            "en",
            "File a.jpg of case 440300-20261126-000007 was not taken: its bytes do not match",
            "File “a.jpg” opened (a copy for the 110 side).",
        ),
        (
            "zh",
            "未接收案件 440300-20261126-000007 的文件 a.jpg：its bytes do not match",
            "打开文件“a.jpg”（交110侧的副本）。",
        ),
    ],
)
def test_files_handed_over_and_refused_between_servers_read_as_sentences(
    lang: str, refused: str, handed: str
) -> None:
    data = {
        "filename": "a.jpg",
        "source_case_number": "440300-20261126-000007",
        "reason": "its bytes do not match",
    }
    assert describe({"type": "media_refused", "data": data}, lang) == refused
    copy = {"media_id": "m", "filename": "a.jpg", "variant": "link_110", "range": None}
    assert describe({"type": "media_downloaded", "data": copy}, lang) == handed


def test_a_reclassification_on_the_other_server_reads_as_a_sentence() -> None:
    data = {
        "from": {"priority": "P3"},
        "to": {"priority": "P1"},
        "seat": "futian.net",
        "source_case_number": "C-1",
    }
    assert describe({"type": "classified_at_source", "data": data}, "en") == (
        "Seat futian.net changed the classification of case C-1 from priority P3 to priority P1 on its "
        "server; this case keeps its own."
    )
    back = {"stage": "classified", "remote_case_number": "110-7", "by": "seat:shenzhen.110", **data}
    assert describe({"type": "link_110", "data": back}, "zh") == (
        "110警情 110-7 的分类由 priority P3 改为 priority P1（坐席 shenzhen.110）。"
    )
