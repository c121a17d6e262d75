"""Today's SLA figures for a supervisor: which incidents count, which are within the time
to accept, and the median time to accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netalarm.incidents.models import Incident
from netalarm.supervision.service import compliance, start_of_day

SLA = {"P1": 15.0, "P2": 30.0, "P3": 120.0, "P4": 600.0}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def incident(priority: str, age_s: float, accepted_after_s: float | None = None) -> Incident:
    created = NOW - timedelta(seconds=age_s)
    accepted = created + timedelta(seconds=accepted_after_s) if accepted_after_s is not None else None
    status = "accepted" if accepted else "received"
    return Incident(priority=priority, created_at=created, accepted_at=accepted, status=status)


def test_accepted_in_time_late_and_overdue_count_waiting_in_time_does_not() -> None:
    figures = compliance(
        [
            incident("P1", 100, accepted_after_s=10),  # within 15 s
            incident("P1", 100, accepted_after_s=20),  # late
            incident("P2", 100),  # not accepted, 30 s passed: counts against
            incident("P3", 60),  # not accepted, 120 s not yet passed: not counted
        ],
        SLA,
        NOW,
    )
    assert figures == {
        "incidents": 4,
        "counted": 3,
        "within_sla": 1,
        "share_within_sla": 1 / 3,
        "median_time_to_accept_s": 15.0,
        "waiting_now": 2,
    }


def test_a_quiet_day_has_no_share_and_no_median() -> None:
    figures = compliance([], SLA, NOW)
    assert figures["share_within_sla"] is None and figures["median_time_to_accept_s"] is None


def test_the_day_starts_at_local_midnight() -> None:
    assert start_of_day(NOW, "Asia/Shanghai") == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert start_of_day(datetime(2026, 11, 25, 17, 0, tzinfo=UTC), "Asia/Shanghai") == datetime(
        2026, 11, 25, 16, 0, tzinfo=UTC
    )
