"""Identity checks: a phone number is valid exactly when libphonenumber says so, and comes
back in E.164 — the quick way for plain Chinese mobile numbers included."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from netalarm.accounts.validation import normalise_phone
from netalarm.core.errors import Invalid


def reference(raw: str) -> str | None:
    """What libphonenumber's full parse makes of `raw` read as Chinese (None: not valid)."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(raw: str) -> str | None:
    try:
        return normalise_phone(raw)
    except Invalid as refused:
        assert refused.field == "reporter.phone"
        return None


def test_every_eleven_digit_number_beginning_with_1_is_judged_as_libphonenumber_judges_it() -> None:
    draw = random.Random(110)
    numbers = [f"{prefix}{draw.randrange(10**7):07d}" for prefix in range(1000, 2000) for _ in range(3)]
    numbers += ["12593138001", "17951380013", "17911380013", "11000000000", "19999999999"]
    differing = [
        (raw, ours(raw), reference(raw))
        for number in numbers
        for raw in (number, f"+86{number}")
        if ours(raw) != reference(raw)
    ]
    assert differing == []
    assert sum(reference(n) is not None for n in numbers) > 1000  # the sample holds valid mobiles


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("010 6552 9988", "+861065529988"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_valid_numbers_come_back_in_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12345", "1380013800", "138001380001", "+8612345678901", "phone", "+86 138 0013 800"]
)
def test_invalid_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        normalise_phone(raw, field="sender")
    assert refused.value.field == "sender"
