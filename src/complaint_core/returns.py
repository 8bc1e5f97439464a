"""The ``Return`` aggregate: executing a closed case's remedy (P1 §十三, DOMAIN §8).

One ``Return`` per case remedy, referring to the case by ``case_id``. It holds
the settlement document and its copies (联), the goods quantities, the proof
and the accounting booking (传票). Like ``Case``, every command checks the
invariants, builds exactly one event and applies it, returning
``(new_return, (event,))``; a refused command raises a domain error naming the
rule and leaves the return as it was.

Documents (P1-RET-02/03, P1-APR-06/07, P1-FORM-07/08):

* allowance or compensation → 销货折让证明单, 2 copies (① Sales, ② Accounting),
  booked only once the (deputy) manager and the (deputy) GM have signed and the
  customer has sealed it;
* return, rework or exchange → 成品退货单, 4 copies (① Sales for follow-up,
  ②–④ to the finished-goods warehouse), approved by the (deputy) manager
  before the warehouse signs for any goods. When the warehouse first signs for
  goods, copy ③ goes on to Accounting and copy ④ back to Sales (P1-RET-06).

Quantities are whole pieces (``int``; never ``bool``, fractions or negatives):

* ``claimed`` may be unknown (``None``, 客户加工中未确定, P1-LC-02/P1-RET-10);
  reconciliation never uses it, only the ``authorised`` quantity of the closed form;
* receipts add up batch by batch, and ``received ≤ authorised`` unless an
  over-receipt is approved up to a higher ceiling (P1-RET-06);
* ``accepted + rejected = inspected ≤ received``: an inspection decides, piece
  by piece, whether the return is accepted (the customer is owed a refund or a
  replacement) or rejected (nothing is owed);
* ``refunded + replaced ≤ accepted``, so nothing is refunded or replaced twice,
  and every refund carries a credit reference that is never used twice;
* ``scrapped ≤ rejected``: only goods whose return was rejected are written off
  here (accepted goods are restocked, reworked or replaced).

Booking (P1-RET-04/05, P1-RET-08/09): a goods return books the actual received
quantity R against the authorised A when R ≤ A × (1 + t), boundary inclusive and
computed exactly; t is the customer's over-quantity acceptance ratio, else the
policy's ``returns.default_tolerance``. Above that limit the return is blocked
until an approval (approver and reason) books it. An allowance books its agreed
amount. Either needs exactly one buyer-stamped proof of a kind the policy accepts.
Nothing is booked twice, and no goods are received after booking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Any, ClassVar, TypeAlias
from uuid import UUID

import attrs

from .appliers import Appliers
from .case import Case, CaseStatus, RemedyKind
from .errors import DomainError, InvalidTransition, MoneyError, RuleViolation, enum_member
from .events import DomainEvent
from .labels import Labels
from .money import MAX_QUANTITY, ZERO, value_of
from .money import amount as amount_of
from .policy import MAX_TOLERANCE, TOLERANCE_PLACES, Eligibility, EligibilityRule, Policy, ProofKind, tolerance_is_plain
from .timeutil import require_aware, require_date

UNDETERMINED = "客户加工中未确定"  # P1-LC-02: the claimed quantity is not known yet

# ----- documents -----------------------------------------------------------------------------


class DocumentKind(StrEnum):
    ALLOWANCE_CERTIFICATE = "allowance_certificate"  # 销货折让证明单 (P1-FORM-07)
    RETURN_SLIP = "return_slip"  # 成品退货单 (P1-FORM-08)


class Signatory(StrEnum):
    """Who signs or seals a settlement document (P1-APR-06/07)."""

    MANAGER = "manager"  # 经(副)理
    GENERAL_MANAGER = "general_manager"  # 总(副)经理
    CUSTOMER = "customer"  # 客户签章 (the customer's seal)


class CopyHolder(StrEnum):
    SALES = "sales"  # 业务部
    WAREHOUSE = "warehouse"  # 成品仓储
    ACCOUNTING = "accounting"  # 会计


@attrs.frozen
class Copy:
    """One copy (联) of a document and who holds it now."""

    number: int
    holder: CopyHolder
    purpose: Labels


@attrs.frozen
class Signature:
    signatory: Signatory
    signer: str
    at: datetime


@attrs.frozen(kw_only=True)
class FormSpec:
    """A settlement form of the catalog: its signatures, the rule requiring them, and its copies as issued."""

    kind: DocumentKind
    form_id: str
    label: Labels
    signatories: tuple[Signatory, ...]
    approval_rule: str
    copies: tuple[Copy, ...]


def _l(zh: str, en: str) -> Labels:
    return Labels(zh=zh, en=en)


FORMS: dict[DocumentKind, FormSpec] = {
    DocumentKind.ALLOWANCE_CERTIFICATE: FormSpec(
        kind=DocumentKind.ALLOWANCE_CERTIFICATE,
        form_id="P1-FORM-07",
        label=_l("销货折让证明单", "Sales allowance certificate"),
        signatories=(Signatory.MANAGER, Signatory.GENERAL_MANAGER, Signatory.CUSTOMER),
        approval_rule="P1-APR-06",
        copies=(
            Copy(1, CopyHolder.SALES, _l("业务部存", "Kept by Sales")),
            Copy(2, CopyHolder.ACCOUNTING, _l("送会计作帐", "To Accounting for booking")),
        ),
    ),
    DocumentKind.RETURN_SLIP: FormSpec(
        kind=DocumentKind.RETURN_SLIP,
        form_id="P1-FORM-08",
        label=_l("成品退货单", "Finished-goods return slip"),
        signatories=(Signatory.MANAGER,),
        approval_rule="P1-APR-07",
        copies=(
            Copy(1, CopyHolder.SALES, _l("业务部自存督促", "Kept by Sales for follow-up")),
            Copy(2, CopyHolder.WAREHOUSE, _l("成品仓储存", "Kept by the warehouse")),
            Copy(3, CopyHolder.WAREHOUSE, _l("经仓储签收后送会计", "To Accounting once the warehouse signs")),
            Copy(4, CopyHolder.WAREHOUSE, _l("经仓储签收后送回业务部", "Back to Sales once the warehouse signs")),
        ),
    ),
}
# P1-RET-06: once the warehouse signs for the goods, copy ③ goes to Accounting and copy ④ back to Sales.
SIGNED_FOR_HOLDERS: dict[int, CopyHolder] = {2: CopyHolder.WAREHOUSE, 3: CopyHolder.ACCOUNTING, 4: CopyHolder.SALES}

ALLOWANCE_KINDS = frozenset({RemedyKind.ALLOWANCE, RemedyKind.COMPENSATION})
GOODS_KINDS = frozenset({RemedyKind.RETURN, RemedyKind.REWORK, RemedyKind.EXCHANGE})


def document_kind(kind: RemedyKind) -> DocumentKind:
    """The settlement document a remedy needs (P1-RET-02/03); an explanation needs none."""
    if kind in ALLOWANCE_KINDS:
        return DocumentKind.ALLOWANCE_CERTIFICATE
    if kind in GOODS_KINDS:
        return DocumentKind.RETURN_SLIP
    raise RuleViolation(f"a {kind.value} remedy has no return or allowance to execute", rule="P1-RET-01")


@attrs.frozen(kw_only=True)
class Document:
    kind: DocumentKind
    number: str = ""
    copies: tuple[Copy, ...]
    signatures: tuple[Signature, ...] = ()

    @property
    def spec(self) -> FormSpec:
        return FORMS[self.kind]

    @property
    def missing(self) -> tuple[Signatory, ...]:
        signed = {s.signatory for s in self.signatures}
        return tuple(s for s in self.spec.signatories if s not in signed)

    @property
    def complete(self) -> bool:
        return not self.missing

    def holder(self, number: int) -> CopyHolder:
        for copy in self.copies:
            if copy.number == number:
                return copy.holder
        raise DomainError(f"{self.spec.label.en} has no copy {number}", rule=self.spec.form_id)


# ----- value objects ---------------------------------------------------------------------------


def _proof_kind(value: object) -> ProofKind:
    return enum_member(ProofKind, value, "the proof kind", "P1-RET-08")


@attrs.frozen(kw_only=True)
class Proof:
    """A proof of return or allowance (P1-RET-08/09): its kind, a reference and whether the buyer stamped it."""

    kind: ProofKind = attrs.field(converter=_proof_kind)
    reference: str
    buyer_stamped: bool


@attrs.frozen
class Receipt:
    quantity: int
    batch: str
    at: datetime
    actor: str


@attrs.frozen
class OverReceiptApproval:
    up_to: int
    approver: str
    reason: str
    at: datetime


@attrs.frozen
class Inspection:
    accepted: int
    rejected: int
    at: datetime
    actor: str


@attrs.frozen
class Refund:
    quantity: int
    amount: Decimal
    reference: str
    at: datetime


@attrs.frozen
class Movement:
    """Pieces replaced or scrapped."""

    quantity: int
    at: datetime
    actor: str


@attrs.frozen(kw_only=True)
class Booking:
    """The accounting voucher (传票, P1-FORM-09). ``limit`` is A × (1 + t) for goods, ``None`` for allowances."""

    quantity: int | None
    amount: Decimal
    proof: Proof
    tolerance: Decimal | None
    limit: Decimal | None
    approver: str | None
    reason: str
    at: datetime
    actor: str


@attrs.frozen(kw_only=True)
class Reconciliation:
    """The three-way check of P1-RET-04/05: authorised A, actual R, tolerance t and the limit A × (1 + t)."""

    authorised: int
    actual: int
    tolerance: Decimal
    limit: Decimal
    within: bool


class ReturnStatus(StrEnum):
    OPEN = "open"
    BOOKED = "booked"


# ----- events ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReturnOpened(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.opened"
    case_id: UUID
    customer: str
    policy_id: str
    policy_version: int
    remedy_kind: str
    document_kind: str
    document_number: str
    claimed: int | None
    claim_note: str
    authorised: int | None
    unit_price: Decimal | None
    agreed_amount: Decimal | None
    customer_tolerance: Decimal | None


@attrs.frozen(kw_only=True)
class ClaimRecorded(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.claim_recorded"
    quantity: int


@attrs.frozen(kw_only=True)
class DocumentSigned(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.document_signed"
    signatory: str
    signer: str


@attrs.frozen(kw_only=True)
class GoodsReceived(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.received"
    quantity: int
    batch: str


@attrs.frozen(kw_only=True)
class OverReceiptApproved(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.over_receipt_approved"
    up_to: int
    approver: str
    reason: str


@attrs.frozen(kw_only=True)
class GoodsInspected(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.inspected"
    accepted: int
    rejected: int


@attrs.frozen(kw_only=True)
class Refunded(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.refunded"
    quantity: int
    amount: Decimal
    reference: str


@attrs.frozen(kw_only=True)
class Replaced(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.replaced"
    quantity: int


@attrs.frozen(kw_only=True)
class Scrapped(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.scrapped"
    quantity: int


@attrs.frozen(kw_only=True)
class ReturnBooked(DomainEvent):
    EVENT_TYPE: ClassVar[str] = "return.booked"
    quantity: int | None
    amount: Decimal
    proof_kind: str
    proof_reference: str
    tolerance: Decimal | None
    limit: Decimal | None
    approver: str | None = None
    reason: str = ""


RETURN_EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ReturnOpened,
    ClaimRecorded,
    DocumentSigned,
    GoodsReceived,
    OverReceiptApproved,
    GoodsInspected,
    Refunded,
    Replaced,
    Scrapped,
    ReturnBooked,
)

Result: TypeAlias = tuple["Return", tuple[DomainEvent, ...]]


# ----- validation helpers ----------------------------------------------------------------------


def check_quantity(value: object, field: str, *, minimum: int = 1) -> int:
    """A whole number of pieces: an ``int`` (not ``bool``, float or Decimal) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(
            f"{field} must be a whole number of pieces (int), not {type(value).__name__} {value!r}",
            rule="RET-QUANTITY",
        )
    if value < minimum:
        raise RuleViolation(f"{field} must be at least {minimum}, got {value}", rule="RET-QUANTITY")
    if value > MAX_QUANTITY:
        raise RuleViolation(f"{field} must be at most {MAX_QUANTITY:,} pieces, got {value}", rule="RET-QUANTITY")
    return value


