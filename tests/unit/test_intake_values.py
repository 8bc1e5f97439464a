"""DOMAIN §2: what an intake (a complaint as it comes in) and its product lines refuse, with rule INTAKE.

Checks ``Intake`` and ``ProductLine`` make of themselves, so a stored case, an import or a webhook cannot carry
them either; each test fails on the mutant of ``intake.py`` it was written for."""

from datetime import date
from decimal import Decimal

import attrs
import pytest

from complaint_core import Channel, Intake, Labels, RuleViolation
from complaint_core.intake import CASE_FLAGS, MAX_PRODUCT_LINES, ProductLine, check_bounds, missing_datum
from complaint_core.money import MAX_QUANTITY
from complaint_core.policy import IntakeField, IntakeRules

D = Decimal
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")


@pytest.mark.parametrize("field", ["quantity", "defective_quantity", "requested_quantity"])
@pytest.mark.parametrize("value", [D("-1"), D("-0.001"), D("NaN"), D("Infinity"), 3, 1.5, "3"])
def test_a_product_line_quantity_is_a_finite_non_negative_decimal(field: str, value: object) -> None:
    with pytest.raises(RuleViolation) as err:
        ProductLine(**{field: value})  # type: ignore[arg-type]
    assert err.value.rule == "INTAKE" and field in str(err.value)


def test_a_product_line_may_leave_quantities_open_or_zero() -> None:
    """P1-LC-02: the requested quantity may be undetermined (None) while the customer is still processing."""
    assert ProductLine(quantity=D(0), defective_quantity=D(0), requested_quantity=None).requested_quantity is None
    assert ProductLine(order_no="PO-1", shipped_on=date(2026, 11, 2)).quantity is None


def test_defective_quantity_may_equal_the_quantity_and_not_exceed_it() -> None:
    assert ProductLine(quantity=D(10), defective_quantity=D(10)).defective_quantity == D(10)
    assert ProductLine(quantity=None, defective_quantity=D(12)).defective_quantity == D(12)  # quantity unknown
    with pytest.raises(RuleViolation) as err:
        ProductLine(quantity=D(10), defective_quantity=D("10.5"))
    assert err.value.rule == "INTAKE"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"customer": ""}, "customer"),
        ({"customer": " \u3000"}, "customer"),
        ({"customer": 7}, "customer"),
        ({"flags": {"caused_loss"}}, "frozenset"),
        ({"flags": frozenset({"vip"})}, "unknown flags"),
        ({"details": (("colour", "red"), ("colour", "blue"))}, "twice"),
        ({"details": (("colour", 3),)}, "pairs"),
        ({"details": (("colour",),)}, "pairs"),
        ({"lines": ({"quantity": D(1)},)}, "ProductLine"),
        ({"claimed_amount": D("-0.01")}, "claimed_amount"),
        ({"claimed_amount": D("NaN")}, "claimed_amount"),
        ({"claimed_amount": 100}, "claimed_amount"),
    ],
)
def test_an_intake_refuses_what_no_complaint_can_be(changes: dict[str, object], says: str) -> None:
    with pytest.raises(RuleViolation) as err:
        attrs.evolve(INTAKE, **changes)
    assert err.value.rule == "INTAKE" and says in str(err.value)


def test_an_intake_accepts_its_optional_data() -> None:
    full = attrs.evolve(
        INTAKE,
        flags=frozenset({"caused_loss"}),
        details=(("colour", "red"), ("size", "L")),
        lines=(ProductLine(quantity=D(5)),),
        claimed_amount=D("0.00"),
    )
    assert full.detail("size") == "L" and full.detail("weight") is None


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"details": (("colour", "red"), ("size", 3))}, "pairs"),
        ({"lines": (ProductLine(), {"quantity": D(1)})}, "ProductLine"),
    ],
)
def test_every_detail_and_line_is_checked_not_only_the_first(changes: dict[str, object], says: str) -> None:
    with pytest.raises(RuleViolation) as err:
        attrs.evolve(INTAKE, **changes)
    assert says in str(err.value)


def test_an_intake_may_carry_every_known_flag() -> None:
    assert attrs.evolve(INTAKE, flags=frozenset(CASE_FLAGS)).flags == CASE_FLAGS


def test_a_new_complaint_names_up_to_the_maximum_of_lines_and_quantity() -> None:
    check_bounds(attrs.evolve(INTAKE, lines=(ProductLine(quantity=D(1)),) * MAX_PRODUCT_LINES))
    check_bounds(attrs.evolve(INTAKE, lines=(ProductLine(quantity=D(MAX_QUANTITY)),)))
    for lines in ((ProductLine(),) * (MAX_PRODUCT_LINES + 1), (ProductLine(requested_quantity=D(MAX_QUANTITY + 1)),)):
        with pytest.raises(RuleViolation) as err:
            check_bounds(attrs.evolve(INTAKE, lines=lines))
        assert err.value.rule == "INTAKE"


def test_a_missing_datum_cites_its_fields_rule_else_the_policys_else_intake() -> None:
    """P2-LC-03 / P3-LC-01: None, blank text and no lines are missing; an amount of 0.00 is given."""
    label = Labels("车牌", "plate")
    plate = IntakeRules(
        fields=(IntakeField(name="plate", label=label, rule_id="P3-LC-01"),), required=frozenset({"plate"})
    )
    assert missing_datum(plate, INTAKE) == ("plate", "P3-LC-01")
    assert missing_datum(plate, attrs.evolve(INTAKE, details=(("plate", "沪A12345"),))) is None
    unruled = IntakeRules(
        fields=(IntakeField(name="plate", label=label),), required=frozenset({"plate"}), rule_id="P2-LC-03"
    )
    assert missing_datum(unruled, attrs.evolve(INTAKE, details=(("plate", " "),))) == ("plate", "P2-LC-03")
    for name, given in (("claimed_amount", D("0.00")), ("lines", (ProductLine(),)), ("description", "起泡")):
        rules = IntakeRules(required=frozenset({name}))
        assert missing_datum(rules, INTAKE) == (name, "INTAKE")
        assert missing_datum(rules, attrs.evolve(INTAKE, **{name: given})) is None
