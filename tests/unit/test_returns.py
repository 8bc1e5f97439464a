"""DOMAIN §8: the Return aggregate: documents, quantities, reconciliation, proofs, accounting, eligibility."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest

from complaint_core import Case, Channel, DomainError, Intake, InvalidTransition, Policy, RemedyKind, RuleViolation
from complaint_core.errors import InvalidInstant, MoneyError
from complaint_core.policy import ProofKind, ReturnRules
from complaint_core.responsibility import Party, PartyKind, Responsibility
from complaint_core.returns import (
    RETURN_EVENT_TYPES,
    UNDETERMINED,
    CopyHolder,
    DocumentKind,
    Proof,
    Return,
    ReturnDecision,
    ReturnStatus,
    Signatory,
    adjusted_collection_rate,
    booked_by_case,
    booked_by_customer,
    replay,
    return_eligibility,
    tolerance_limit,
    within_tolerance,
)

D = Decimal
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
INVOICE = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference="INV-0001", buyer_stamped=True)
CERTIFICATE = Proof(kind=ProofKind.SIGNED_CERTIFICATE, reference="ZR-0001", buyer_stamped=True)
CASE_ID = UUID(int=7)


class Flow:
    """Runs commands on a return at increasing times and keeps the events."""

    def __init__(self, policy: Policy, **kw: Any) -> None:
        self.policy, self.at = policy, T0
        defaults: dict[str, Any] = {
            "return_id": uuid4(),
            "case_id": CASE_ID,
            "customer": "华东电子",
            "kind": RemedyKind.RETURN,
            "at": T0,
            "actor": "sales",
        }
        kind = kw.get("kind", RemedyKind.RETURN)
        if kind in (RemedyKind.ALLOWANCE, RemedyKind.COMPENSATION):
            defaults["agreed_amount"] = D("1200.00")
        else:
            defaults.update(authorised=100, unit_price=D("12.50"))
        self.ret, events = Return.open(policy, **{**defaults, **kw})
        self.events: list[Any] = list(events)

    def __call__(self, command: str, **kw: Any) -> Return:
        self.at += timedelta(hours=1)
        method = getattr(self.ret, command)
        if command == "book":
            kw = {"policy": self.policy, **kw}
        before = self.ret
        self.ret, events = method(at=kw.pop("at", self.at), actor=kw.pop("actor", "u"), **kw)
        assert len(events) == 1 and events[0].version == self.ret.version == before.version + 1
        assert type(events[0]) in RETURN_EVENT_TYPES and events[0].EVENT_TYPE.startswith("return.")
        self.events.extend(events)
        return self.ret

    def refused(self, error: type[DomainError], rule: str, command: str, **kw: Any) -> DomainError:
        before = self.ret
        with pytest.raises(error) as err:
            self(command, **kw)
        assert err.value.rule == rule, str(err.value)
        assert self.ret is before, "a refused command changes nothing"
        return err.value

    def approved(self) -> Return:
        return self("sign", signatory=Signatory.MANAGER, signer="王经理")

    def signed(self) -> Return:
        self("sign", signatory=Signatory.MANAGER, signer="王经理")
        self("sign", signatory=Signatory.GENERAL_MANAGER, signer="李总")
        return self("sign", signatory=Signatory.CUSTOMER, signer="华东电子(章)")


def goods(policy: Policy, received: int, **kw: Any) -> Flow:
    flow = Flow(policy, **kw)
    flow.approved()
    if received:
        flow("receive", quantity=received)
    return flow


# ----- documents ----------------------------------------------------------------------------------


def test_p1_ret_02_p1_form_07_allowance_certificate_has_two_copies_and_three_signatures(
    manufacturing: Policy,
) -> None:
    flow = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    doc = flow.ret.document
    assert doc.kind is DocumentKind.ALLOWANCE_CERTIFICATE and doc.spec.label.zh == "销货折让证明单"
    assert [(c.number, c.holder) for c in doc.copies] == [(1, CopyHolder.SALES), (2, CopyHolder.ACCOUNTING)]
    assert doc.missing == (Signatory.MANAGER, Signatory.GENERAL_MANAGER, Signatory.CUSTOMER)
    assert flow.signed().document.complete


def test_f3_cp_02_compensation_also_uses_the_allowance_certificate(manufacturing: Policy) -> None:
    flow = Flow(manufacturing, kind=RemedyKind.COMPENSATION)
    assert flow.ret.document.kind is DocumentKind.ALLOWANCE_CERTIFICATE


@pytest.mark.parametrize("missing", list(Signatory))
def test_p1_apr_06_allowance_is_not_booked_without_every_signature_and_the_seal(
    manufacturing: Policy, missing: Signatory
) -> None:
    flow = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    for signatory in Signatory:
        if signatory is not missing:
            flow("sign", signatory=signatory, signer="someone")
    err = flow.refused(RuleViolation, "P1-APR-06", "book", proof=CERTIFICATE)
    assert missing.value in err.message
    flow("sign", signatory=missing, signer="someone")
    assert flow("book", proof=CERTIFICATE).booked_amount == D("1200.00")


def test_p1_ret_03_p1_ret_06_p1_form_08_return_slip_copies_and_who_holds_them(manufacturing: Policy) -> None:
    flow = Flow(manufacturing, document_number="TH-2611-01")
    doc = flow.ret.document
    assert doc.kind is DocumentKind.RETURN_SLIP and doc.number == "TH-2611-01"
    assert [c.holder for c in doc.copies] == [CopyHolder.SALES] + [CopyHolder.WAREHOUSE] * 3
    assert doc.missing == (Signatory.MANAGER,)
    flow.approved()
    flow("receive", quantity=40, batch="B1")
    doc = flow.ret.document
    # P1-RET-06: copy 2 warehouse, 3 accounting, 4 back to sales once the warehouse signs for the goods
    assert [doc.holder(n) for n in (1, 2, 3, 4)] == [
        CopyHolder.SALES,
        CopyHolder.WAREHOUSE,
        CopyHolder.ACCOUNTING,
        CopyHolder.SALES,
    ]
    with pytest.raises(DomainError):
        doc.holder(5)


def test_p1_apr_07_return_slip_needs_the_managers_approval_before_goods_come_in(manufacturing: Policy) -> None:
    flow = Flow(manufacturing)
    flow.refused(RuleViolation, "P1-APR-07", "receive", quantity=10)
    flow.refused(RuleViolation, "P1-APR-07", "sign", signatory=Signatory.GENERAL_MANAGER, signer="李总")
    flow.refused(RuleViolation, "P1-APR-07", "sign", signatory=Signatory.MANAGER, signer="  ")
    flow.approved()
    flow.refused(RuleViolation, "P1-APR-07", "sign", signatory=Signatory.MANAGER, signer="again")
    assert flow("receive", quantity=10).received == 10


def test_p1_apr_06_a_signature_is_given_once(manufacturing: Policy) -> None:
    flow = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    flow("sign", signatory=Signatory.GENERAL_MANAGER, signer="李副总")
    flow.refused(RuleViolation, "P1-APR-06", "sign", signatory=Signatory.GENERAL_MANAGER, signer="李总")


def test_p1_ret_01_an_explanation_has_nothing_to_execute(manufacturing: Policy) -> None:
    with pytest.raises(RuleViolation) as err:
        Flow(manufacturing, kind=RemedyKind.EXPLANATION, authorised=1, unit_price=D("1.00"))
    assert err.value.rule == "P1-RET-01"


# ----- opening --------------------------------------------------------------------------------------


def test_p1_lc_02_p1_ret_10_claimed_quantity_may_be_undetermined(manufacturing: Policy) -> None:
    flow = Flow(manufacturing, claimed=None)
    assert flow.ret.claimed is None and flow.ret.claim_note == UNDETERMINED == "客户加工中未确定"
    assert flow("record_claim", quantity=120).claimed == 120
    flow.refused(RuleViolation, "P1-RET-10", "record_claim", quantity=130)
    # the claim never enters reconciliation: the authorised quantity of the closed form does
    assert flow.ret.reconciliation(manufacturing).authorised == 100


def test_p1_ret_10_a_return_needs_the_authorised_quantity(manufacturing: Policy) -> None:
    with pytest.raises(RuleViolation) as err:
        Flow(manufacturing, authorised=None, claimed=50)
    assert err.value.rule == "P1-RET-10"


def test_p1_ret_02_an_allowance_moves_no_goods(manufacturing: Policy) -> None:
    with pytest.raises(RuleViolation) as err:
        Flow(manufacturing, kind=RemedyKind.ALLOWANCE, authorised=10)
    assert err.value.rule == "P1-RET-02"
    with pytest.raises(MoneyError):
        Flow(manufacturing, kind=RemedyKind.ALLOWANCE, agreed_amount=None)
    flow = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    flow.signed()
    for command, kw in [
        ("receive", {"quantity": 1}),
        ("inspect", {"accepted": 1, "rejected": 0}),
        ("refund", {"quantity": 1, "reference": "CN-1"}),
        ("replace", {"quantity": 1}),
        ("scrap", {"quantity": 1}),
        ("approve_over_receipt", {"up_to": 2, "approver": "a", "reason": "r"}),
        ("record_claim", {"quantity": 1}),
    ]:
        flow.refused(RuleViolation, "P1-RET-02", command, **kw)
    with pytest.raises(RuleViolation):
        flow.ret.reconciliation(manufacturing)


@pytest.mark.parametrize(
    "field, value", [("unit_price", D("1.005")), ("unit_price", D("-1.00")), ("unit_price", 12.5), ("unit_price", None)]
)
def test_money_unit_price_is_decimal_yuan_with_two_places(manufacturing: Policy, field: str, value: Any) -> None:
    with pytest.raises(MoneyError):
        Flow(manufacturing, **{field: value})


@pytest.mark.parametrize("value", [D("-0.01"), 0.05, "0.05"])
def test_p1_ret_05_customer_tolerance_is_a_non_negative_decimal(manufacturing: Policy, value: Any) -> None:
    with pytest.raises(RuleViolation) as err:
        Flow(manufacturing, customer_tolerance=value)
    assert err.value.rule == "P1-RET-05"


# ----- quantities ------------------------------------------------------------------------------------

BAD_QUANTITIES = [-1, 0, 2.5, D("2.5"), D("3"), True, False, "3", None]


@pytest.mark.parametrize("bad", BAD_QUANTITIES)
def test_ret_quantity_bad_quantities_are_refused_everywhere(manufacturing: Policy, bad: Any) -> None:
    flow = goods(manufacturing, 60)
    flow("inspect", accepted=30, rejected=30)
    for command, kw in [
        ("receive", {"quantity": bad}),
        ("refund", {"quantity": bad, "reference": "CN-9"}),
        ("replace", {"quantity": bad}),
        ("scrap", {"quantity": bad}),
        ("approve_over_receipt", {"up_to": bad, "approver": "a", "reason": "r"}),
    ]:
        flow.refused(RuleViolation, "RET-QUANTITY", command, **kw)
    if bad is False or bad != 0:  # zero is a valid half of an inspection, False is not
        flow.refused(RuleViolation, "RET-QUANTITY", "inspect", accepted=bad, rejected=0)
        flow.refused(RuleViolation, "RET-QUANTITY", "inspect", accepted=0, rejected=bad)
    if bad is not None:  # a missing authorised quantity is P1-RET-10; a missing claim is 客户加工中未确定
        for field in ("authorised", "claimed"):
            with pytest.raises(RuleViolation) as err:
                Flow(manufacturing, **{field: bad})
            assert err.value.rule == "RET-QUANTITY"


def test_partial_and_multi_batch_receipts_add_up(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 30)
    flow("receive", quantity=45, batch="B2")
    flow("receive", quantity=25, batch="B3")
    assert flow.ret.received == 100 and [r.batch for r in flow.ret.receipts] == ["", "B2", "B3"]


def test_p1_ret_06_received_never_exceeds_authorised_without_an_over_receipt_approval(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 95)
    flow.refused(RuleViolation, "P1-RET-06", "receive", quantity=6)
    flow.refused(RuleViolation, "P1-RET-06", "approve_over_receipt", up_to=100, approver="张经理", reason="r")
    flow.refused(RuleViolation, "P1-RET-06", "approve_over_receipt", up_to=110, approver="", reason="r")
    flow.refused(RuleViolation, "P1-RET-06", "approve_over_receipt", up_to=110, approver="张经理", reason=" ")
    flow("approve_over_receipt", up_to=110, approver="张经理", reason="客户多退一箱,依实际签收")
    flow("receive", quantity=15)
    assert flow.ret.received == 110 == flow.ret.receipt_ceiling
    flow.refused(RuleViolation, "P1-RET-06", "receive", quantity=1)


def test_ret_inspect_accepted_plus_rejected_equals_inspected_and_never_exceeds_received(
    manufacturing: Policy,
) -> None:
    flow = goods(manufacturing, 50)
    flow("inspect", accepted=20, rejected=10)
    flow.refused(RuleViolation, "RET-INSPECT", "inspect", accepted=15, rejected=6)
    flow.refused(RuleViolation, "RET-INSPECT", "inspect", accepted=0, rejected=0)
    ret = flow("inspect", accepted=15, rejected=5)
    assert (ret.accepted, ret.rejected, ret.inspected, ret.uninspected) == (35, 15, 50, 0)


def test_ret_refund_nothing_is_refunded_twice(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 50)
    flow("inspect", accepted=40, rejected=10)
    ret = flow("refund", quantity=30, reference="CN-001")
    assert ret.refunds[0].amount == D("375.00") == ret.refunded_amount  # 30 × 12.50
    flow.refused(RuleViolation, "RET-REFUND", "refund", quantity=1, reference="CN-001")  # the same refund again
    flow.refused(RuleViolation, "RET-REFUND", "refund", quantity=11, reference="CN-002")  # pieces already refunded
    flow.refused(RuleViolation, "RET-REFUND", "refund", quantity=1, reference="")
    flow("replace", quantity=6)
    flow.refused(RuleViolation, "RET-REFUND", "replace", quantity=5)
    flow.refused(RuleViolation, "RET-REFUND", "refund", quantity=5, reference="CN-002")
    ret = flow("refund", quantity=4, reference="CN-002")
    assert (ret.refunded, ret.replaced, ret.settleable) == (34, 6, 0)


def test_ret_refund_needs_inspected_and_accepted_pieces(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 50)
    flow.refused(RuleViolation, "RET-REFUND", "refund", quantity=1, reference="CN-1")
    flow("inspect", accepted=0, rejected=10)
    flow.refused(RuleViolation, "RET-REFUND", "replace", quantity=1)


def test_ret_scrap_never_more_than_rejected(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 50)
    flow("inspect", accepted=40, rejected=10)
    flow("scrap", quantity=7)
    flow.refused(RuleViolation, "RET-SCRAP", "scrap", quantity=4)
    assert flow("scrap", quantity=3).scrapped == 10


# ----- reconciliation (P1-RET-04/05) ------------------------------------------------------------------


def test_p1_ret_05_short_return_books_the_actual_quantity(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 80)
    ret = flow("book", proof=INVOICE)
    assert ret.status is ReturnStatus.BOOKED
    assert (ret.booked_quantity, ret.booked_amount) == (80, D("1000.00"))  # 80 × 12.50


def test_p1_ret_05_exactly_at_the_customer_tolerance_limit_is_booked(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 100, customer_tolerance=D("0.08"))
    flow("approve_over_receipt", up_to=120, approver="张经理", reason="实退超出")
    flow("receive", quantity=8)
    check = flow.ret.reconciliation(manufacturing)
    assert (check.authorised, check.actual, check.tolerance, check.limit, check.within) == (
        100,
        108,
        D("0.08"),
        D("108"),
        True,
    )
    ret = flow("book", proof=INVOICE)
    assert ret.booking is not None and ret.booking.approver is None and ret.booked_quantity == 108
    assert ret.booking.limit == D("108") and ret.booking.tolerance == D("0.08")


def test_p1_ret_05_one_unit_over_the_limit_is_blocked_until_approved(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 100, customer_tolerance=D("0.08"))
    flow("approve_over_receipt", up_to=120, approver="张经理", reason="实退超出")
    flow("receive", quantity=9)
    assert flow.ret.blocked(manufacturing)
    err = flow.refused(RuleViolation, "P1-RET-05", "book", proof=INVOICE)
    assert "109" in err.message and "108" in err.message
    flow.refused(RuleViolation, "P1-RET-05", "book", proof=INVOICE, approver="陈总", reason="")
    ret = flow("book", proof=INVOICE, approver="陈总", reason="签呈核准依实退数入帐")
    assert ret.booked_quantity == 109 and ret.booking is not None and ret.booking.approver == "陈总"
    assert not ret.blocked(manufacturing)


def test_p1_ret_05_no_customer_tolerance_falls_back_to_the_policy_default(manufacturing: Policy) -> None:
    assert manufacturing.returns.default_tolerance == D("0.05")
    flow = goods(manufacturing, 100)
    flow("approve_over_receipt", up_to=200, approver="张经理", reason="r")
    flow("receive", quantity=5)
    assert flow.ret.tolerance(manufacturing) == D("0.05")
    assert flow.ret.reconciliation(manufacturing).within  # 105 ≤ 100 × 1.05
    flow("receive", quantity=1)
    assert flow.ret.blocked(manufacturing)  # 106 > 105
    flow.refused(RuleViolation, "P1-RET-05", "book", proof=INVOICE)


def test_p1_ret_05_customer_tolerance_zero_overrides_the_policy_default(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 100, customer_tolerance=D("0"))
    flow("approve_over_receipt", up_to=101, approver="张经理", reason="r")
    flow("receive", quantity=1)
    assert flow.ret.tolerance(manufacturing) == 0
    flow.refused(RuleViolation, "P1-RET-05", "book", proof=INVOICE)


def test_p1_ret_05_policy_default_zero_books_only_up_to_authorised(manufacturing: Policy) -> None:
    strict = attrs.evolve(manufacturing, returns=ReturnRules(default_tolerance=D("0")))
    at_limit = goods(strict, 100)
    assert at_limit("book", proof=INVOICE).booked_quantity == 100
    over = goods(strict, 100)
    over("approve_over_receipt", up_to=101, approver="张经理", reason="r")
    over("receive", quantity=1)
    over.refused(RuleViolation, "P1-RET-05", "book", proof=INVOICE)


def test_p1_ret_05_fractional_limit_and_exact_decimal_arithmetic(manufacturing: Policy) -> None:
    # 10 × 1.05 = 10.5: 10 is inside, 11 is over
    assert within_tolerance(10, 10, D("0.05")) and not within_tolerance(11, 10, D("0.05"))
    assert tolerance_limit(10, D("0.05")) == D("10.5")
    # 100 × 1.15 is 114.99999999999999 in floats; exactly 115 in Decimal, so 115 is booked
    assert 100 * (1 + 0.15) < 115
    assert within_tolerance(115, 100, D("0.15")) and not within_tolerance(116, 100, D("0.15"))
    flow = goods(manufacturing, 100, customer_tolerance=D("0.15"))
    flow("approve_over_receipt", up_to=115, approver="张经理", reason="r")
    flow("receive", quantity=15)
    assert flow("book", proof=INVOICE).booked_quantity == 115
    # exact even beyond the default 28-digit context
    huge = 10**30 + 1
    assert tolerance_limit(huge, D("0.05")) == D(f"{huge * 105 // 100}.{huge * 105 % 100:02d}")
    assert within_tolerance(huge * 105 // 100, huge, D("0.05")) and not within_tolerance(
        huge * 105 // 100 + 1, huge, D("0.05")
    )


def test_p1_ret_04_nothing_received_nothing_booked_and_booking_is_final(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 0)
    flow.refused(RuleViolation, "P1-RET-04", "book", proof=INVOICE)
    flow("receive", quantity=50)
    flow("book", proof=INVOICE)
    flow.refused(InvalidTransition, "P1-RET-04", "book", proof=INVOICE)
    flow.refused(InvalidTransition, "P1-RET-04", "receive", quantity=1)
    flow.refused(InvalidTransition, "P1-RET-04", "approve_over_receipt", up_to=200, approver="a", reason="r")
    # the goods already in are still inspected and settled after booking
    flow("inspect", accepted=50, rejected=0)
    assert flow("refund", quantity=50, reference="CN-1").refunded == 50


# ----- proofs (P1-RET-08/09) ----------------------------------------------------------------------------


def test_p1_ret_08_booking_a_return_without_a_proof_is_refused(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 50)
    flow.refused(RuleViolation, "P1-RET-08", "book", proof=None)
    flow.refused(RuleViolation, "P1-RET-08", "book", proof=attrs.evolve(INVOICE, buyer_stamped=False))
    flow.refused(RuleViolation, "P1-RET-08", "book", proof=attrs.evolve(INVOICE, reference=""))


def test_p1_ret_09_booking_an_allowance_without_a_proof_is_refused(manufacturing: Policy) -> None:
    flow = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    flow.signed()
    flow.refused(RuleViolation, "P1-RET-09", "book", proof=None)
    assert flow("book", proof=CERTIFICATE).booking is not None


def test_p1_ret_08_only_the_policys_accepted_proofs_book(manufacturing: Policy) -> None:
    invoices_only = attrs.evolve(
        manufacturing,
        returns=attrs.evolve(manufacturing.returns, accepted_proofs=frozenset({ProofKind.ORIGINAL_INVOICE})),
    )
    flow = goods(invoices_only, 50)
    err = flow.refused(RuleViolation, "P1-RET-08", "book", proof=CERTIFICATE)
    assert "original_invoice" in err.message
    assert flow("book", proof=INVOICE).booking is not None
    assert flow.ret.booking is not None and flow.ret.booking.proof == INVOICE


# ----- aggregate mechanics -------------------------------------------------------------------------------


def test_events_fold_back_into_the_return(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 60)
    flow("approve_over_receipt", up_to=120, approver="张经理", reason="r")
    flow("receive", quantity=50)
    flow("inspect", accepted=90, rejected=20)
    flow("refund", quantity=80, reference="CN-1")
    flow("replace", quantity=10)
    flow("scrap", quantity=20)
    flow("record_claim", quantity=110)
    flow("book", proof=INVOICE, approver="陈总", reason="签呈")
    assert replay(flow.events) == flow.ret and flow.ret.version == len(flow.events) == 11
    assert [e.EVENT_TYPE for e in flow.events][:4] == [
        "return.opened",
        "return.document_signed",
        "return.received",
        "return.over_receipt_approved",
    ]
    with pytest.raises(DomainError):
        replay(flow.events[1:])
    with pytest.raises(DomainError):
        replay([flow.events[0], flow.events[2]])


def test_ret_policy_and_ret_time_order(manufacturing: Policy) -> None:
    flow = goods(manufacturing, 50)
    other = attrs.evolve(manufacturing, version=manufacturing.version + 1)
    flow.refused(RuleViolation, "RET-POLICY", "book", policy=other, proof=INVOICE)
    flow.refused(RuleViolation, "RET-TIME-ORDER", "receive", quantity=1, at=T0 - timedelta(days=1))
    with pytest.raises(ValueError):
        flow.ret.receive(quantity=1, at=datetime(2026, 12, 1), actor="u")  # naive


def test_p1_ret_01_for_case_takes_the_closed_cases_remedy(manufacturing: Policy) -> None:
    case = _closed_case(manufacturing, RemedyKind.ALLOWANCE, D("860.00"))
    ret, _ = Return.for_case(manufacturing, case, return_id=uuid4(), at=T0 + timedelta(days=30), actor="sales")
    assert (ret.case_id, ret.customer, ret.kind, ret.agreed_amount) == (
        case.case_id,
        "华东电子",
        RemedyKind.ALLOWANCE,
        D("860.00"),
    )
    returned = _closed_case(manufacturing, RemedyKind.RETURN, D("0.00"))
    ret, _ = Return.for_case(
        manufacturing,
        returned,
        return_id=uuid4(),
        at=T0 + timedelta(days=30),
        actor="sales",
        authorised=40,
        unit_price=D("3.20"),
    )
    assert ret.document.kind is DocumentKind.RETURN_SLIP and ret.authorised == 40
    open_case = _closed_case(manufacturing, RemedyKind.RETURN, D("0.00"), close=False)
    with pytest.raises(InvalidTransition) as err:
        Return.for_case(manufacturing, open_case, return_id=uuid4(), at=T0 + timedelta(days=30), actor="s")
    assert err.value.rule == "P1-RET-01"


def _closed_case(policy: Policy, kind: RemedyKind, amount: Decimal, *, close: bool = True) -> Case:
    at = T0
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=at, actor="clerk")
    steps: list[tuple[str, dict[str, Any]]] = [
        ("register", {"number": "261101"}),
        ("start_investigation", {}),
        ("attribute", {"causer": Responsibility.sole(Party(PartyKind.GROUP_UNIT, "smt", "SMT"))}),
        ("propose", {"kind": kind, "amount": amount}),
        ("approve", {"role": "gm"}),
        ("reply_to_customer", {"message": "同意", "reaction": "accepted"}),
    ]
    if close:
        steps.append(("close", {}))
    for command, kw in steps:
        at += timedelta(hours=2)
        case, _ = getattr(case, command)(policy, at=at, actor="u", **kw)
    return case


# ----- accounting figures ----------------------------------------------------------------------------------


def test_booked_amounts_per_case_and_per_customer(manufacturing: Policy) -> None:
    other_case = UUID(int=8)
    a = goods(manufacturing, 80)
    a("book", proof=INVOICE)  # 80 × 12.50 = 1000.00
    b = Flow(manufacturing, kind=RemedyKind.ALLOWANCE)
    b.signed()
    b("book", proof=CERTIFICATE)  # 1200.00
    c = goods(manufacturing, 10, case_id=other_case, customer="华南精密", unit_price=D("0.35"))
    c("book", proof=INVOICE)  # 3.50
    unbooked = goods(manufacturing, 50, case_id=other_case)
    returns = [a.ret, b.ret, c.ret, unbooked.ret]
    assert booked_by_case(returns) == {CASE_ID: D("2200.00"), other_case: D("3.50")}
    assert booked_by_customer(returns) == {"华东电子": D("2200.00"), "华南精密": D("3.50")}
    assert booked_by_case([]) == {}
    with pytest.raises(RuleViolation):
        booked_by_case([a.ret, a.ret])  # the same return counted twice


def test_p1_ret_07_adjusted_collection_rate() -> None:
    rate = adjusted_collection_rate(
        collected=D("150000.00"), receivable=D("200000.00"), disputed_uncollected=D("40000.00")
    )
    assert rate == D("0.9375") and isinstance(rate, Decimal)
    assert adjusted_collection_rate(collected=D("1"), receivable=D("3"), disputed_uncollected=D("0")) == D(1) / D(3)


@pytest.mark.parametrize("disputed", [D("200000.00"), D("250000.00")])
def test_p1_ret_07_zero_or_negative_denominator_is_refused(disputed: Decimal) -> None:
    with pytest.raises(RuleViolation) as err:
        adjusted_collection_rate(collected=D("1.00"), receivable=D("200000.00"), disputed_uncollected=disputed)
    assert err.value.rule == "P1-RET-07"


@pytest.mark.parametrize("bad", [D("-1.00"), D("1.001"), 1.5])
def test_p1_ret_07_amounts_are_money(bad: Any) -> None:
    with pytest.raises(MoneyError):
        adjusted_collection_rate(collected=bad, receivable=D("10.00"), disputed_uncollected=D("0"))


# ----- eligibility (F2-CP-01) ------------------------------------------------------------------------------

SHIPPED = date(2026, 3, 1)


@pytest.mark.parametrize(
    "cause, days, expected",
    [
        ("mould", 0, ReturnDecision.UNCONDITIONAL_RETURN),
        ("mould", 15, ReturnDecision.UNCONDITIONAL_RETURN),  # inclusive
        ("mould", 16, ReturnDecision.NORMAL),
        ("customer_storage", 3, ReturnDecision.NO_RETURN),
        ("customer_storage", 300, ReturnDecision.NO_RETURN),
        ("sediment", 5, ReturnDecision.NORMAL),
    ],
)
def test_f2_cp_01_eligibility_from_policy_data(
    manufacturing: Policy, cause: str, days: int, expected: ReturnDecision
) -> None:
    result = return_eligibility(
        manufacturing, cause=cause, shipped_on=SHIPPED, defect_on=SHIPPED + timedelta(days=days)
    )
    assert result.decision is expected and result.days_after_shipment == days
    assert (result.rule is None) == (expected is ReturnDecision.NORMAL)
    if result.rule is not None:
        assert result.rule.rule_id == "F2-CP-01"


def test_f2_cp_01_defect_before_shipment_and_bad_dates(manufacturing: Policy) -> None:
    with pytest.raises(RuleViolation) as err:
        return_eligibility(manufacturing, cause="mould", shipped_on=SHIPPED, defect_on=SHIPPED - timedelta(days=1))
    assert err.value.rule == "F2-CP-01"
    with pytest.raises(InvalidInstant, match="defect_on must be a date, not datetime"):  # still a TypeError
        return_eligibility(manufacturing, cause="mould", shipped_on=SHIPPED, defect_on=T0)


def test_f2_cp_01_a_policy_without_eligibility_rules_is_always_normal(manufacturing: Policy) -> None:
    bare = attrs.evolve(manufacturing, returns=ReturnRules())
    result = return_eligibility(bare, cause="mould", shipped_on=SHIPPED, defect_on=SHIPPED)
    assert result.decision is ReturnDecision.NORMAL
