"""A position written in an SMS: what phones put in an emergency text, and coordinates a
reporter pastes or types. Someone who cannot speak can still send where they are.

Read, in this order:
- an Advanced Mobile Location SMS (`A"ML=1;lt=+22.54317;lg=+114.05598;rd=50;…`, sent by the
  phone itself): source `aml`, its radius as the accuracy;
- a `geo:` URI (`geo:22.5431,114.0579;u=30`): source `manual`, `u` as the accuracy;
- a latitude and longitude in decimal degrees with at least four decimals each, separated by a
  comma (also `%2C` or a full-width comma), as in a map link (`maps.google.com/?q=22.5431,114.0579`,
  `maps.apple.com/?ll=…`, `google.com/maps/@…`) or typed: source `manual`, no accuracy.

Links of Chinese map services (Baidu, Amap/Gaode, Tencent) carry coordinates on their own
datums, hundreds of metres off WGS84, so a text naming one gives no position: the seat reads
the link itself. A pair out of range (a longitude first, as Amap writes it) is no position."""

from __future__ import annotations

import re

from pydantic import ValidationError

from netalarm.intake.schemas import LocationIn

_NUMBER = r"[+-]?\d{1,3}(?:\.\d+)?"
_AML = re.compile(rf"\blt=({_NUMBER});lg=({_NUMBER})(?:;rd=(\d+(?:\.\d+)?))?", re.IGNORECASE)
_GEO = re.compile(rf"\bgeo:({_NUMBER}),({_NUMBER})(?:,[^;\s]*)?(?:;u=(\d+(?:\.\d+)?))?", re.IGNORECASE)
_PAIR = re.compile(
    r"(?<![\d.])([+-]?\d{1,2}\.\d{4,})\s*(?:,|，|%2C)\s*([+-]?\d{1,3}\.\d{4,})(?![\d.])", re.IGNORECASE
)
_OTHER_DATUM = re.compile(r"baidu|amap|gaode|autonavi|map\.qq|apis\.map\.qq", re.IGNORECASE)


def position_in(text: str) -> LocationIn | None:
    """The first position the text gives (see the module), or None."""
    if _OTHER_DATUM.search(text):
        return None
    for pattern, source in ((_AML, "aml"), (_GEO, "manual"), (_PAIR, "manual")):
        found = pattern.search(text)
        if found is None:
            continue
        accuracy = found.group(3) if pattern.groups > 2 else None
        try:
            return LocationIn(
                lat=float(found.group(1)),
                lon=float(found.group(2)),
                accuracy_m=float(accuracy) if accuracy else None,
                source=source,
            )
        except ValidationError:
            continue
    return None
