"""Checks of reporter identity fields: phone numbers and Chinese resident ID numbers."""

from __future__ import annotations

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from netalarm.core.errors import Invalid


def normalise_phone(raw: str, *, field: str = "reporter.phone") -> str:
    """The phone number in E.164 (`+8613800138000`); a number without country code is
    read as Chinese. Raises `Invalid` for anything that is not a valid number."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"not a phone number: {exc}", field=field) from exc
    if not phonenumbers.is_valid_number(number):
        raise Invalid("not a valid phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_id_number(raw: str, *, field: str = "reporter.id_number") -> str:
    """A valid 18-digit resident identity card number, compact and upper-case."""
    try:
        return str(ric.validate(raw))
    except ValidationError as exc:
        raise Invalid(f"not a valid resident ID number: {exc}", field=field) from exc
