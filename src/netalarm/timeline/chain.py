"""The hash chain: canonical JSON of an entry and SHA-256 over it and the previous hash."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import orjson

from netalarm.core.clock import iso

GENESIS = "0" * 64


def canonical(incident_id: uuid.UUID, seq: int, at: datetime, actor: str, type: str, data: Any) -> bytes:
    """The bytes an entry's hash covers: sorted keys, no spaces, UTF-8, UTC times."""
    doc = {
        "incident_id": str(incident_id),
        "seq": seq,
        "at": iso(at),
        "actor": actor,
        "type": type,
        "data": data,
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)


def entry_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()
