"""What crosses the boundary link, as checked shapes: the forward the intranet pulls, and the
progress entries it sends back. Both sides parse with these, so a malformed message is a
clear 422 on the Internet side and a logged, skipped message on the intranet side."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from netalarm.incidents.lifecycle import CATEGORIES, PRIORITIES
from netalarm.intake.schemas import LocationIn, ReporterIn

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]

# The first entry of an incident made from a forward: over the 110 link, or from a subordinate.
FIRST_TYPES: Final = ("received_from_network", "escalated_in")
# The receiving side's timeline entries that travel back, and the fields of their data that do.
RELAYED_TYPES: Final = (
    *FIRST_TYPES,
    "accepted",
    "dispatched",
    "resolved",
    "closed",
    "transferred",
    "escalated",
    "merged",
)
RELAYED_FIELDS: Final = ("seat", "note", "outcome", "disposition", "from", "to", "into_case_number")


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Forward(Wire):
    """One incident handed over (to 110, or up to the superior server): what the other side's
    seats need to take it over. `reporter` is the identity the reporter gave (None if
    anonymous); sharing it is on the timeline."""

    forward_id: uuid.UUID
    case_number: str = Field(max_length=64)
    centre: str = Field(max_length=32)
    centre_name: str = Field(max_length=200)
    priority: Priority
    category: Category
    description: str = Field(max_length=10_000)
    silent: bool
    location: LocationIn | None
    reported_at: datetime
    forwarded_at: datetime
    forwarded_by: str = Field(max_length=64)
    note: str = Field(max_length=10_000)
    reporter: ReporterIn | None
    media_count: int = Field(ge=0)


class Progress(Wire):
    """One entry of the receiving side's timeline of a forwarded incident, sent back."""

    seq: int = Field(ge=1)
    type: Literal[RELAYED_TYPES]  # type: ignore[valid-type]
    at: datetime
    actor: str = Field(max_length=200)
    case_number: str = Field(max_length=64)
    data: dict[str, Any]


class ProgressBatch(Wire):
    updates: list[Progress] = Field(max_length=500)


def relayed_data(data: dict[str, Any]) -> dict[str, Any]:
    """The part of an entry's data that crosses the link."""
    return {name: data[name] for name in RELAYED_FIELDS if data.get(name) is not None}
