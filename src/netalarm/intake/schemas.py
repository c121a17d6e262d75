"""The intake request body: every field optional but the idempotency key; unknown fields refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from netalarm.incidents.lifecycle import CATEGORIES, WITHDRAWAL_REASONS

LOCATION_SOURCES = ("gps", "network", "manual", "aml", "cell")

Category = Literal[CATEGORIES]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocationIn(Strict):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=1_000_000, allow_inf_nan=False)
    source: Literal["gps", "network", "manual", "aml", "cell"] = "gps"


class ReporterIn(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    id_number: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


# The shortest idempotency key intake takes.
KEY_MIN = 8


class AlarmIn(Strict):
    idempotency_key: str = Field(min_length=KEY_MIN, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")
    category: Category = "other"
    description: str = Field(default="", max_length=10_000)
    silent: bool = False
    location: LocationIn | None = None
    reporter: ReporterIn | None = None
    channel: Literal["web", "app", "sms", "api"] = "web"


class CategoryIn(Strict):
    category: Category


class WithdrawIn(Strict):
    reason: Literal[WITHDRAWAL_REASONS]  # type: ignore[valid-type]


class AlarmAccepted(BaseModel):
    id: str
    incident_id: str
    case_number: str
    status: str
    reporter_token: str
    created_at: str