def _tolerance(value: object) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or not tolerance_is_plain(value):
        raise RuleViolation(
            f"the customer's over-quantity acceptance ratio must be a Decimal between 0 and {MAX_TOLERANCE} with at "
            f"most {TOLERANCE_PLACES} decimal places, got {value!r}",
            rule="P1-RET-05",
        )
    return value


def _text(value: str, what: str, rule: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleViolation(f"{what} is required", rule=rule)
    return value


def within_tolerance(actual: int, authorised: int, tolerance: Decimal) -> bool:
    """P1-RET-05: actual ≤ authorised × (1 + tolerance), boundary inclusive, in exact integer arithmetic."""
    numerator, denominator = tolerance.as_integer_ratio()
    return actual * denominator <= authorised * (denominator + numerator)


def tolerance_limit(authorised: int, tolerance: Decimal) -> Decimal:
    """authorised × (1 + tolerance), exactly: as many places as the product needs (3 × 1.015625 = 3.046875; a
    precision sized by the numerator's digits alone gave 3.0469)."""
    exact = Fraction(authorised) * (1 + Fraction(tolerance))
    places = 0
    while exact.denominator != 1:  # it divides a power of ten (a finite decimal's does): this ends
        exact *= 10
        places += 1
    return Decimal(f"{exact.numerator}e-{places}")  # built from text: no context rounds it


# ----- the aggregate ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Return:
    return_id: UUID
    case_id: UUID
    customer: str
    policy_id: str
    policy_version: int
    kind: RemedyKind
    version: int
    opened_at: datetime
    last_event_at: datetime
    document: Document
    claimed: int | None = None
    claim_note: str = ""
    authorised: int | None = None
    unit_price: Decimal | None = None
    agreed_amount: Decimal | None = None
    customer_tolerance: Decimal | None = None
    receipts: tuple[Receipt, ...] = ()
    over_receipts: tuple[OverReceiptApproval, ...] = ()
    inspections: tuple[Inspection, ...] = ()
    refunds: tuple[Refund, ...] = ()
    replacements: tuple[Movement, ...] = ()
    scraps: tuple[Movement, ...] = ()
    booking: Booking | None = None

    def __attrs_post_init__(self) -> None:
        """The invariants hold in every state, however it was built."""
        if self.version < 1:
            raise RuleViolation(f"version must be >= 1, got {self.version}", rule="RET-VERSION")
        if self.received > self.receipt_ceiling:
            raise RuleViolation(
                f"received {self.received} exceeds the receipt ceiling {self.receipt_ceiling}", rule="P1-RET-06"
            )
        if self.inspected > self.received:
            raise RuleViolation(f"inspected {self.inspected} exceeds received {self.received}", rule="RET-INSPECT")
        if self.refunded + self.replaced > self.accepted:
            raise RuleViolation("refunded + replaced exceeds the accepted quantity", rule="RET-REFUND")
        if self.scrapped > self.rejected:
            raise RuleViolation("scrapped exceeds the rejected quantity", rule="RET-SCRAP")

    # ----- views -----------------------------------------------------------------------------
    @property
    def status(self) -> ReturnStatus:
        return ReturnStatus.BOOKED if self.booking is not None else ReturnStatus.OPEN

    @property
    def moves_goods(self) -> bool:
        return self.kind in GOODS_KINDS

    @property
    def received(self) -> int:
        return sum(r.quantity for r in self.receipts)

    @property
    def accepted(self) -> int:
        return sum(i.accepted for i in self.inspections)

    @property
    def rejected(self) -> int:
        return sum(i.rejected for i in self.inspections)

    @property
    def inspected(self) -> int:
        return self.accepted + self.rejected

    @property
    def uninspected(self) -> int:
        return self.received - self.inspected

    @property
    def refunded(self) -> int:
        return sum(r.quantity for r in self.refunds)

    @property
    def refunded_amount(self) -> Decimal:
        return sum((r.amount for r in self.refunds), ZERO)

    @property
    def replaced(self) -> int:
        return sum(m.quantity for m in self.replacements)

    @property
    def scrapped(self) -> int:
        return sum(m.quantity for m in self.scraps)

    @property
    def settleable(self) -> int:
        """Accepted pieces not yet refunded or replaced."""
        return self.accepted - self.refunded - self.replaced

    @property
    def receipt_ceiling(self) -> int:
        """The authorised quantity, or the highest approved over-receipt (P1-RET-06)."""
        base = self.authorised or 0
        return max([base, *(a.up_to for a in self.over_receipts)])

    @property
    def booked_quantity(self) -> int:
        return (self.booking.quantity or 0) if self.booking is not None else 0

    @property
    def booked_amount(self) -> Decimal:
        return self.booking.amount if self.booking is not None else ZERO

    def tolerance(self, policy: Policy) -> Decimal:
        """The customer's over-quantity acceptance ratio, else the policy default (P1-RET-05)."""
        if self.customer_tolerance is not None:
            return self.customer_tolerance
        return policy.returns.default_tolerance

    def reconciliation(self, policy: Policy) -> Reconciliation:
        """Authorised vs actual for a goods return (P1-RET-04/05)."""
        if self.authorised is None:
            raise RuleViolation("an allowance has no quantities to reconcile", rule="P1-RET-02")
        tolerance = self.tolerance(policy)
        return Reconciliation(
            authorised=self.authorised,
            actual=self.received,
            tolerance=tolerance,
            limit=tolerance_limit(self.authorised, tolerance),
            within=within_tolerance(self.received, self.authorised, tolerance),
        )

    def blocked(self, policy: Policy) -> bool:
        """A goods return whose actual quantity is above the tolerance: booking waits for an approval."""
        return self.moves_goods and self.booking is None and not self.reconciliation(policy).within

    # ----- creation --------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        policy: Policy,
        *,
        return_id: UUID,
        case_id: UUID,
        customer: str,
        kind: RemedyKind,
        at: datetime,
        actor: str,
        authorised: int | None = None,
        claimed: int | None = None,
        claim_note: str = "",
        unit_price: Decimal | None = None,
        agreed_amount: Decimal | None = None,
        customer_tolerance: Decimal | None = None,
        document_number: str = "",
    ) -> Result:
        """Issue the settlement document for a closed case's remedy (P1-RET-01..03).

        Goods remedies need the authorised quantity of the closed form and the unit
        price; the claimed quantity may be ``None`` (客户加工中未确定, P1-RET-10).
        Allowances and compensation need the agreed amount and move no goods.
        """
        at = require_aware(at)
        kind = enum_member(RemedyKind, kind, "the remedy kind", "P1-RET-01")
        doc = document_kind(kind)
        _text(customer, "the customer", "P1-RET-01")
        tolerance = _tolerance(customer_tolerance)
        if kind in GOODS_KINDS:
            if authorised is None:
                raise RuleViolation(
                    "a return needs the authorised quantity from the closed form (not the claim)", rule="P1-RET-10"
                )
            check_quantity(authorised, "authorised")
            if claimed is not None:
                check_quantity(claimed, "claimed")
            if unit_price is None:
                raise MoneyError("a return needs the unit price to book its amount", rule="P1-RET-03")
            unit = amount_of(unit_price, "unit_price")
            value_of(authorised, unit)  # an amount no store can keep is refused now, not when booking
            price: Decimal | None = unit
            if agreed_amount is not None:
                raise RuleViolation("a return books quantity × unit price, not an agreed amount", rule="P1-RET-03")
            amount = None
            note = claim_note or (UNDETERMINED if claimed is None else "")
        else:
            if authorised is not None or claimed is not None or unit_price is not None:
                raise RuleViolation(f"an {kind.value} moves no goods: give the agreed amount only", rule="P1-RET-02")
            if agreed_amount is None:
                raise MoneyError(f"an {kind.value} needs its agreed amount", rule="P1-RET-02")
            amount = amount_of(agreed_amount, "agreed_amount", positive=True)
            price = None
            note = claim_note
        event = ReturnOpened(
            aggregate_id=return_id,
            version=1,
            occurred_at=at,
            actor=actor,
            case_id=case_id,
            customer=customer,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            remedy_kind=kind.value,
            document_kind=doc.value,
            document_number=document_number,
            claimed=claimed,
            claim_note=note,
            authorised=authorised,
            unit_price=price,
            agreed_amount=amount,
            customer_tolerance=tolerance,
        )
        return opened(event), (event,)

    @classmethod
    def for_case(
        cls,
        policy: Policy,
        case: Case,
        *,
        return_id: UUID,
        at: datetime,
        actor: str,
        authorised: int | None = None,
        claimed: int | None = None,
        unit_price: Decimal | None = None,
        customer_tolerance: Decimal | None = None,
        document_number: str = "",
    ) -> Result:
        """Open the return of a closed case's approved remedy (P1-RET-01: copy ③ of the closed form)."""
        if case.status is not CaseStatus.CLOSED:
            raise InvalidTransition(
                f"a remedy is executed after closure; case {case.reference} is {case.status.value}", rule="P1-RET-01"
            )
        remedy = case.agreed_remedy(policy)
        if remedy is None:
            why = " (it was found not established)" if case.not_established_reason is not None else ""
            raise RuleViolation(f"case {case.reference} has no approved remedy{why}", rule="P1-RET-01")
        closed = case.closed_at
        if closed is not None and require_aware(at) < closed:  # its voucher would land before the case existed
            raise RuleViolation(
                f"a remedy is executed after closure: {at.isoformat()} is before case {case.reference} closed at "
                f"{closed.isoformat()}",
                rule="CASE-TIME-ORDER",
            )
        allowance = remedy.kind in ALLOWANCE_KINDS
        return cls.open(
            policy,
            return_id=return_id,
            case_id=case.case_id,
            customer=case.intake.customer,
            kind=remedy.kind,
            at=at,
            actor=actor,
            authorised=authorised,
            claimed=claimed,
            unit_price=unit_price,
            agreed_amount=remedy.amount if allowance else None,
            customer_tolerance=customer_tolerance,
            document_number=document_number,
        )

    # ----- commands --------------------------------------------------------------------------
    def record_claim(self, *, quantity: int, at: datetime, actor: str) -> Result:
        """The customer's claimed quantity, once known (P1-LC-02, P1-RET-10)."""
        self._goods("a claimed quantity")
        self._open_for("a claim")
        if self.claimed is not None:
            raise RuleViolation(f"the claimed quantity is already {self.claimed}", rule="P1-RET-10")
        check_quantity(quantity, "claimed")
        return self._emit(ClaimRecorded, at, actor, quantity=quantity)

    def sign(self, *, signatory: Signatory, signer: str, at: datetime, actor: str) -> Result:
        """A signature or seal the document needs (P1-APR-06: manager, GM, customer; P1-APR-07: manager)."""
        spec = self.document.spec
        signatory = enum_member(Signatory, signatory, "the signatory", "P1-APR-06")
        if signatory not in spec.signatories:
            raise RuleViolation(f"{spec.label.en} is not signed by {signatory.value}", rule=spec.approval_rule)
        if signatory not in self.document.missing:
            raise RuleViolation(f"{spec.label.en} is already signed by {signatory.value}", rule=spec.approval_rule)
        _text(signer, "the signer's name", spec.approval_rule)
        return self._emit(DocumentSigned, at, actor, signatory=signatory.value, signer=signer)

    def receive(self, *, quantity: int, at: datetime, actor: str, batch: str = "") -> Result:
        """The warehouse signs for a batch of returned goods (P1-RET-06); batches add up."""
        self._goods("goods")
        self._open_for("more goods")
        check_quantity(quantity, "quantity")
        if not self.document.complete:
            raise RuleViolation("the return slip needs the manager's approval before goods come in", rule="P1-APR-07")
        if self.received + quantity > self.receipt_ceiling:
            raise RuleViolation(
                f"receiving {quantity} would make {self.received + quantity}, above the "
                f"{'approved over-receipt' if self.over_receipts else 'authorised quantity'} {self.receipt_ceiling}; "
                "the warehouse asks for instructions first",
                rule="P1-RET-06",
            )
        return self._emit(GoodsReceived, at, actor, quantity=quantity, batch=batch)

    def approve_over_receipt(self, *, up_to: int, approver: str, reason: str, at: datetime, actor: str) -> Result:
        """After asking for instructions, the warehouse may sign for more than authorised (P1-RET-06)."""
        self._goods("an over-receipt")
        self._open_for("an over-receipt")
        check_quantity(up_to, "up_to")
        if up_to <= self.receipt_ceiling:
            raise RuleViolation(
                f"an over-receipt raises the ceiling above {self.receipt_ceiling}, not to {up_to}", rule="P1-RET-06"
            )
        _text(approver, "the approver", "P1-RET-06")
        _text(reason, "the reason", "P1-RET-06")
        assert self.unit_price is not None  # a goods return has one (``open``)
        value_of(up_to, self.unit_price)  # booking what may now come in needs an amount
        return self._emit(OverReceiptApproved, at, actor, up_to=up_to, approver=approver, reason=reason)

    def inspect(self, *, accepted: int, rejected: int, at: datetime, actor: str) -> Result:
        """Inspect received pieces: accepted + rejected never exceeds what is received and not yet inspected."""
        self._goods("an inspection")
        check_quantity(accepted, "accepted", minimum=0)
        check_quantity(rejected, "rejected", minimum=0)
        if accepted + rejected == 0:
            raise RuleViolation("an inspection covers at least one piece", rule="RET-INSPECT")
        if accepted + rejected > self.uninspected:
            raise RuleViolation(
                f"inspecting {accepted + rejected} pieces, but only {self.uninspected} received are uninspected",
                rule="RET-INSPECT",
            )
        return self._emit(GoodsInspected, at, actor, accepted=accepted, rejected=rejected)

    def refund(self, *, quantity: int, reference: str, at: datetime, actor: str) -> Result:
        """Refund accepted pieces at the unit price; no piece and no credit reference is refunded twice."""
        self._goods("a refund")
        check_quantity(quantity, "quantity")
        _text(reference, "the refund's credit reference", "RET-REFUND")
        if any(r.reference == reference for r in self.refunds):
            raise RuleViolation(f"refund {reference!r} was already made", rule="RET-REFUND")
        self._settle(quantity, "refund")
        assert self.unit_price is not None
        return self._emit(
            Refunded, at, actor, quantity=quantity, amount=value_of(quantity, self.unit_price), reference=reference
        )

    def replace(self, *, quantity: int, at: datetime, actor: str) -> Result:
        """Ship replacements for accepted pieces (never more than accepted and not refunded)."""
        self._goods("a replacement")
        check_quantity(quantity, "quantity")
        self._settle(quantity, "replace")
        return self._emit(Replaced, at, actor, quantity=quantity)

    def scrap(self, *, quantity: int, at: datetime, actor: str) -> Result:
        """Write off rejected pieces (never more than rejected)."""
        self._goods("scrapping")
        check_quantity(quantity, "quantity")
        if self.scrapped + quantity > self.rejected:
            raise RuleViolation(
                f"scrapping {quantity}, but only {self.rejected - self.scrapped} rejected pieces are left",
                rule="RET-SCRAP",
            )
        return self._emit(Scrapped, at, actor, quantity=quantity)

    def book(
        self,
        policy: Policy,
        *,
        proof: Proof | None,
        at: datetime,
        actor: str,
        approver: str | None = None,
        reason: str = "",
    ) -> Result:
        """The accounting voucher (P1-RET-04/05, P1-RET-08/09, P1-APR-06).

        A goods return books the received quantity × unit price when it is within
        authorised × (1 + tolerance); above it, only with ``approver`` and ``reason``.
        An allowance books its agreed amount once the certificate is signed and sealed.
        """
        self._check_policy(policy)
        if self.booking is not None:
            raise InvalidTransition("the return is already booked; a voucher is posted once", rule="P1-RET-04")
        proof_rule = "P1-RET-08" if self.moves_goods else "P1-RET-09"
        if proof is None:
            raise RuleViolation("booking needs one proof of the return or allowance", rule=proof_rule)
        if not isinstance(proof, Proof):
            raise RuleViolation(f"one proof is required, not {type(proof).__name__}", rule=proof_rule)
        if proof.kind not in policy.returns.accepted_proofs:
            accepted = sorted(k.value for k in policy.returns.accepted_proofs)
            raise RuleViolation(f"proof {proof.kind.value!r} is not accepted (accepted: {accepted})", rule=proof_rule)
        if proof.buyer_stamped is not True:
            raise RuleViolation("the proof must carry the buyer's stamp", rule=proof_rule)
        _text(proof.reference, "the proof's reference", proof_rule)
        if approver is not None:
            _text(approver, "the approver", "P1-RET-05")
            _text(reason, "the approval's reason", "P1-RET-05")
        if not self.document.complete:
            missing = ", ".join(s.value for s in self.document.missing)
            raise RuleViolation(
                f"{self.document.spec.label.en} still needs: {missing}", rule=self.document.spec.approval_rule
            )
        if not self.moves_goods:
            assert self.agreed_amount is not None
            return self._emit(
                ReturnBooked,
                at,
                actor,
                quantity=None,
                amount=self.agreed_amount,
                proof_kind=proof.kind.value,
                proof_reference=proof.reference,
                tolerance=None,
                limit=None,
                approver=approver,
                reason=reason,
            )
        if self.received == 0:
            raise RuleViolation("nothing has been received, so nothing is booked", rule="P1-RET-04")
        check = self.reconciliation(policy)
        if not check.within and approver is None:
            raise RuleViolation(
                f"actual {check.actual} exceeds authorised {check.authorised} × (1 + {check.tolerance}) = {check.limit}; "
                "booking is blocked until an approver books it with a reason",
                rule="P1-RET-05",
            )
        assert self.unit_price is not None
        return self._emit(
            ReturnBooked,
            at,
            actor,
            quantity=check.actual,
            amount=value_of(check.actual, self.unit_price),
            proof_kind=proof.kind.value,
            proof_reference=proof.reference,
            tolerance=check.tolerance,
            limit=check.limit,
            approver=approver,
            reason=reason,
        )

    # ----- helpers ---------------------------------------------------------------------------
    def _check_policy(self, policy: Policy) -> None:
        if policy.policy_id != self.policy_id or policy.version != self.policy_version:
            raise RuleViolation(
                f"return {self.return_id} runs policy {self.policy_id} v{self.policy_version}, "
                f"not {policy.policy_id} v{policy.version}",
                rule="RET-POLICY",
            )

    def _goods(self, what: str) -> None:
        if not self.moves_goods:
            raise RuleViolation(f"an {self.kind.value} moves no goods, so {what} has no place", rule="P1-RET-02")

    def _open_for(self, what: str) -> None:
        if self.booking is not None:
            raise InvalidTransition(
                f"the return was booked on {self.booked_quantity} pieces; {what} cannot follow", rule="P1-RET-04"
            )

    def _settle(self, quantity: int, what: str) -> None:
        if quantity > self.settleable:
            raise RuleViolation(
                f"cannot {what} {quantity}: {self.accepted} accepted, {self.refunded} refunded, "
                f"{self.replaced} replaced, so {self.settleable} left",
                rule="RET-REFUND",
            )

    def _emit(self, event_type: Callable[..., DomainEvent], at: datetime, actor: str, **payload: Any) -> Result:
        at = require_aware(at)
        if at < self.last_event_at:
            raise RuleViolation(
                f"{at.isoformat()} is before the return's last step at {self.last_event_at.isoformat()}",
                rule="RET-TIME-ORDER",
            )
        event = event_type(
            aggregate_id=self.return_id, version=self.version + 1, occurred_at=at, actor=actor, **payload
        )
        return apply(event, self), (event,)


