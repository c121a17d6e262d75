"""Checks of reporter identity fields: phone numbers and Chinese resident ID numbers."""

from __future__ import annotations

import re

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from netalarm.core.errors import Invalid

_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN is not None and _CN.mobile is not None
assert _CN.mobile.national_number_pattern and _CN.national_prefix_for_parsing
_CN_MOBILE = re.compile(_CN.mobile.national_number_pattern)
_CN_PREFIX = re.compile(_CN.national_prefix_for_parsing)
_PLAIN_CN_NUMBER = re.compile(r"(?:\+86)?(1[0-9]{10})")


def normalise_phone(raw: str, *, field: str = "reporter.phone") -> str:
    """The phone number in E.164 (`+8613800138000`); a number without country code is
    read as Chinese. Raises `Invalid` for anything that is not a valid number."""
    # Most reporters send a Chinese mobile number as 11 plain digits, perhaps after +86.
    # Such a number is valid when the metadata's own mobile pattern matches it (and no
    # carrier prefix would be cut off it), as the full parse below would find — in a
    # fortieth of its 40 µs, which were a twentieth of a busy server's CPU.
    plain = _PLAIN_CN_NUMBER.fullmatch(raw)
    if plain and _CN_MOBILE.fullmatch(plain[1]) and not _CN_PREFIX.match(plain[1]):
        return "+86" + plain[1]
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
