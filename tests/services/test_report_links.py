"""A signed report link lasts at least the time it is made for, and not for ever."""

from __future__ import annotations

import time

import pytest

from netalarm.core.errors import Unauthorized
from netalarm.core.ids import uuid7
from netalarm.exports import links

KEY = b"k" * 32


def test_a_link_lasts_at_least_its_time_to_live_and_names_its_seat() -> None:
    incident_id, seat_id = uuid7(), uuid7()
    made = time.time()
    params = links.sign(KEY, incident_id, seat_id, 1)
    assert int(params["exp"]) >= made + 1  # a whole second, rounded up, never cut short
    assert links.check(KEY, incident_id, params["seat"], params["exp"], params["sig"]) == seat_id


def test_a_link_past_its_expiry_or_signed_for_another_incident_is_refused() -> None:
    incident_id, seat_id = uuid7(), uuid7()
    params = links.sign(KEY, incident_id, seat_id, 1)
    with pytest.raises(Unauthorized):
        links.check(KEY, uuid7(), params["seat"], params["exp"], params["sig"])
    expired = links.sign(KEY, incident_id, seat_id, -5)
    with pytest.raises(Unauthorized) as refused:
        links.check(KEY, incident_id, expired["seat"], expired["exp"], expired["sig"])
    assert refused.value.field == "exp"
