"""The one source of the current time: aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, with time zone."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC with a `Z`; None stays None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
