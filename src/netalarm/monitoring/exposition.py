"""Figures in Prometheus's text format (`prometheus_client` writes it)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric

from netalarm.monitoring.service import Figures


def _gauge(name: str, doc: str, label: str, values: Mapping[str, float]) -> GaugeMetricFamily:
    """A gauge with one sample per value, labelled by `label`."""
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


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
        yield _gauge(
            "netalarm_oldest_unaccepted_seconds",
            "How long the oldest incident waiting to be accepted has waited, by priority (0: none waits).",
            "priority",
            f.oldest_unaccepted_s,
        )
        yield GaugeMetricFamily(
            "netalarm_outbox_unpublished",
            "Committed events not yet published to seats and other servers.",
            value=f.outbox_unpublished,
        )
        yield _gauge("netalarm_sms_deliveries", "SMS not (yet) delivered, by state.", "status", f.sms)
        yield _gauge(
            "netalarm_forwards_waiting",
            "Hand-overs not yet taken by the 110 intranet or the superior server, by target.",
            "target",
            f.forwards_waiting,
        )
        yield GaugeMetricFamily(
            "netalarm_consoles_present", "Seats with a console open now.", value=f.consoles_present
        )


def render(figures: Figures, info: dict[str, str]) -> bytes:
    """The text a Prometheus scrape receives."""
    return generate_latest(_Reading(figures, info))