# ----- apply: one function per event type ------------------------------------------------------


def opened(event: ReturnOpened) -> Return:
    """The return a ``ReturnOpened`` event creates."""
    kind = DocumentKind(event.document_kind)
    return Return(
        return_id=event.aggregate_id,
        case_id=event.case_id,
        customer=event.customer,
        policy_id=event.policy_id,
        policy_version=event.policy_version,
        kind=RemedyKind(event.remedy_kind),
        version=event.version,
        opened_at=event.occurred_at,
        last_event_at=event.occurred_at,
        document=Document(kind=kind, number=event.document_number, copies=FORMS[kind].copies),
        claimed=event.claimed,
        claim_note=event.claim_note,
        authorised=event.authorised,
        unit_price=event.unit_price,
        agreed_amount=event.agreed_amount,
        customer_tolerance=event.customer_tolerance,
    )


_APPLIERS: Appliers[Return] = Appliers()


def apply(event: DomainEvent, ret: Return) -> Return:
    """The return after ``event``."""
    handler = _APPLIERS.handler(event)
    if event.version != ret.version + 1 or event.aggregate_id != ret.return_id:
        raise DomainError(
            f"event version {event.version} of {event.aggregate_id} does not follow return version {ret.version}",
            rule="EVENT-VERSION",
        )
    return handler(event, ret)


