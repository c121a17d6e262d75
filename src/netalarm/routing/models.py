"""Centres: units with a jurisdiction, forming a tree (district → city → province)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, JSONType, UTCDateTime
from netalarm.core.ids import uuid7


class Centre(Base):
    """A centre. `path` is the materialised path of codes (`/440300/440304/`), so the
    subtree of a centre is every centre whose path starts with its own."""

    __tablename__ = "centres"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("centres.id"), nullable=True)
    path: Mapped[str] = mapped_column(String(1000), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    jurisdiction: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
