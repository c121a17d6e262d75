"""Settings refuse what they cannot mean, instead of running on a typo."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netalarm.core.settings import Settings


@pytest.mark.parametrize("role", ["internet", "intranet"])
def test_both_roles_are_accepted(role: str) -> None:
    assert Settings(role=role).role == role


@pytest.mark.parametrize("role", ["extranet", "Intranet", ""])
def test_an_unknown_role_is_refused_naming_the_setting(role: str) -> None:
    with pytest.raises(ValidationError, match="role"):
        Settings(role=role)


def test_the_110_link_is_down_after_30_s_of_silence_unless_set_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().link_down_s == 30
    monkeypatch.setenv("NETALARM_LINK_DOWN_S", "90")
    assert Settings().link_down_s == 90


@pytest.mark.parametrize("seconds", ["0", "-5", "soon"])
def test_a_link_down_threshold_that_is_no_positive_number_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, seconds: str
) -> None:
    monkeypatch.setenv("NETALARM_LINK_DOWN_S", seconds)
    with pytest.raises(ValidationError, match="link_down_s"):
        Settings()