def replay(events: Iterable[DomainEvent]) -> Return:
    """Fold a return's events, starting with its ``ReturnOpened``."""
    return _APPLIERS.replay(events, ReturnOpened, opened, apply)


def _next(event: DomainEvent, ret: Return, **changes: Any) -> Return:
    return attrs.evolve(ret, version=event.version, last_event_at=event.occurred_at, **changes)


@_APPLIERS.on(ClaimRecorded)
def _(event: ClaimRecorded, ret: Return) -> Return:
    return _next(event, ret, claimed=event.quantity)


@_APPLIERS.on(DocumentSigned)
def _(event: DocumentSigned, ret: Return) -> Return:
    signature = Signature(Signatory(event.signatory), event.signer, event.occurred_at)
    document = attrs.evolve(ret.document, signatures=(*ret.document.signatures, signature))
    return _next(event, ret, document=document)


@_APPLIERS.on(GoodsReceived)
def _(event: GoodsReceived, ret: Return) -> Return:
    document = ret.document
    if not ret.receipts and document.kind is DocumentKind.RETURN_SLIP:
        copies = tuple(attrs.evolve(c, holder=SIGNED_FOR_HOLDERS.get(c.number, c.holder)) for c in document.copies)
        document = attrs.evolve(document, copies=copies)
    receipt = Receipt(event.quantity, event.batch, event.occurred_at, event.actor)
    return _next(event, ret, receipts=(*ret.receipts, receipt), document=document)


