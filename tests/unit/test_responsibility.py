"""Fault attribution (DOMAIN §2, P1-ROLE-07): the refusals mutation testing found unchecked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from complaint_core import Party, PartyKind, Responsibility, RuleViolation
from complaint_core.responsibility import FaultShare

D = Decimal
S1 = Party(PartyKind.PERSON, "S1", "销售甲")
S2 = Party(PartyKind.PERSON, "S2", "销售乙")


def test_party_a_name_is_text() -> None:
    """PARTY: a party's display name is text, like its id."""
    with pytest.raises(RuleViolation, match="id and name are texts") as err:
        Party(PartyKind.PERSON, "S1", 5)  # type: ignore[arg-type]
    assert err.value.rule == "PARTY"


def test_p1_role_07_a_responsibility_names_somebody() -> None:
    """P1-ROLE-07: no shares at all is refused as naming nobody (not as shares that do not add up)."""
    with pytest.raises(RuleViolation, match="needs at least one party") as err:
        Responsibility(())
    assert err.value.rule == "P1-ROLE-07"


@pytest.mark.parametrize("bad", [1, 0.5, D("NaN"), D("0")])
def test_p1_role_07_a_share_is_a_decimal_above_zero(bad: object) -> None:
    """P1-ROLE-07: a share is a finite Decimal in (0, 1]: an int, a float, NaN or a zero share is refused by name."""
    with pytest.raises(RuleViolation, match=r"shares\[0\]: share .* must be in \(0, 1\]") as err:
        Responsibility((FaultShare(S1, bad), FaultShare(S2, D("1"))))  # type: ignore[arg-type]
    assert err.value.rule == "P1-ROLE-07"


def test_names_matches_the_kind_as_well_as_the_id() -> None:
    """A department whose code is a person's id does not hold that person at fault (F4-PN counts person shares)."""
    section = Responsibility.sole(Party(PartyKind.DEPARTMENT, "S1"))
    assert section.names(PartyKind.DEPARTMENT, "S1") and not section.names(PartyKind.PERSON, "S1")
