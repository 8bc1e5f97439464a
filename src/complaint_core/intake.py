"""What was complained about, as taken in at intake (DOMAIN §2, Case / Intake)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from .errors import RuleViolation, exact_member
from .money import MAX_QUANTITY
from .policy import CaseKind, Channel, ComplainantKind, IntakeRules, Market

CASE_FLAGS = frozenset({"needs_joint_inspection", "caused_loss", "hq_produced"})
# Lines of one complaint: a CRM's request is read and stored whole, and every listing loads the case again
MAX_PRODUCT_LINES = 1000
_ENUMS = (("channel", Channel), ("complainant_kind", ComplainantKind), ("market", Market), ("kind", CaseKind))


def customer_key(name: str) -> str:
    """The name a customer is known by: as given, without surrounding blanks (DOMAIN §2). A repeat complaint is
    found by it, in memory, in the SQL column and in the monthly report alike."""
    return name.strip()


def _quantity(field: str, value: Decimal | None) -> None:
    if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
        raise RuleViolation(f"{field} must be a non-negative Decimal, got {value!r}", rule="INTAKE")


@attrs.frozen(kw_only=True)
class ProductLine:
    """One product line of a complaint. ``requested_quantity=None`` is 客户加工中未确定 (P1-LC-02)."""

    order_no: str = ""
    part_no: str = ""
    shipped_on: date | None = None
    quantity: Decimal | None = None
    defective_quantity: Decimal | None = None
    requested_quantity: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("quantity", "defective_quantity", "requested_quantity"):
            _quantity(name, getattr(self, name))
        if (
            self.quantity is not None
            and self.defective_quantity is not None
            and self.defective_quantity > self.quantity
        ):
            raise RuleViolation("defective_quantity cannot exceed quantity", rule="INTAKE")


@attrs.frozen(kw_only=True)
class Intake:
    customer: str
    channel: Channel
    category: str
    description: str = ""
    complainant_kind: ComplainantKind = ComplainantKind.CUSTOMER
    market: Market = Market.DOMESTIC
    kind: CaseKind = CaseKind.EXTERNAL
    cause_code: str | None = None
    lines: tuple[ProductLine, ...] = ()
    claimed_amount: Decimal | None = None
    flags: frozenset[str] = frozenset()
    details: tuple[tuple[str, str], ...] = ()  # (field, value) of the policy's own intake fields (P3-LC-01)

    def detail(self, name: str) -> str | None:
        return next((value for key, value in self.details if key == name), None)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.customer, str) or not self.customer.strip():
            raise RuleViolation("customer is required", rule="INTAKE")
        for field, enum in _ENUMS:
            value = getattr(self, field)
            if value.__class__ is not enum:  # the check's call only for the value that fails it: intake is hot
                exact_member(enum, value, field, "INTAKE")
        if self.flags:
            if not isinstance(self.flags, frozenset):
                raise RuleViolation(f"flags must be a frozenset, not {type(self.flags).__name__}", rule="INTAKE")
            if not self.flags <= CASE_FLAGS:
                unknown = sorted(map(str, self.flags - CASE_FLAGS))
                raise RuleViolation(f"unknown flags {unknown}; known: {sorted(CASE_FLAGS)}", rule="INTAKE")
        if self.details:
            names = [pair[0] if isinstance(pair, tuple) and len(pair) == 2 else None for pair in self.details]
            if None in names or not all(isinstance(v, str) for _, v in self.details):
                raise RuleViolation("details must be (field, text) pairs", rule="INTAKE")
            if len(set(names)) != len(names):
                raise RuleViolation(f"a field is given twice in details {names}", rule="INTAKE")
        if self.lines and not all(isinstance(line, ProductLine) for line in self.lines):
            raise RuleViolation("lines must be ProductLine values", rule="INTAKE")
        if self.claimed_amount is not None:
            amount = self.claimed_amount
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise RuleViolation(f"claimed_amount must be a non-negative amount, got {amount!r}", rule="INTAKE")


def check_bounds(intake: Intake) -> None:
    """A new complaint's product lines within bounds: at most ``MAX_PRODUCT_LINES``, quantities up to
    ``MAX_QUANTITY``. Checked where a complaint comes in (``CaseService.receive``), not by ``Intake`` itself, so a
    case stored before the bounds still loads."""
    if len(intake.lines) > MAX_PRODUCT_LINES:
        raise RuleViolation(
            f"a complaint names at most {MAX_PRODUCT_LINES} product lines, got {len(intake.lines)}", rule="INTAKE"
        )
    for i, line in enumerate(intake.lines):
        for name in ("quantity", "defective_quantity", "requested_quantity"):
            value = getattr(line, name)
            if value is not None and value > MAX_QUANTITY:
                raise RuleViolation(f"lines[{i}].{name} must be at most {MAX_QUANTITY:,}, got {value}", rule="INTAKE")


def _blank(value: object) -> bool:
    """Nothing given: None, blank text or an empty tuple (amounts of 0 are given)."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == ()


def missing_datum(rules: IntakeRules, intake: Intake) -> tuple[str, str] | None:
    """The first datum ``rules`` require that ``intake`` lacks, and the rule that asks for it (P2-LC-03, P3-LC-01);
    the CLI names its option, ``Case.receive`` refuses it."""
    if not rules.required:
        return None
    fields = {f.name: f for f in rules.fields}
    for name in sorted(rules.required):
        if _blank(intake.detail(name) if name in fields else getattr(intake, name)):
            found = fields.get(name)
            return name, (found.rule_id if found else "") or rules.rule_id or "INTAKE"
    return None
