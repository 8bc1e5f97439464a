"""Returns behaviour pinned down by mutation testing (DOMAIN §8): invariants, quantities, documents, signatures
and the per-event record of a return, each at its boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest

from complaint_core import Case, Channel, DomainError, Intake, InvalidTransition, Policy, RemedyKind, RuleViolation
from complaint_core.errors import InvalidInstant, MoneyError
from complaint_core.money import MAX_QUANTITY
from complaint_core.policy import ProofKind
from complaint_core.responsibility import Party, PartyKind, Responsibility
from complaint_core.returns import (
    UNDETERMINED,
    Inspection,
    Movement,
    OverReceiptApproval,
    Proof,
    Receipt,
    Refund,
    Return,
    ReturnStatus,
    Signatory,
    adjusted_collection_rate,
    apply,
    booked_by_case,
    booked_by_customer,
    replay,
)

D = Decimal
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def opened(policy: Policy, kind: RemedyKind = RemedyKind.RETURN, **kw: Any) -> Return:
    """A return (100 authorised at 12.50) or an allowance (1200.00) of 华东电子 on case 7, just opened; ``kw`` overrides."""
    goods = kind not in (RemedyKind.ALLOWANCE, RemedyKind.COMPENSATION)
    money: dict[str, Any] = {"authorised": 100, "unit_price": D("12.50")} if goods else {"agreed_amount": D("1200.00")}
    defaults: dict[str, Any] = {"return_id": uuid4(), "case_id": UUID(int=7), "customer": "华东电子", "at": T0}
    ret, _ = Return.open(policy, kind=kind, actor="sales", **{**defaults, **money, **kw})
    return ret


@pytest.mark.parametrize(
    ("rule", "changes"),
    [
        ("RET-VERSION", {"version": 0}),
        ("P1-RET-06", {"receipts": (Receipt(101, "B1", T0, "wh"),)}),
        (
            "P1-RET-06",
            {
                "receipts": (Receipt(100, "B1", T0, "wh"), Receipt(11, "B2", T0, "wh")),
                "over_receipts": (OverReceiptApproval(110, "张经理", "r", T0),),
            },
        ),
        ("RET-INSPECT", {"receipts": (Receipt(10, "", T0, "wh"),), "inspections": (Inspection(8, 3, T0, "qa"),)}),
        (
            "RET-REFUND",
            {
                "receipts": (Receipt(20, "", T0, "wh"),),
                "inspections": (Inspection(10, 0, T0, "qa"),),
                "refunds": (Refund(6, D("75.00"), "CN-1", T0),),
                "replacements": (Movement(6, T0, "wh"),),
            },
        ),
        (
            "RET-SCRAP",
            {
                "receipts": (Receipt(20, "", T0, "wh"),),
                "inspections": (Inspection(10, 5, T0, "qa"),),
                "scraps": (Movement(6, T0, "wh"),),
            },
        ),
    ],
)
def test_ret_invariants_hold_however_a_return_is_built(
    manufacturing: Policy, rule: str, changes: dict[str, Any]
) -> None:
    """P1-RET-06 / RET-INSPECT / RET-REFUND / RET-SCRAP: a return's quantities keep their invariants in every state,
    however it is built (a stored state or a replayed event stream that breaks one is refused): received ≤ the
    authorised quantity or the highest approved over-receipt, inspected ≤ received, refunded + replaced ≤ accepted,
    scrapped ≤ rejected, version ≥ 1."""
    ret = opened(manufacturing)
    with pytest.raises(RuleViolation) as err:
        attrs.evolve(ret, **changes)
    assert err.value.rule == rule


def test_ret_invariants_at_their_limits_are_kept(manufacturing: Policy) -> None:
    """P1-RET-06 / RET-REFUND / RET-SCRAP: each invariant is inclusive: a state exactly at every limit is valid."""
    ret = attrs.evolve(
        opened(manufacturing),
        receipts=(Receipt(100, "B1", T0, "wh"), Receipt(10, "B2", T0, "wh")),
        over_receipts=(OverReceiptApproval(110, "张经理", "r", T0),),
        inspections=(Inspection(60, 50, T0, "qa"),),
        refunds=(Refund(30, D("375.00"), "CN-1", T0),),
        replacements=(Movement(30, T0, "wh"),),
        scraps=(Movement(50, T0, "wh"),),
    )
    assert (ret.received, ret.receipt_ceiling, ret.inspected, ret.settleable) == (110, 110, 110, 0)


def test_p1_ret_02_an_allowance_counts_no_pieces(manufacturing: Policy) -> None:
    """P1-RET-02 / P1-RET-09: an allowance moves no goods: its receipt ceiling is 0, and once booked on its agreed
    amount it is booked on 0 pieces."""
    ret = opened(manufacturing, RemedyKind.ALLOWANCE)
    assert (ret.receipt_ceiling, opened(manufacturing).receipt_ceiling) == (0, 100)
    for hour, signatory in enumerate(Signatory, start=1):
        ret, _ = ret.sign(signatory=signatory, signer="someone", at=T0 + timedelta(hours=hour), actor="u")
    proof = Proof(kind=ProofKind.SIGNED_CERTIFICATE, reference="ZR-0001", buyer_stamped=True)
    ret, _ = ret.book(manufacturing, proof=proof, at=T0 + timedelta(hours=5), actor="u")
    assert (ret.status, ret.booked_quantity, ret.booked_amount) == (ReturnStatus.BOOKED, 0, D("1200.00"))


def test_p1_ret_05_only_a_goods_return_over_its_tolerance_is_blocked(manufacturing: Policy) -> None:
    """P1-RET-05: booking waits for an approval only for a goods return whose actual quantity is above authorised ×
    (1 + tolerance); one within it is not blocked, and an allowance (no quantities) never is."""
    assert not opened(manufacturing, RemedyKind.ALLOWANCE).blocked(manufacturing)
    ret = opened(manufacturing)
    ret, _ = ret.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="u")
    ret, _ = ret.approve_over_receipt(up_to=120, approver="张经理", reason="r", at=T0, actor="u")
    assert not ret.blocked(manufacturing)  # nothing received yet
    ret, _ = ret.receive(quantity=105, at=T0, actor="wh")
    assert not ret.blocked(manufacturing)  # 105 ≤ 100 × 1.05
    ret, _ = ret.receive(quantity=1, at=T0, actor="wh")
    assert ret.blocked(manufacturing)


def test_p1_ret_06_an_over_receipt_whose_amount_cannot_be_booked_is_refused(manufacturing: Policy) -> None:
    """P1-RET-06 / P1-RET-03: approving an over-receipt lets more goods in, to be booked at quantity × unit price: one
    whose amount is beyond any storable amount is refused when approved, not when booked."""
    ret = opened(manufacturing, authorised=1, unit_price=D("999999999.99"))
    ret, _ = ret.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="u")
    ret, _ = ret.approve_over_receipt(up_to=1000, approver="张经理", reason="r", at=T0, actor="u")
    with pytest.raises(MoneyError):
        ret.approve_over_receipt(up_to=10**7, approver="张经理", reason="r", at=T0, actor="u")


def received(policy: Policy, quantity: int, **kw: Any) -> Return:
    """A goods return approved by the manager with ``quantity`` pieces signed for (an over-receipt up to 120)."""
    ret = opened(policy, **kw)
    ret, _ = ret.sign(signatory=Signatory.MANAGER, signer="王经理", at=T0, actor="u")
    ret, _ = ret.approve_over_receipt(up_to=120, approver="张经理", reason="r", at=T0, actor="u")
    ret, _ = ret.receive(quantity=quantity, at=T0, actor="wh")
    return ret


def test_p1_ret_05_an_approval_over_the_tolerance_names_its_approver(manufacturing: Policy) -> None:
    """P1-RET-05: above the tolerance only an authorised approval books the return: a blank approver's name is no
    approval, even with a reason."""
    ret = received(manufacturing, 110)
    invoice = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-0001", buyer_stamped=True)
    for approver in ("", "  "):
        with pytest.raises(RuleViolation) as err:
            ret.book(manufacturing, proof=invoice, at=T0, actor="u", approver=approver, reason="签呈核准")
        assert err.value.rule == "P1-RET-05"
    booked, _ = ret.book(manufacturing, proof=invoice, at=T0, actor="u", approver="陈总", reason="签呈核准")
    assert booked.booking is not None and booked.booking.approver == "陈总" and booked.booked_quantity == 110


@pytest.mark.parametrize("proof", ["INV-0001", ("original_invoice", "INV-0001", True), ProofKind.ORIGINAL_INVOICE])
def test_p1_ret_08_a_proof_must_be_a_proof(manufacturing: Policy, proof: Any) -> None:
    """P1-RET-08: booking needs one proof (kind, reference, buyer's stamp); anything else is refused under the rule,
    not with a crash."""
    ret = received(manufacturing, 50)
    with pytest.raises(RuleViolation) as err:
        ret.book(manufacturing, proof=proof, at=T0, actor="u")
    assert err.value.rule == "P1-RET-08"


def test_p1_ret_04_a_case_or_customer_with_nothing_booked_is_not_listed(manufacturing: Policy) -> None:
    """P1-RET-04: unbooked returns count for nothing: a case or customer whose returns are all unbooked has no line
    (not a line of 0.00) in the booked totals."""
    invoice = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-0001", buyer_stamped=True)
    booked, _ = received(manufacturing, 80).book(manufacturing, proof=invoice, at=T0, actor="u")
    unbooked = received(manufacturing, 50, case_id=UUID(int=8), customer="华南精密")
    assert booked_by_case([booked, unbooked]) == {UUID(int=7): D("1000.00")}
    assert booked_by_customer([unbooked, booked]) == {"华东电子": D("1000.00")}


@pytest.mark.parametrize("field", ["receivable", "disputed_uncollected"])
@pytest.mark.parametrize("bad", [D("-1.00"), D("1.001"), 1.5])
def test_p1_ret_07_every_amount_of_the_collection_rate_is_money(field: str, bad: Any) -> None:
    """P1-RET-07: the receivable and the disputed uncollected amount are money (Decimal yuan, two places, not
    negative) like the collected amount."""
    amounts = {"collected": D("150000.00"), "receivable": D("200000.00"), "disputed_uncollected": D("40000.00")}
    with pytest.raises(MoneyError):
        adjusted_collection_rate(**{**amounts, field: bad})


def test_p1_ret_07_any_positive_denominator_gives_a_rate() -> None:
    """P1-RET-07: only a zero or negative denominator is refused; one fen of receivable left is a rate."""
    rate = adjusted_collection_rate(collected=D("0.01"), receivable=D("1.01"), disputed_uncollected=D("1.00"))
    assert rate == D("1")
    half = adjusted_collection_rate(collected=D("0.50"), receivable=D("1.00"), disputed_uncollected=D("0.00"))
    assert half == D("0.5")


def test_p1_ret_07_the_rate_does_not_depend_on_the_callers_decimal_context() -> None:
    """P1-RET-07: the unrounded ratio is worked out in its own 28-digit context, whatever the caller's precision."""
    with localcontext() as ctx:
        ctx.prec = 4
        rate = adjusted_collection_rate(collected=D("1.00"), receivable=D("3.00"), disputed_uncollected=D("0.00"))
    assert rate == D(1) / D(3) and len(rate.as_tuple().digits) == 28


@pytest.mark.parametrize(
    ("error", "rule", "kw"),
    [
        (RuleViolation, "P1-RET-01", {"kind": "refund"}),
        (RuleViolation, "P1-RET-01", {"customer": " "}),
        (MoneyError, "P1-RET-03", {"unit_price": None}),
        (MoneyError, "MONEY", {"authorised": 10**7, "unit_price": D("999999999.99")}),
        (RuleViolation, "P1-RET-03", {"agreed_amount": D("1250.00")}),
        (RuleViolation, "P1-RET-02", {"kind": RemedyKind.ALLOWANCE, "claimed": 10}),
        (RuleViolation, "P1-RET-02", {"kind": RemedyKind.ALLOWANCE, "unit_price": D("12.50")}),
        (MoneyError, "P1-RET-02", {"kind": RemedyKind.COMPENSATION, "agreed_amount": None}),
        (MoneyError, "MONEY", {"kind": RemedyKind.ALLOWANCE, "agreed_amount": D("0.00")}),
    ],
)
def test_p1_ret_01_03_opening_refuses_what_the_document_cannot_carry(
    manufacturing: Policy, error: type[Exception], rule: str, kw: dict[str, Any]
) -> None:
    """P1-RET-01..03: a return is opened for a known remedy kind and a named customer; a goods return needs its unit
    price, an amount any store can keep (authorised × price), and books quantity × price, not an agreed amount; an
    allowance or compensation gives its agreed amount only, no claimed quantity or unit price."""
    kind = kw.pop("kind", RemedyKind.RETURN)
    with pytest.raises(error) as err:
        opened(manufacturing, kind, **kw)
    assert getattr(err.value, "rule", None) == rule


def test_p1_ret_10_the_claim_note_says_undetermined_only_without_a_claim(manufacturing: Policy) -> None:
    """P1-LC-02 / P1-RET-10: without a claimed quantity the note reads 客户加工中未确定 unless one is given; with a
    claimed quantity there is no note."""
    assert opened(manufacturing, claimed=None).claim_note == UNDETERMINED
    assert opened(manufacturing, claimed=None, claim_note="客户盘点中").claim_note == "客户盘点中"
    assert opened(manufacturing, claimed=120).claim_note == ""


def test_p1_ret_01_the_opening_instant_is_aware_and_kept_in_utc(manufacturing: Policy) -> None:
    """DOMAIN §4: a return is opened at an aware instant, stored in UTC; a naive one is refused."""
    shanghai = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    ret = opened(manufacturing, at=shanghai)
    assert ret.opened_at == T0 and ret.opened_at.tzinfo is UTC
    with pytest.raises(InvalidInstant):
        opened(manufacturing, at=datetime(2026, 11, 20, 9, 0))


def closed(policy: Policy, *, remedy: bool = True) -> Case:
    """A case closed at T0 + 5 h with an approved allowance of 860.00, or found not established (no remedy)."""
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=T0, actor="clerk")
    steps: list[tuple[str, dict[str, Any]]] = [("register", {"number": "261101"})]
    if remedy:
        steps += [
            ("start_investigation", {}),
            ("attribute", {"causer": Responsibility.sole(Party(PartyKind.GROUP_UNIT, "smt", "SMT"))}),
            ("propose", {"kind": RemedyKind.ALLOWANCE, "amount": D("860.00")}),
            ("approve", {"role": "gm"}),
        ]
    else:
        steps.append(("find_not_established", {"reason": "误会"}))
    steps.append(("reply_to_customer", {"message": "答复", "reaction": "accepted"}))
    for minutes, (command, kw) in enumerate(steps, start=1):
        case, _ = getattr(case, command)(policy, at=T0 + timedelta(minutes=minutes), actor="u", **kw)
    case, _ = case.close(policy, at=T0 + timedelta(hours=5), actor="u")
    return case