@_APPLIERS.on(OverReceiptApproved)
def _(event: OverReceiptApproved, ret: Return) -> Return:
    approval = OverReceiptApproval(event.up_to, event.approver, event.reason, event.occurred_at)
    return _next(event, ret, over_receipts=(*ret.over_receipts, approval))


@_APPLIERS.on(GoodsInspected)
def _(event: GoodsInspected, ret: Return) -> Return:
    inspection = Inspection(event.accepted, event.rejected, event.occurred_at, event.actor)
    return _next(event, ret, inspections=(*ret.inspections, inspection))


@_APPLIERS.on(Refunded)
def _(event: Refunded, ret: Return) -> Return:
    refund = Refund(event.quantity, event.amount, event.reference, event.occurred_at)
    return _next(event, ret, refunds=(*ret.refunds, refund))


@_APPLIERS.on(Replaced)
def _(event: Replaced, ret: Return) -> Return:
    return _next(event, ret, replacements=(*ret.replacements, Movement(event.quantity, event.occurred_at, event.actor)))


@_APPLIERS.on(Scrapped)
def _(event: Scrapped, ret: Return) -> Return:
    return _next(event, ret, scraps=(*ret.scraps, Movement(event.quantity, event.occurred_at, event.actor)))


@_APPLIERS.on(ReturnBooked)
def _(event: ReturnBooked, ret: Return) -> Return:
    booking = Booking(
        quantity=event.quantity,
        amount=event.amount,
        proof=Proof(kind=ProofKind(event.proof_kind), reference=event.proof_reference, buyer_stamped=True),
        tolerance=event.tolerance,
        limit=event.limit,
        approver=event.approver,
        reason=event.reason,
        at=event.occurred_at,
        actor=event.actor,
    )
    return _next(event, ret, booking=booking)


