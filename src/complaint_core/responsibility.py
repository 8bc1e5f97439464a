"""Fault attribution: parties with fault shares summing to exactly 1 (DOMAIN §2).

Shares are Decimals in (0, 1]; a party appears once. External parties
(supplier, carrier, customer) may carry fault but no deduction.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

import attrs

from .errors import RuleViolation, exact_member
from .money import MAX_RATIO_PLACES, ratio_is_plain


class PartyKind(StrEnum):
    PERSON = "person"
    GROUP_UNIT = "group_unit"
    DEPARTMENT = "department"
    SUPPLIER = "supplier"
    CARRIER = "carrier"
    CUSTOMER = "customer"


EXTERNAL_KINDS = frozenset({PartyKind.SUPPLIER, PartyKind.CARRIER, PartyKind.CUSTOMER})
_NONE, _WHOLE = Decimal(0), Decimal(1)  # no fault, all of it (Decimal against Decimal compares fastest)


@attrs.frozen
class Party:
    kind: PartyKind
    id: str
    name: str = ""

    def __attrs_post_init__(self) -> None:
        exact_member(PartyKind, self.kind, "the party kind", "PARTY")
        if not isinstance(self.id, str) or not isinstance(self.name, str):
            raise RuleViolation(f"a party's id and name are texts, got {self.id!r} and {self.name!r}", rule="PARTY")

    @property
    def external(self) -> bool:
        return self.kind in EXTERNAL_KINDS


@attrs.frozen
class FaultShare:
    party: Party
    share: Decimal


@attrs.frozen
class Responsibility:
    shares: tuple[FaultShare, ...]

    def __attrs_post_init__(self) -> None:
        if not self.shares:
            raise RuleViolation("a responsibility needs at least one party", rule="P1-ROLE-07")
        seen: set[tuple[PartyKind, str]] = set()
        total = _NONE
        for i, item in enumerate(self.shares):
            key = (item.party.kind, item.party.id)
            if key in seen:
                raise RuleViolation(f"shares[{i}]: party {item.party.id!r} appears twice", rule="P1-ROLE-07")
            seen.add(key)
            share = item.share
            if not isinstance(share, Decimal) or not share.is_finite() or not _NONE < share <= _WHOLE:
                raise RuleViolation(f"shares[{i}]: share {share} must be in (0, 1]", rule="P1-ROLE-07")
            total += share
        if total != _WHOLE:
            raise RuleViolation(f"fault shares sum to {total}, not exactly 1", rule="P1-ROLE-07")

    def check_places(self, what: str) -> None:
        """A new finding's shares have at most ``MAX_RATIO_PLACES`` decimal places, so their sum above is exact
        (0.5 + 0.5000…01 with 31 digits summed to 1 in the 28-digit context). Checked by the command, not here:
        findings stored before the limit must still load."""
        for i, item in enumerate(self.shares):
            if not ratio_is_plain(item.share):
                raise RuleViolation(
                    f"{what}.shares[{i}]: share {item.share} has more than {MAX_RATIO_PLACES} decimal places",
                    rule="P1-ROLE-07",
                )

    def names(self, kind: PartyKind, party_id: str) -> bool:
        """Does a share belong to the party of this kind and id (whatever its display name)?"""
        return any(item.party.kind is kind and item.party.id == party_id for item in self.shares)

    @classmethod
    def sole(cls, party: Party) -> Responsibility:
        return cls((FaultShare(party, _WHOLE),))
