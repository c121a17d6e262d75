"""Seats (operators), their access tokens, and reporters."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from netalarm.core.clock import utcnow
from netalarm.core.db import Base, UTCDateTime
from netalarm.core.ids import uuid7

SEAT_ROLES = ("network", "110", "supervisor", "admin")


class Seat(Base):
    __tablename__ = "seats"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centres.id"))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SeatToken(Base):
    """A bearer token of a signed-in seat; only its SHA-256 is stored."""

    __tablename__ = "seat_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the seat last acted with this token (background polls do not count); a token idle
    # for longer than `seat_idle_timeout_s` is refused.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a console last used the token at all, background polls included: an open console
    # polls every few seconds, so a token not seen for a while is a console left or closed.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SignInFailures(Base):
    """Failed sign-ins in a row under one username, and the lock they led to. Kept for any
    username tried, known or not, so a locked answer says nothing about whether a seat of
    that name exists (see `accounts.lockout`). A successful sign-in deletes the row."""

    __tablename__ = "seat_sign_ins"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Reporter(Base):
    """The person raising alarms; anonymous unless they give a name, phone or ID number."""

    __tablename__ = "reporters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    id_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When and how `phone` was shown to be the reporter's: `sms_code` (they typed back the
    # code sent to it, see `verification`) or `carrier` (the alarm came by SMS from it).
    phone_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    phone_verified_via: Mapped[str | None] = mapped_column(String(16), nullable=True)
