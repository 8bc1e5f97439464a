"""Returns and allowances through the services (memory adapters): a remedy is executed once, a certificate is
issued with its signatures in one transaction, and a case settles only when its remedy is booked (DOMAIN §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from complaint_core import Channel, Intake, Party, PartyKind, RemedyKind, Responsibility, Validity
from complaint_core.errors import MoneyError, RuleViolation
from complaint_core.returns import Proof, ReturnStatus, Signatory
from complaint_core.returns_service import ReturnService
from complaint_core.services import CaseService
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
SIGNED = [(Signatory.MANAGER, "王磊"), (Signatory.GENERAL_MANAGER, "周建国"), (Signatory.CUSTOMER, "华东电子")]


def closed_allowance(cases: CaseService, sh: Maker, amount: str = "800.00") -> UUID:
    intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    ref = cases.receive(intake, actor="S02", at=sh(2026, 11, 2)).case_id
    cases.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    cases.start_investigation(ref, actor="Q02", at=sh(2026, 11, 2, 11))
    cases.attribute(ref, actor="Q01", at=sh(2026, 11, 3), causer=Responsibility.sole(Party(PartyKind.PERSON, "M06")))
    cases.propose(ref, actor="S01", kind=RemedyKind.ALLOWANCE, amount=Decimal(amount), at=sh(2026, 11, 3, 10))
    cases.approve(ref, actor="S01", role="sales_manager", at=sh(2026, 11, 3, 11))
    cases.reply(ref, actor="S02", message="同意折让", at=sh(2026, 11, 4))
    cases.close(ref, actor="gm_office", at=sh(2026, 11, 4, 10))
    return ref


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def cases(store: MemoryStore, sh: Maker) -> CaseService:
    return bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))


def test_p1_ret_01_a_remedy_is_executed_once(cases: CaseService, store: MemoryStore, sh: Maker) -> None:
    ref = closed_allowance(cases, sh)
    returns = ReturnService(cases)
    first = returns.authorise(ref, actor="S02", at=sh(2026, 11, 5))
    with pytest.raises(RuleViolation) as err:
        returns.authorise(ref, actor="S02", at=sh(2026, 11, 5, 10))
    assert err.value.rule == "P1-RET-01" and str(first.return_id) in str(err.value)
    assert list(store.returns) == [first.return_id]


def test_p1_apr_06_issue_with_signatures_is_all_or_nothing(cases: CaseService, store: MemoryStore, sh: Maker) -> None:
    ref = closed_allowance(cases, sh)
    returns = ReturnService(cases)
    outbox = len(store.outbox)
    with pytest.raises(RuleViolation) as err:
        returns.authorise(
            ref, actor="S02", signatures=[SIGNED[0], (Signatory.GENERAL_MANAGER, "  ")], at=sh(2026, 11, 5)
        )
    assert err.value.rule == "P1-APR-06"
    assert store.returns == {} and len(store.outbox) == outbox  # neither the certificate nor the first signature
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    assert issued.document.complete and issued.version == 4


def test_settling_needs_the_remedy_booked(cases: CaseService, sh: Maker) -> None:
    """DOMAIN §3: settled needs every return/allowance booked (and every penalty decided)."""
    ref = closed_allowance(cases, sh)
    with pytest.raises(RuleViolation, match=r"approved allowance of 800\.00 has no return or allowance") as unissued:
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 4, 12))  # not even issued: settled, it never could be
    assert unissued.value.rule == "CASE-SETTLE"
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    with pytest.raises(RuleViolation) as err:
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 6))
    assert err.value.rule == "CASE-SETTLE" and str(issued.return_id) in str(err.value)
    proof = Proof(kind="signed_certificate", reference="ZR-1", buyer_stamped=True)  # a plain string is a kind too
    booked = returns.book(issued.return_id, proof=proof, actor="accounting", at=sh(2026, 11, 6))
    assert booked.status is ReturnStatus.BOOKED
    with pytest.raises(RuleViolation, match="is before their last step") as early:  # the record would say so
        cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5, 12))
    assert early.value.rule == "CASE-TIME-ORDER"
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 7)).status.value == "settled"


def test_an_approved_allowance_of_nothing_settles_without_a_document(cases: CaseService, sh: Maker) -> None:
    """propose and approve take an allowance of 0.00, issuing one is refused (nothing to pay): settlement used to
    wait for its booking for ever."""
    ref = closed_allowance(cases, sh, amount="0.00")
    with pytest.raises(MoneyError):
        ReturnService(cases).authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    assert cases.settle(ref, actor="gm_office", at=sh(2026, 11, 5)).status.value == "settled"


def test_a_remedy_and_its_visits_come_after_closure(cases: CaseService, store: MemoryStore, sh: Maker) -> None:
    """A voucher dated before the case closed (even before it was received) landed in the wrong accounting
    period; visits scheduled before closure likewise. Both are refused, nothing stored."""
    from complaint_core import FollowUpService

    ref = closed_allowance(cases, sh)  # closed 2026-11-04 10:00
    for before in (sh(2026, 11, 4, 9), sh(2024, 1, 1)):
        with pytest.raises(RuleViolation, match=r"is before case .* closed at") as early:
            ReturnService(cases).authorise(ref, actor="S02", signatures=SIGNED, at=before)
        assert early.value.rule == "CASE-TIME-ORDER"
        with pytest.raises(RuleViolation, match=r"is before case .* closed at") as visit:
            FollowUpService(cases).schedule(ref, actor="cs", at=before)
        assert visit.value.rule == "CASE-TIME-ORDER"
    assert store.returns == {} and store.followups == {}
    assert ReturnService(cases).authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 4, 10)).version == 4


def test_settled_means_decided_and_a_late_visit_still_opens_its_second_complaint(
    cases: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """DOMAIN §3: no penalty is proposed on a settled case (settle checked they were all decided); and a second
    complaint dates from after its parent's closure, not after its last event (a settlement two days later
    refused the visit made in between)."""
    from pathlib import Path

    from adapters.organisation_files import load_organisation
    from complaint_core.penalty_orders import LossOrder, PenaltyOrder
    from complaint_core.penalty_service import PenaltyService

    org = load_organisation(Path(__file__).resolve().parents[2] / "examples" / "organisation.toml")

    ref = closed_allowance(cases, sh)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    proof = Proof(kind="signed_certificate", reference="ZR-1", buyer_stamped=True)
    returns.book(issued.return_id, proof=proof, actor="accounting", at=sh(2026, 11, 6))
    cases.settle(ref, actor="gm_office", at=sh(2026, 11, 9))
    penalties = PenaltyService(cases, organisation=type("Org", (), {"get": lambda self: org})())
    order = PenaltyOrder(loss=LossOrder(actual_loss=Decimal("100.00")))
    with pytest.raises(RuleViolation, match="settled") as err:
        penalties.assess(ref, order, actor="Q01", at=sh(2026, 11, 10))
    assert err.value.rule == "CASE-SETTLE" and not store.assessments
    second = cases.open_second_complaint(ref, actor="S02", at=sh(2026, 11, 7))  # after closure, before settling
    assert second.parent_case_id == ref and second.repeat_count == 1
    with pytest.raises(RuleViolation) as early:
        cases.open_second_complaint(ref, actor="S02", at=sh(2026, 11, 4, 9))  # before closure
    assert early.value.rule == "CASE-TIME-ORDER"


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: Proof(kind="fax", reference="x", buyer_stamped=True), "P1-RET-08"),
        (lambda: Proof(kind=None, reference="x", buyer_stamped=True), "P1-RET-08"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_proof_kind_is_a_domain_error(make: Callable[[], Proof], rule: str) -> None:
    with pytest.raises(RuleViolation) as err:
        make()
    assert err.value.rule == rule and "original_invoice" in str(err.value)


def test_a_bad_signatory_is_a_domain_error(cases: CaseService, sh: Maker) -> None:
    ref = closed_allowance(cases, sh)
    issued = ReturnService(cases).authorise(ref, actor="S02", at=sh(2026, 11, 5))
    with pytest.raises(RuleViolation) as err:
        ReturnService(cases).sign(issued.return_id, "boss", signer="x", actor="S02", at=sh(2026, 11, 5))  # type: ignore[arg-type]
    assert err.value.rule == "P1-APR-06"


def test_p1_ret_05_a_tolerance_finer_than_six_places_is_refused(cases: CaseService, sh: Maker) -> None:
    """The exact tolerance arithmetic grows with the digits: 1E-10000000 took seconds per check."""
    from adapters.policy_files import load_preset, policy_from_dict, policy_to_dict
    from complaint_core import PolicyInvalid
    from complaint_core.returns import Return, tolerance_limit

    with pytest.raises(RuleViolation) as err:
        Return.open(
            load_preset("manufacturing"), return_id=UUID(int=1), case_id=UUID(int=2), customer="c",
            kind=RemedyKind.RETURN, at=sh(2026, 11, 5), actor="S02", authorised=10, unit_price=Decimal("1.00"),
            customer_tolerance=Decimal("1E-10000000"),
        )  # fmt: skip
    assert err.value.rule == "P1-RET-05"
    data = policy_to_dict(load_preset("manufacturing"))
    data["returns"]["default_tolerance"] = "0.0000001"
    with pytest.raises(PolicyInvalid) as bad:
        policy_from_dict(data)
    assert bad.value.path == "returns.default_tolerance"
    assert tolerance_limit(3, Decimal("0.333333")) == Decimal("3.999999")
    assert str(tolerance_limit(3, Decimal("0.015625"))) == "3.046875"  # a power of two below: it said 3.0469
    assert tolerance_limit(10**30, Decimal("0.000001")) == Decimal(10**30 + 10**24)  # beyond 28 digits, exact


def test_goods_worth_more_than_a_storable_amount_are_refused_before_they_come_in(sh: Maker) -> None:
    """Booking needs quantity × unit price as an amount: refused at opening and receipt, not once the goods are in
    (the return could then never be booked, and its case never settled)."""
    from adapters.policy_files import load_preset
    from complaint_core.returns import Return

    policy = load_preset("manufacturing")

    def opened(authorised: int, price: str) -> Return:
        item, _ = Return.open(
            policy, return_id=UUID(int=1), case_id=UUID(int=2), customer="c", kind=RemedyKind.RETURN,
            at=sh(2026, 11, 5), actor="S02", authorised=authorised, unit_price=Decimal(price),
            customer_tolerance=Decimal("0.5"),
        )  # fmt: skip
        return item

    with pytest.raises(MoneyError):
        opened(10**12, "1000000.00")
    item = opened(5 * 10**11, "1999.00")
    item, _ = item.sign(signatory=Signatory.MANAGER, signer="王磊", at=sh(2026, 11, 5), actor="S01")
    with pytest.raises(MoneyError):  # 7 × 10**11 pieces × 1999.00 is too large
        item.approve_over_receipt(up_to=7 * 10**11, approver="GM01", reason="多退", at=sh(2026, 11, 6), actor="S01")
    assert item.receive(quantity=5 * 10**11, at=sh(2026, 11, 6), actor="warehouse")[0].received == 5 * 10**11


def test_p1_ret_05_a_huge_tolerance_is_refused() -> None:
    from adapters.policy_files import load_preset
    from complaint_core.returns import Return

    with pytest.raises(RuleViolation) as err:
        Return.open(
            load_preset("manufacturing"), return_id=UUID(int=1), case_id=UUID(int=2), customer="c",
            kind=RemedyKind.RETURN, at=datetime(2026, 11, 5, tzinfo=UTC), actor="S02", authorised=10,
            unit_price=Decimal("1.00"), customer_tolerance=Decimal("1E+5000"),
        )  # fmt: skip
    assert err.value.rule == "P1-RET-05"


@pytest.mark.parametrize(
    ("preset", "kind"), [("bank-branch", RemedyKind.COMPENSATION), ("auto-dealer", RemedyKind.REWORK)]
)
def test_where_remedies_are_paid_otherwise_a_case_settles_without_return_documents(
    cases: CaseService, sh: Maker, preset: str, kind: RemedyKind
) -> None:
    """book_before_settling is the manufacturing preset's (P1): a bank's compensation paid at the counter or a
    dealer's repair has no return or allowance document, and such a case could never settle."""
    policy = cases.policies.get(preset)
    intake = Intake(customer="客户", channel=Channel.PHONE, category=policy.categories[0].code)
    ref = cases.receive(intake, actor="s", policy_id=preset, at=sh(2026, 11, 2)).case_id
    approver = policy.approver_for(Decimal("200.00"))
    steps = [
        ("register", {}),
        ("start_investigation", {}),
        ("attribute", {"no_fault": True, "validity": Validity(reason_sufficient=True, request_reasonable=True)}),
        ("propose", {"kind": kind, "amount": Decimal("200.00")}),
        ("approve", {"role": approver}),
        ("reply", {"message": "ok"}),
        ("close", {}),
    ]
    for hour, (command, kw) in enumerate(steps, start=9):
        if command in ("start_investigation", "attribute") and command.replace("start_", "") in policy.skip_states:
            continue
        getattr(cases, command)(ref, actor="u", at=sh(2026, 11, 2, hour), **kw)
    assert cases.settle(ref, actor="u", at=sh(2026, 11, 3)).status.value == "settled"


def test_each_return_command_is_stored_with_its_events(cases: CaseService, store: MemoryStore, sh: Maker) -> None:
    """Authorised with its signatures, then booked: each committed with its events, and listed for the case."""
    ref = closed_allowance(cases, sh)
    returns = ReturnService(cases)
    issued = returns.authorise(ref, actor="S02", signatures=SIGNED, at=sh(2026, 11, 5))
    assert [event.EVENT_TYPE for event in store.outbox][-4:] == ["return.opened", *["return.document_signed"] * 3]
    assert store.returns[issued.return_id] == issued and issued.document.missing == ()
    proof = Proof(kind="signed_certificate", reference="ZR-1", buyer_stamped=True)
    booked = returns.book(issued.return_id, proof=proof, actor="accounting", at=sh(2026, 11, 6))
    assert store.returns[issued.return_id] == booked != issued and store.outbox[-1].EVENT_TYPE == "return.booked"
    assert returns.for_case(ref) == (booked,) == returns.for_case(cases.get(ref).reference or "")
