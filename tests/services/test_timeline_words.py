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