# ----- accounting figures ----------------------------------------------------------------------


def _booked(returns: Iterable[Return]) -> list[Return]:
    seen: set[UUID] = set()
    out = []
    for ret in returns:
        if ret.return_id in seen:
            raise RuleViolation(f"return {ret.return_id} is listed twice; it would be counted twice", rule="P1-RET-04")
        seen.add(ret.return_id)
        if ret.booking is not None:
            out.append(ret)
    return out


def booked_by_case(returns: Iterable[Return]) -> dict[UUID, Decimal]:
    """The amounts booked (传票) per case; unbooked returns count for nothing."""
    totals: dict[UUID, Decimal] = {}
    for ret in _booked(returns):
        totals[ret.case_id] = totals.get(ret.case_id, ZERO) + ret.booked_amount
    return totals


def booked_by_customer(returns: Iterable[Return]) -> dict[str, Decimal]:
    """The amounts booked per customer; unbooked returns count for nothing."""
    totals: dict[str, Decimal] = {}
    for ret in _booked(returns):
        totals[ret.customer] = totals.get(ret.customer, ZERO) + ret.booked_amount
    return totals


def adjusted_collection_rate(*, collected: Decimal, receivable: Decimal, disputed_uncollected: Decimal) -> Decimal:
    """P1-RET-07: collected / (receivable − disputed uncollected), as an unrounded Decimal ratio.

    150,000 / (200,000 − 40,000) = 0.9375 (93.75%). Receivables held up by a
    complaint leave the denominator; a zero or negative denominator is refused.
    """
    collected = amount_of(collected, "collected")
    receivable = amount_of(receivable, "receivable")
    disputed_uncollected = amount_of(disputed_uncollected, "disputed_uncollected")
    denominator = receivable - disputed_uncollected
    if denominator <= 0:
        raise RuleViolation(
            f"receivable {receivable} − disputed uncollected {disputed_uncollected} = {denominator}; "
            "the collection rate needs a positive denominator",
            rule="P1-RET-07",
        )
    with localcontext() as ctx:
        ctx.prec = 28
        return collected / denominator


