"""HTTP `Range: bytes=…` requests (RFC 9110 §14): one range per request, as browsers send."""

from __future__ import annotations

import re
from dataclasses import dataclass

from netalarm.core.errors import DomainError

_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", re.IGNORECASE)


class RangeNotSatisfiable(DomainError):
    status = 416
    code = "range_not_satisfiable"


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    @property
    def header(self) -> str:
        return f"bytes={self.start}-{self.end - 1}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to send of a `size`-byte file, or None for the whole file (no header, or one
    this server ignores, as RFC 9110 allows: another unit, several ranges, bad syntax).
    A well-formed range that starts past the end raises `RangeNotSatisfiable`."""
    match = _RANGE.fullmatch(header or "")
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:  # a suffix: the last N bytes
        count = int(match[2])
        if count == 0 or size == 0:
            raise RangeNotSatisfiable(f"the file has {size} bytes", field="Range")
        return ByteRange(max(0, size - count), size)
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(f"the file has {size} bytes", field="Range")
    return ByteRange(start, min(size, int(match[2]) + 1) if match[2] else size)
