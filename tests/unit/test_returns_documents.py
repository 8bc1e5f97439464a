"""DOMAIN §9 (returns & allowances, P1 only): quantities, documents, signatures and the per-event record of a
return, each at its boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from complaint_core import DomainError, Policy, RemedyKind, RuleViolation
from complaint_core.money import MAX_QUANTITY
from complaint_core.returns import Return, Signatory, apply, replay

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def opened(policy: Policy, kind: RemedyKind = RemedyKind.RETURN, **kw: Any) -> Return:
    """A return (100 pieces at 12.50) or an allowance (1200.00), just issued."""
    given: dict[str, Any] = {"return_id": UUID(int=1), "case_id": UUID(int=2), "customer": "华东电子", "kind": kind}
    if kind in (RemedyKind.ALLOWANCE, RemedyKind.COMPENSATION):
        given["agreed_amount"] = Decimal("1200.00")
    else:
        given.update(authorised=100, unit_price=Decimal("12.50"))
    ret, _ = Return.open(policy, at=T0, actor="S02", **{**given, **kw})
    return ret


def test_ret_quantity_the_largest_storable_quantity_is_the_limit(manufacturing: Policy) -> None:
    """RET-QUANTITY: a quantity is at most MAX_QUANTITY pieces (10**12), inclusive; one more is refused by that
    rule even where its amount would still be storable (0.01 a piece)."""
    cent = Decimal("0.01")
    assert opened(manufacturing, authorised=MAX_QUANTITY, unit_price=cent).authorised == MAX_QUANTITY
    with pytest.raises(RuleViolation, match="authorised must be at most 1,000,000,000,000 pieces") as err:
        opened(manufacturing, authorised=MAX_QUANTITY + 1, unit_price=cent)
    assert err.value.rule == "RET-QUANTITY"


@pytest.mark.parametrize("ratio", ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity"])
def test_p1_ret_05_a_tolerance_that_is_no_number_is_refused_by_the_rule(manufacturing: Policy, ratio: str) -> None:
    """P1-RET-05: the customer's over-quantity acceptance ratio is a finite Decimal; NaN and infinities are refused
    with the rule (a NaN compared with 0 raised decimal.InvalidOperation instead)."""
    with pytest.raises(RuleViolation, match="over-quantity acceptance ratio") as err:
        opened(manufacturing, customer_tolerance=Decimal(ratio))
    assert err.value.rule == "P1-RET-05"


@pytest.mark.parametrize("customer", [None, 7, b"hd"])
def test_p1_ret_01_a_customer_that_is_not_text_is_refused_by_the_rule(manufacturing: Policy, customer: Any) -> None:
    """P1-RET-01: the document names its customer; a customer that is no text is refused as missing, not with an
    AttributeError from ``.strip()``."""
    with pytest.raises(RuleViolation, match="the customer is required") as err:
        opened(manufacturing, customer=customer)
    assert err.value.rule == "P1-RET-01"


def test_p1_apr_07_a_signer_that_is_not_text_is_refused_by_the_rule(manufacturing: Policy) -> None:
    """P1-APR-07: the manager who signs the return slip is named; ``None`` is refused with the form's rule."""
    with pytest.raises(RuleViolation, match="the signer's name is required") as err:
        opened(manufacturing).sign(signatory=Signatory.MANAGER, signer=None, at=T0, actor="S01")  # type: ignore[arg-type]
    assert err.value.rule == "P1-APR-07"


@pytest.mark.parametrize("signatory", [Signatory.GENERAL_MANAGER, Signatory.CUSTOMER])
def test_p1_apr_07_the_return_slip_is_not_signed_by_others_than_the_manager(
    manufacturing: Policy, signatory: Signatory
) -> None:
    """P1-APR-07: the return slip needs only the manager; a GM's signature or the customer's seal is refused as
    not belonging to the form (not as "already signed"), before or after the manager signed."""
    unsigned = opened(manufacturing)
    signed, _ = unsigned.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="S01")
    for ret in (unsigned, signed):
        with pytest.raises(
            RuleViolation, match=f"Finished-goods return slip is not signed by {signatory.value}"
        ) as err:
            ret.sign(signatory=signatory, signer="某人", at=T0, actor="S01")
        assert err.value.rule == "P1-APR-07"


def test_ret_refund_replacing_more_than_is_left_is_refused_with_what_is_left(manufacturing: Policy) -> None:
    """RET-REFUND: replacements never exceed the accepted pieces not yet refunded or replaced; the refusal says
    how many are left (not only that the totals broke an invariant)."""
    ret, _ = opened(manufacturing).sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="S01")
    ret, _ = ret.receive(quantity=10, at=T0, actor="warehouse")
    ret, _ = ret.inspect(accepted=8, rejected=2, at=T0, actor="qa")
    ret, _ = ret.replace(quantity=5, at=T0, actor="S02")
    with pytest.raises(RuleViolation, match=r"cannot replace 4: 8 accepted, 0 refunded, 5 replaced, so 3 left") as err:
        ret.replace(quantity=4, at=T0, actor="S02")
    assert err.value.rule == "RET-REFUND"
    assert ret.replace(quantity=3, at=T0, actor="S02")[0].replaced == 8


def test_event_version_an_event_of_another_return_is_not_applied(manufacturing: Policy) -> None:
    """EVENT-VERSION: an event applies to its own return only; another return's event with the next version is
    refused (by ``apply`` and by ``replay``), however well its version fits."""
    first, (opening,) = Return.open(
        manufacturing, return_id=UUID(int=10), case_id=UUID(int=2), customer="华东电子", kind=RemedyKind.RETURN,
        at=T0, actor="S02", authorised=5, unit_price=Decimal("1.00"),
    )  # fmt: skip
    other = opened(manufacturing)
    _, (signed,) = first.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="S01")
    assert signed.version == other.version + 1 and signed.aggregate_id != other.return_id
    with pytest.raises(DomainError, match="does not follow return version 1") as err:
        apply(signed, other)
    assert err.value.rule == "EVENT-VERSION"
    _, (foreign,) = other.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="S01")
    with pytest.raises(DomainError):
        replay([opening, foreign])
    assert replay([opening, signed]).document.complete
