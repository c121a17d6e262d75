"""What crosses the boundary link, as checked shapes: the forward the intranet pulls, and the
progress entries it sends back. Both sides parse with these, so a malformed message is a
clear 422 on the Internet side and a logged, skipped message on the intranet side."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from netalarm.incidents.lifecycle import CATEGORIES, PRIORITIES
from netalarm.intake.schemas import LocationIn, ReporterIn
from netalarm.timeline.models import TimelineEntry

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]

# Whom a forward goes to: the 110 server over the boundary link, or the superior server.
LINK_110: Final = "110"
SUPERIOR: Final = "superior"
# Who handed a forward over the 110 link, as the intranet side names it.
NETWORK: Final = "network"
# Who writes, on either side, what came over: the 110 link, or federation with the superior.
ACTORS: Final = {LINK_110: "system:110-link", SUPERIOR: "system:federation"}
# The first entry of an incident made from a forward: over the 110 link, or from a subordinate.
FIRST_TYPES: Final = ("received_from_network", "escalated_in")
# The handing side's entries that travel to the receiving side after the forward ("news"): the
# conversation with the reporter, the reporter's positions, its seats' reclassifications, a
# reporter's withdrawal of the alarm, and a reporter's request for quiet (their phone may be
# heard: the other side's seats, whose messages are texted to an SMS reporter, must know).
NEWS_TYPES: Final = ("message", "location", "classified", "withdrawn", "quiet_requested")
# The handing side's seats finishing or closing their case, told to the 110 side as news: its
# reporter is then out of reach (a closed case takes no more messages). An intranet server of
# the version before reads these stages and skips them.
CLOSING_TYPES: Final = ("resolved", "closed")
# Versions of the news: 2 adds a text the reporter's phone sent to the alarm number
# (`reporter_sms`), the reporter's receipts of the 110 seats' messages, and another case
# merged into the forwarded one (`merged_in`), which a receiving side of version 1 could not
# read. The 110 side asks with the version it reads (`?version=`; a server of the version
# before ignores it). 3 adds to the answer the forwards whose news the handing side cannot read
# (`unreadable`, with why), a key a receiving side of version 2 would refuse the answer for.
NEWS_VERSION: Final = 3
NEWS_TYPES_V2: Final = ("reporter_sms", "message_delivered", "message_read", "merged_in")
# The receiving side's timeline entries that travel back ("progress"), and the fields of their
# data that do; its seats' messages go back into the reporter's conversation.
RELAYED_TYPES: Final = (
    *FIRST_TYPES,
    "message",
    "accepted",
    "dispatched",
    "resolved",
    "closed",
    "transferred",
    "escalated",
    "merged",
    "classified",
)
RELAYED_FIELDS: Final = ("seat", "note", "outcome", "disposition", "from", "to", "into_case_number")
LOCATION_FIELDS: Final = ("lat", "lon", "accuracy_m", "source")
# The most forwards one request names (the keys of a map of news, progress or files, the ids
# of a question about files): a side following more (a disaster day) asks in pages of this many.
MAX_FORWARDS: Final = 1000

T = TypeVar("T")


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
    """One timeline entry of a forwarded incident, sent to the other side: the receiving
    side's progress back, or the handing side's news onwards."""

    seq: int = Field(ge=1)
    type: Literal[(*RELAYED_TYPES, "location", "withdrawn", "quiet_requested", *NEWS_TYPES_V2)]  # type: ignore[valid-type]
    at: datetime
    actor: str = Field(max_length=200)
    case_number: str = Field(max_length=64)
    data: dict[str, Any]


class ProgressBatch(Wire):
    updates: list[Progress] = Field(max_length=500)


class ProgressMap(Wire):
    """Per forward, entries to record (a batch of news or progress)."""

    updates: dict[uuid.UUID, list[Progress]] = Field(max_length=MAX_FORWARDS)


class NewsAnswer(ProgressMap):
    """The news of the forwards asked about, and (version 3) those whose news the handing side
    cannot read, with why."""

    unreadable: dict[uuid.UUID, str] = Field(default_factory=dict, max_length=MAX_FORWARDS)


class AfterMap(Wire):
    """Per forward, the last entry the asking side has."""

    after: dict[uuid.UUID, int] = Field(max_length=MAX_FORWARDS)


class ForwardIds(Wire):
    """Forwards whose files the asking side wants listed."""

    forwards: list[uuid.UUID] = Field(max_length=MAX_FORWARDS)


class RemoteMedia(Wire):
    """A file of a forwarded incident, as the handing side stored and hashed it: the receiving
    side fetches it, hashes what it received, and keeps it only if both agree."""

    id: uuid.UUID
    filename: str = Field(max_length=255)
    kind: str = Field(max_length=8)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # The chat message (on the handing side) the file was sent with, if any.
    message_id: uuid.UUID | None = None


class MediaMap(Wire):
    """Per forward, the files of its incident."""

    media: dict[uuid.UUID, list[RemoteMedia]] = Field(max_length=MAX_FORWARDS)


def pages(forwards: dict[uuid.UUID, T]) -> Iterator[dict[uuid.UUID, T]]:
    """`forwards` in pages of at most `MAX_FORWARDS`, in order: one request each. None when
    there are none."""
    items = list(forwards.items())
    for start in range(0, len(items), MAX_FORWARDS):
        yield dict(items[start : start + MAX_FORWARDS])


def relayed_data(type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The part of an entry's data that crosses the link: a message's id, sender, seat and text; a
    position; a withdrawal's reason; a reporter's SMS's text and case; else the fields of
    `RELAYED_FIELDS`."""
    if type == "message":
        message = data.get("message") or {}
        return {
            "id": message.get("id"),
            "from": message.get("from"),
            "seat": message.get("seat"),
            "text": message.get("text") or "",
        }
    if type == "location":
        return {name: data.get(name) for name in LOCATION_FIELDS}
    if type == "withdrawn":
        return {"reason": data.get("reason")}
    if type == "reporter_sms":
        return {"text": data.get("text") or "", "case_number": data.get("case_number")}
    return {name: data[name] for name in RELAYED_FIELDS if data.get(name) is not None}


def relayed_message_key(source: str, message_id: uuid.UUID) -> str:
    """The idempotency key of a message that came over from `source`, where it had the id
    `message_id`: how a file sent with that message finds it here."""
    return f"{relayed_message_prefix(source)}{message_id}"


def relayed_message_prefix(source: str) -> str:
    """What the keys of the messages that came over from `source` begin with."""
    return f"relay:{source}:"


def progress_of(entry: TimelineEntry, case_number: str) -> Progress:
    """A timeline entry of the incident numbered `case_number`, as it goes over."""
    return Progress(
        seq=entry.seq,
        type=entry.type,
        at=entry.at,
        actor=entry.actor,
        case_number=case_number,
        data=relayed_data(entry.type, entry.data),
    )


def relayable(type: str, actor: str) -> bool:
    """Whether an entry goes over: a message only when a person here wrote it (a seat, or the
    reporter), a reclassification only when a seat here made it — what came over the link is
    not sent back."""
    if type == "message":
        return actor.startswith(("seat:", "reporter:"))
    if type == "classified":
        return actor.startswith("seat:")
    return True
