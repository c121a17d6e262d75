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


@pytest.mark.parametrize(
    ("lang", "resolved", "closed", "undelivered"),
    [
        (
            "en",
            "Seat futian.net finished case C-1 on its server. Outcome: safe at home",
            "Seat futian.net closed case C-1 on its server as handled: messages no longer reach the "
            "reporter.",
            "Seat 110:shenzhen.110 wrote to the reporter after this case was closed (110 case 110-7); "
            "not delivered: “Leave now”",
        ),
        (
            "zh",
            "坐席 futian.net 在其服务器上处置完毕警情 C-1。结果：safe at home",
            "坐席 futian.net 在其服务器上将警情 C-1 结案：已处置。消息已无法送达报警人。",
            "坐席 110:shenzhen.110 在本警情结案后发给报警人的消息（110警情 110-7）未送达：“Leave now”",
        ),
    ],
)
def test_the_end_of_a_forwarded_case_on_either_side_reads_as_a_sentence(
    lang: str, resolved: str, closed: str, undelivered: str
) -> None:
    told = {"seat": "futian.net", "source_case_number": "C-1", "source_at": "2026-11-27T10:00:00Z"}
    finished = {"stage": "resolved", "outcome": "safe at home", **told}
    assert describe({"type": "closed_at_source", "data": finished}, lang) == resolved
    ended = {"stage": "closed", "disposition": "handled", **told}
    assert describe({"type": "closed_at_source", "data": ended}, lang) == closed
    late = {
        "stage": "message_undelivered",
        "remote_case_number": "110-7",
        "by": "system:110-link",
        "seat": "110:shenzhen.110",
        "text": "Leave now",
    }
    assert describe({"type": "link_110", "data": late}, lang) == undelivered


@pytest.mark.parametrize(
    ("lang", "texted", "merged"),
    [
        (
            "en",
            "The reporter's phone texted the alarm number on the network side (their case S-2): “Help”",
            "Seat futian.net merged case S-3 into case C-1 on its server; its reporter wrote: “A gun”",
        ),
        (
            "zh",
            "报警人手机在网络侧向报警号码发来短信（其警情 S-2）：“Help”",
            "坐席 futian.net 在其服务器上将警情 S-3 并入警情 C-1；其报警内容：“A gun”",
        ),
    ],
)
def test_what_the_network_side_learnt_from_its_reporters_reads_as_a_sentence_on_the_110_case(
    lang: str, texted: str, merged: str
) -> None:
    sms = {"text": "Help", "sms_case_number": "S-2", "source_case_number": "C-1"}
    assert describe({"type": "reporter_sms_at_source", "data": sms}, lang) == texted
    into = {"from_case_number": "S-3", "seat": "futian.net", "text": "A gun", "source_case_number": "C-1"}
    assert describe({"type": "merged_at_source", "data": into}, lang) == merged
