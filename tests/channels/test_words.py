"""The printable report tells SMS and call-back entries (an SMS withheld for quiet, quiet
ended, a text after closing) in plain words, in both languages."""

from __future__ import annotations

import pytest

from netalarm.timeline.words import describe

ENTRIES = [
    ("sms_queued", {"delivery_id": "d", "to": "+86 138****8000", "to_source": "reporter", "text": "Hi"}),
    ("sms_delivered", {"delivery_id": "d", "to": "+86 138****8000", "attempts": 2}),
    ("sms_failed", {"delivery_id": "d", "to": "+86 138****8000", "attempts": 5, "error": "answered 500"}),
    ("sms_withheld", {"to": "+86 138****8000", "status": "dispatched", "reason": "silent"}),
    ("sms_withheld", {"delivery_id": "d", "to": "+86 138****8000", "text": "Hi", "reason": "silent"}),
    ("quiet_requested", {"alarm_id": "a"}),
    ("quiet_lifted", {"alarm_id": "a", "incident_silent": False}),
    ("sms_after_closing", {"alarm_id": "a", "text": "取消报警", "idempotency_key": "sms:1"}),
    (
        "call",
        {"to": "+86 138****8000", "to_source": "seat", "outcome": "busy", "note": "", "placed_by": "seat"},
    ),
]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "SMS to +86 138****8000 (the reporter's number) queued for sending: “Hi”",
                "SMS to +86 138****8000 sent (attempt 2).",
                "SMS to +86 138****8000 could not be sent after 5 attempt(s): answered 500",
                "No SMS to +86 138****8000 that the case is dispatched: the reporter asked for quiet "
                "(silent alarm).",
                "SMS to +86 138****8000 not sent, the reporter asked for quiet first: “Hi”",
                "The reporter asked for quiet: no texts unless needed, their phone may be heard.",
                "The reporter ended quiet: they may be texted again.",
                "The reporter texted after the case was closed: “取消报警”. No new alarm was raised; "
                "they were told the case is closed.",
                "The seat called back +86 138****8000 (a number the seat gave): line busy. Note: —",
            ],
        ),
        (
            "zh",
            [
                "短信待发送至 +86 138****8000（报警人号码）：“Hi”",
                "短信已发送至 +86 138****8000（第 2 次尝试）。",
                "短信未能发送至 +86 138****8000，共尝试 5 次：answered 500",
                "未向 +86 138****8000 发送“已派警”通知短信：报警人要求静默（静默报警）。",
                "报警人已要求静默，待发短信不再发送至 +86 138****8000：“Hi”",
                "报警人要求静默：除非必要不发短信，手机响动可能被人察觉。",
                "报警人取消静默：可以再给其发短信。",
                "报警人在结案后发来短信：“取消报警”。未新建警情，已回复告知警情已结案。",
                "坐席回拨 +86 138****8000（坐席输入的号码）：占线。备注：—",
            ],
        ),
    ],
)
def test_sms_call_and_quiet_entries_read_as_sentences(lang: str, expected: list[str]) -> None:
    assert [describe({"type": t, "data": d}, lang) for t, d in ENTRIES] == expected