def test_p1_ret_01_a_remedy_is_executed_after_closure_and_only_an_approved_one(manufacturing: Policy) -> None:
    """P1-RET-01 / CASE-TIME-ORDER: the return of a closed case's approved remedy is opened at or after the closure,
    never before it; a case closed without a remedy has nothing to execute."""
    case = closed(manufacturing)
    at_close = T0 + timedelta(hours=5)
    with pytest.raises(RuleViolation) as err:
        Return.for_case(manufacturing, case, return_id=uuid4(), at=at_close - timedelta(seconds=1), actor="sales")
    assert err.value.rule == "CASE-TIME-ORDER"
    ret, _ = Return.for_case(manufacturing, case, return_id=uuid4(), at=at_close, actor="sales")
    assert (ret.kind, ret.agreed_amount) == (RemedyKind.ALLOWANCE, D("860.00"))
    without = closed(manufacturing, remedy=False)
    with pytest.raises(RuleViolation) as err:
        Return.for_case(manufacturing, without, return_id=uuid4(), at=at_close, actor="sales")
    assert err.value.rule == "P1-RET-01"


def test_p1_ret_04_no_claim_is_recorded_after_booking(manufacturing: Policy) -> None:
    """P1-RET-04 / P1-RET-10: once booked the return is final: a claimed quantity known only afterwards is refused."""
    invoice = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-0001", buyer_stamped=True)
    booked, _ = received(manufacturing, 80, claimed=None).book(manufacturing, proof=invoice, at=T0, actor="u")
    with pytest.raises(InvalidTransition) as err:
        booked.record_claim(quantity=80, at=T0, actor="u")
    assert err.value.rule == "P1-RET-04"


def test_ret_policy_a_return_books_only_under_its_own_policy_id(manufacturing: Policy) -> None:
    """RET-POLICY: a return is booked under the policy it was opened under: another policy of the same version number
    is refused."""
    other = attrs.evolve(manufacturing, policy_id="furniture")
    invoice = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-0001", buyer_stamped=True)
    with pytest.raises(RuleViolation) as err:
        received(manufacturing, 50).book(other, proof=invoice, at=T0, actor="u")
    assert err.value.rule == "RET-POLICY"


# ----- documents, signatures and the per-event record -------------------------------------------------------------
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
