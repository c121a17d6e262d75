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