# ----- eligibility -----------------------------------------------------------------------------


class ReturnDecision(StrEnum):
    UNCONDITIONAL_RETURN = "unconditional_return"
    NO_RETURN = "no_return"
    NORMAL = "normal"  # no eligibility rule applies: the normal return flow decides


@attrs.frozen(kw_only=True)
class EligibilityDecision:
    decision: ReturnDecision
    rule: EligibilityRule | None
    days_after_shipment: int


def return_eligibility(policy: Policy, *, cause: str, shipped_on: date, defect_on: date) -> EligibilityDecision:
    """F2-CP-01: decide from the policy's eligibility rules (e.g. mould within 15 days of shipment → an
    unconditional return; damage from the customer's storage → no return); otherwise the normal flow.

    A rule with ``within_days_of_shipment = N`` applies when the defect is found
    0..N calendar days after shipment, both ends inclusive.
    """
    shipped_on, defect_on = require_date(shipped_on, "shipped_on"), require_date(defect_on, "defect_on")
    days = (defect_on - shipped_on).days
    if days < 0:
        raise RuleViolation(
            f"the defect ({defect_on.isoformat()}) cannot predate the shipment ({shipped_on.isoformat()})",
            rule="F2-CP-01",
        )
    for rule in policy.returns.eligibility:
        if rule.cause != cause:
            continue
        if rule.within_days_of_shipment is not None and days > rule.within_days_of_shipment:
            break
        decision = (
            ReturnDecision.UNCONDITIONAL_RETURN
            if rule.outcome is Eligibility.UNCONDITIONAL_RETURN
            else ReturnDecision.NO_RETURN
        )
        return EligibilityDecision(decision=decision, rule=rule, days_after_shipment=days)
    return EligibilityDecision(decision=ReturnDecision.NORMAL, rule=None, days_after_shipment=days)
