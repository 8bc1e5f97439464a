"""A policy's own intake fields and required intake data (P3-LC-01: the plate; P2-LC-03: time, place, content)."""

from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

import attrs
import pytest

from adapters.policy_files import load_preset
from complaint_core import Case, Channel, Intake, IntakeField, IntakeRules, Labels, PolicyInvalid, RuleViolation

Maker = Callable[..., datetime]
CAR = Intake(customer="王先生", channel=Channel.PHONE, category="repair_quality", description="异响")


def test_p3_lc_01_the_plate_is_an_intake_field_of_the_auto_dealer(sh: Maker) -> None:
    policy = load_preset("auto-dealer")
    case, _ = Case.receive(
        policy, case_id=uuid4(), intake=attrs.evolve(CAR, details=(("plate", "沪A12345"),)), at=sh(2026, 11, 2),
        actor="crm",
    )  # fmt: skip
    assert case.intake.detail("plate") == "沪A12345" and case.intake.detail("vin") is None
    with pytest.raises(RuleViolation, match="'vin'"):
        Case.receive(policy, case_id=uuid4(), intake=attrs.evolve(CAR, details=(("vin", "x"),)), at=sh(2026, 11, 2),
                     actor="crm")  # fmt: skip


def test_required_intake_data_names_the_policy_rule(sh: Maker) -> None:
    base = load_preset("auto-dealer")
    strict = attrs.evolve(base, intake=attrs.evolve(base.intake, required=frozenset({"description", "plate"})))
    for intake in (attrs.evolve(CAR, description="  "), CAR, attrs.evolve(CAR, details=(("plate", " "),))):
        with pytest.raises(RuleViolation) as refused:
            Case.receive(strict, case_id=uuid4(), intake=intake, at=sh(2026, 11, 2), actor="crm")
        assert refused.value.rule == "P3-LC-01"
    ok = attrs.evolve(CAR, details=(("plate", "沪A12345"),))
    assert Case.receive(strict, case_id=uuid4(), intake=ok, at=sh(2026, 11, 2), actor="crm")[0].intake == ok


def test_intake_rules_are_validated_with_their_key_path() -> None:
    base = load_preset("manufacturing")
    plate = IntakeField(name="plate", label=Labels("车牌号", "Plate"))
    bad = [
        (IntakeRules(fields=(plate, plate)), "intake.fields[1]"),
        (IntakeRules(fields=(IntakeField(name="description", label=Labels("x", "x")),)), "intake.fields[0].name"),
        (IntakeRules(fields=(IntakeField(name="Plate No", label=Labels("x", "x")),)), "intake.fields[0].name"),
        (IntakeRules(required=frozenset({"vin"})), "intake.required"),
    ]
    for rules, path in bad:
        with pytest.raises(PolicyInvalid) as refused:
            attrs.evolve(base, intake=rules)
        assert refused.value.path == path
    assert attrs.evolve(base, intake=IntakeRules(fields=(plate,), required=frozenset({"plate", "lines"}))).intake


def test_details_are_pairs_given_once() -> None:
    for details in ((("plate", "a"), ("plate", "b")), (("plate",),), (("plate", 1),)):
        with pytest.raises(RuleViolation):
            attrs.evolve(CAR, details=details)  # type: ignore[arg-type]


def test_a_new_complaints_product_lines_are_bounded_and_a_stored_one_still_loads(sh: Maker) -> None:
    """Security audit: 17,000 lines or a quantity of 1e999999999 were taken in. They are refused where a complaint
    comes in; a case stored with such lines before still loads (the review: bounds in ``Intake`` itself made it
    unreadable)."""
    from decimal import Decimal

    from adapters.clock import FixedClock
    from adapters.memory import MemoryStore, MemoryUnitOfWork
    from adapters.serialization import dumps, loads
    from complaint_core.intake import MAX_PRODUCT_LINES, ProductLine
    from entrypoints.bootstrap import bootstrap

    service = bootstrap(uow=MemoryUnitOfWork(MemoryStore()), clock=FixedClock(sh(2026, 11, 2)))
    base = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")
    many = attrs.evolve(base, lines=(ProductLine(quantity=Decimal(1)),) * (MAX_PRODUCT_LINES + 1))
    huge = attrs.evolve(base, lines=(ProductLine(order_no="SO-1"), ProductLine(defective_quantity=Decimal("1e13"))))
    with pytest.raises(RuleViolation, match="at most 1000 product lines"):
        service.receive(many, actor="s", at=sh(2026, 11, 2))
    with pytest.raises(RuleViolation, match=r"lines\[1\]\.defective_quantity must be at most"):
        service.receive(huge, actor="s", at=sh(2026, 11, 2))
    assert service.receive(attrs.evolve(many, lines=many.lines[:-1]), actor="s", at=sh(2026, 11, 2))
    stored, _ = Case.receive(load_preset("manufacturing"), case_id=uuid4(), intake=huge, at=sh(2026, 11, 2), actor="s")
    assert loads(dumps(stored), Case) == stored
    # final review: a second complaint carries its parent's intake, taken in before the bounds; and a quantity
    # stored then prints as it is, not written out digit by digit
    from entrypoints.jsonshapes import product_json

    assert product_json(ProductLine(quantity=Decimal("1e999999999")))["qty"] == "1E+999999999"
    store = MemoryStore()
    old = Case.receive(load_preset("manufacturing"), case_id=uuid4(), intake=many, at=sh(2026, 11, 2), actor="s")[0]
    policy = load_preset("manufacturing")
    old, _ = old.register(policy, at=sh(2026, 11, 2, 10), actor="g", number="261101")
    old, _ = old.find_not_established(policy, at=sh(2026, 11, 2, 11), actor="q", reason="误会")
    old, _ = old.reply_to_customer(policy, at=sh(2026, 11, 2, 12), actor="s", message="说明")
    old, _ = old.close(policy, at=sh(2026, 11, 2, 13), actor="g")
    store.cases[old.case_id], store.numbers["261101"] = old, old.case_id
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 3)))
    second = service.open_second_complaint("261101", actor="s", at=sh(2026, 11, 3))
    assert second.parent_case_id == old.case_id and len(second.intake.lines) == MAX_PRODUCT_LINES + 1
