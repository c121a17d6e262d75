"""Figures in Prometheus's text format (`prometheus_client` writes it)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric

from netalarm.monitoring.service import Figures


class _Reading:
    """One reading as a Prometheus collector: `generate_latest` asks it for its metrics."""

    def __init__(self, figures: Figures, info: dict[str, str]) -> None:
        self._figures = figures
        self._info = info

    def collect(self) -> Iterator[Metric]:
        f = self._figures
        yield InfoMetricFamily(
            "netalarm", "The answering server: version, role and root centre.", value=self._info
        )
        opened = GaugeMetricFamily(
            "netalarm_open_incidents",
            "Incidents not yet closed, by status and priority.",
            labels=["status", "priority"],
        )
        for (status, priority), count in f.open_incidents.items():
            opened.add_metric([status, priority], count)
        yield opened
        oldest = GaugeMetricFamily(
            "netalarm_oldest_unaccepted_seconds",
            "How long the oldest incident waiting to be accepted has waited, by priority (0: none waits).",
            labels=["priority"],
        )
        for priority, seconds in f.oldest_unaccepted_s.items():
            oldest.add_metric([priority], seconds)
        yield oldest
        yield GaugeMetricFamily(
            "netalarm_outbox_unpublished",
            "Committed events not yet published to seats and other servers.",
            value=f.outbox_unpublished,
        )
        sms = GaugeMetricFamily(
            "netalarm_sms_deliveries", "SMS not (yet) delivered, by state.", labels=["status"]
        )
        for status, count in f.sms.items():
            sms.add_metric([status], count)
        yield sms
        waiting = GaugeMetricFamily(
            "netalarm_forwards_waiting",
            "Hand-overs not yet taken by the 110 intranet or the superior server, by target.",
            labels=["target"],
        )
        for target, count in f.forwards_waiting.items():
            waiting.add_metric([target], count)
        yield waiting
        yield GaugeMetricFamily(
            "netalarm_consoles_present", "Seats with a console open now.", value=f.consoles_present
        )


def render(figures: Figures, info: dict[str, str]) -> bytes:
    """The text a Prometheus scrape receives."""
    return generate_latest(_Reading(figures, info))
