"""Channel fixtures: a real SMS gateway on loopback (the SMS worker's tests take a database
of their own, `own_database`: the worker sends whatever is due in its database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sms_gateway import Gateway, running_gateway


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with running_gateway() as running:
        yield running
