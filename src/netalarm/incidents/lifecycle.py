"""The incident lifecycle in one place: the transition table and `transition()`.

received → accepted → dispatched → resolved → closed; a seat may close straight from
received/accepted only with a disposition that says there was nothing to dispose of.
"""

from __future__ import annotations

from typing import Final

from netalarm.core.clock import utcnow
from netalarm.core.errors import Conflict, Invalid
from netalarm.incidents.models import Incident

STATUSES: Final = ("received", "accepted", "dispatched", "resolved", "closed")
OPEN_STATUSES: Final = ("received", "accepted", "dispatched", "resolved")
PRIORITIES: Final = ("P1", "P2", "P3", "P4")
CATEGORIES: Final = (
    "violence",
    "robbery_theft",
    "fraud",
    "traffic",
    "fire",
    "medical",
    "missing_person",
    "domestic_violence",
    "disturbance",
    "other",
)
DISPOSITIONS: Final = ("handled", "false_alarm", "prank", "duplicate", "transferred", "test")
EARLY_CLOSE_DISPOSITIONS: Final = ("false_alarm", "prank", "duplicate", "test")
# Why a reporter took an alarm back: sent by mistake, or no longer in need of help.
WITHDRAWAL_REASONS: Final = ("mistake", "safe")

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "accept": (("received",), "accepted"),
    "dispatch": (("accepted",), "dispatched"),
    "resolve": (("dispatched",), "resolved"),
    "close": (("received", "accepted", "resolved"), "closed"),
}

DEFAULT_PRIORITY: Final = {
    "violence": "P1",
    "fire": "P1",
    "medical": "P1",
    "domestic_violence": "P1",
    "robbery_theft": "P2",
    "traffic": "P2",
    "missing_person": "P2",
    "fraud": "P3",
    "disturbance": "P3",
    "other": "P3",
}


def default_priority(category: str, silent: bool) -> str:
    """A silent alarm is P1: the reporter may be unable to speak because they are in danger."""
    return "P1" if silent else DEFAULT_PRIORITY.get(category, "P2")


def check_disposition(incident: Incident, disposition: str) -> None:
    if disposition not in DISPOSITIONS:
        raise Invalid(f"disposition must be one of {', '.join(DISPOSITIONS)}", field="disposition")
    if incident.status != "resolved" and disposition not in EARLY_CLOSE_DISPOSITIONS:
        raise Conflict(
            f"an incident that is {incident.status} can only be closed as "
            f"{', '.join(EARLY_CLOSE_DISPOSITIONS)}; resolve it first",
            field="disposition",
            code="illegal_transition",
        )


def transition(incident: Incident, action: str) -> tuple[str, str]:
    """Move the incident by `action`, stamping `<status>_at`; returns (from, to).
    Raises `Conflict` (409) and changes nothing if the action is not allowed now."""
    sources, target = TRANSITIONS[action]
    if incident.status not in sources:
        raise Conflict(
            f"cannot {action} an incident that is {incident.status}",
            code="illegal_transition",
            details={"status": incident.status, "accepted_by": incident.accepted_by},
        )
    before = incident.status
    now = utcnow()
    incident.status = target
    setattr(incident, f"{target}_at", now)
    incident.updated_at = now
    incident.version += 1
    return before, target
