"""A penalty decision turned into lines (``assess_lines``): each kind of order, and the refusals that name a rule.

The lines come from ``penalty``'s builders; these tests pin what the decision adds: which orders are read, what
each needs from the case, and what a second complaint and supervisors do to the whole.
"""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import attrs
import pytest

from adapters.organisation_files import load_organisation
from adapters.policy_files import load_preset
from complaint_core import Case, Channel, Intake, Party, PartyKind, Policy, Responsibility
from complaint_core.count_tiers import MonthCount
from complaint_core.errors import DomainError, RuleViolation
from complaint_core.organisation import Organisation
from complaint_core.penalty import LineKind, Sanction
from complaint_core.penalty_orders import (
    FineOrder,
    LossOrder,
    OverdueOrder,
    PenaltyOrder,
    SanctionOrder,
    TierOrder,
    assess_lines,
)

D = Decimal
AT = datetime(2026, 10, 20, 2, tzinfo=UTC)
MONTH = "2026-10"  # the example organisation's bonuses are October's
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MANUFACTURING = load_preset("manufacturing")  # loss shares, sanctions for listed causes, no supervisor share
SERVICE = load_preset("service")  # tiers, overdue fines, a second complaint doubles, supervisors add 20%


@pytest.fixture(scope="module")
def org() -> Organisation:
    return load_organisation(EXAMPLES / "organisation.toml")


def case_of(policy: Policy, *, cause_code: str | None = None, **changes: Any) -> Case:
    """A case received under ``policy``, with the findings ``changes`` set as if recorded."""
    intake = Intake(customer="甲", channel=Channel.PHONE, category=policy.categories[0].code, cause_code=cause_code)
    number = "2610001" if policy.numbering.assign_at == "received" else None
    case, _ = Case.receive(policy, case_id=uuid4(), intake=intake, at=AT, actor="cs", number=number)
    return attrs.evolve(case, **changes)


def sole(person_id: str) -> Responsibility:
    return Responsibility.sole(Party(PartyKind.PERSON, person_id))


def amounts(lines: tuple[Any, ...]) -> list[tuple[str, str, Decimal]]:
    return [(line.party.id, line.rule_id, line.amount) for line in lines]


@pytest.mark.parametrize(
    "field, value",
    [
        ("loss", LossOrder(actual_loss=D("1.00"))),
        ("sanctions", (SanctionOrder(person_id="S02", sanction=Sanction.WARNING),)),
        ("tiers", (TierOrder(person_id="S02"),)),
        ("fines", (FineOrder(party_id="S02", code="concealment"),)),
        ("overdue", (OverdueOrder(person_id="S02", full_days_late=0),)),
        ("count_tiers", ("S02",)),
    ],
)
def test_an_order_with_any_one_part_is_not_empty(field: str, value: Any) -> None:
    """``PenaltyService.assess`` refuses an empty decision: each part alone makes one."""
    assert PenaltyOrder().empty
    assert not PenaltyOrder(**{field: value}).empty


@pytest.mark.parametrize("person_id", [5, None, " "])
def test_f4_pn_01_a_count_tier_names_a_person_by_id(person_id: object) -> None:
    with pytest.raises(RuleViolation, match=r"count_tiers\[1\]: a person's id") as err:
        PenaltyOrder(count_tiers=("S02", person_id))  # type: ignore[arg-type]
    assert err.value.rule == "F4-PN-01"


def test_p1_role_07_a_loss_is_apportioned_only_once_attributed(org: Organisation) -> None:
    order = PenaltyOrder(loss=LossOrder(actual_loss=D("800.00")))
    with pytest.raises(RuleViolation, match="attribute the case first") as err:
        assess_lines(case_of(MANUFACTURING), MANUFACTURING, org, order, month=MONTH)
    assert err.value.rule == "P1-ROLE-07"
    lines = assess_lines(case_of(MANUFACTURING, causer=sole("S02")), MANUFACTURING, org, order, month=MONTH)
    assert amounts(lines) == [("S02", "P1-PEN-02", D("800.00"))]


@pytest.mark.parametrize("loss, expected", [("0.00", []), ("0.01", [D("0.01")]), ("1.00", [D("1.00")])])
def test_p1_pen_02_a_loss_of_nothing_charges_nobody(org: Organisation, loss: str, expected: list[Decimal]) -> None:
    case = case_of(MANUFACTURING, causer=sole("S02"))
    lines = assess_lines(case, MANUFACTURING, org, PenaltyOrder(loss=LossOrder(actual_loss=D(loss))), month=MONTH)
    assert [line.amount for line in lines] == expected


def test_p1_cls_08_a_sanction_for_a_cause_not_listed_names_the_cause(org: Organisation) -> None:
    order = PenaltyOrder(sanctions=(SanctionOrder(person_id="S02", sanction=Sanction.WARNING),))
    with pytest.raises(RuleViolation, match="the case's cause is not recorded: record the cause") as err:
        assess_lines(case_of(MANUFACTURING), MANUFACTURING, org, order, month=MONTH)
    assert err.value.rule == "P1-CLS-08"
    with pytest.raises(RuleViolation, match="the case's cause is customer_misuse: record the cause"):
        assess_lines(case_of(MANUFACTURING, cause_code="customer_misuse"), MANUFACTURING, org, order, month=MONTH)


def test_p1_pen_06_a_major_demerit_each_for_two_people_takes_each_ones_bonus(org: Organisation) -> None:
    case = case_of(MANUFACTURING, cause_code="late_delivery")
    order = PenaltyOrder(
        sanctions=(
            SanctionOrder(person_id="S02", sanction=Sanction.MAJOR_DEMERIT),
            SanctionOrder(person_id="S03", sanction=Sanction.MAJOR_DEMERIT),
        )
    )
    lines = assess_lines(case, MANUFACTURING, org, order, month=MONTH)
    assert amounts(lines) == [("S02", "P1-PEN-06", D("1600.00")), ("S03", "P1-PEN-06", D("1200.00"))]


def test_p1_pen_06_a_forfeited_bonus_is_taken_once_and_only_by_a_major_demerit(org: Organisation) -> None:
    """``forfeited`` names the case whose major demerit takes the month's bonus already: a second major demerit
    deducts nothing; a warning for the same person is charged as ever."""
    case = case_of(MANUFACTURING, cause_code="late_delivery")
    order = PenaltyOrder(
        sanctions=(
            SanctionOrder(person_id="S02", sanction=Sanction.MAJOR_DEMERIT),
            SanctionOrder(person_id="S02", sanction=Sanction.WARNING),
            SanctionOrder(person_id="S03", sanction=Sanction.MAJOR_DEMERIT),
        )
    )
    forfeited = {"S02": "2610007"}
    demerit, warning, other = assess_lines(case, MANUFACTURING, org, order, month=MONTH, forfeited=forfeited)
    assert (demerit.amount, dict(demerit.basis).get("forfeited_by")) == (D("0.00"), "2610007")
    assert (warning.kind, warning.amount, dict(warning.basis).get("forfeited_by")) == (
        LineKind.SANCTION,
        D("400.00"),
        None,
    )
    assert (other.amount, dict(other.basis).get("forfeited_by")) == (D("1200.00"), None)


def test_p4_pen_01_a_tier_needs_the_severity_and_is_charged_with_the_supervisors_share(org: Organisation) -> None:
    order = PenaltyOrder(tiers=(TierOrder(person_id="S02"),))
    with pytest.raises(RuleViolation, match="classify it first") as err:
        assess_lines(case_of(SERVICE), SERVICE, org, order, month=MONTH)
    assert err.value.rule == "P4-PEN-01"
    own, boss = assess_lines(case_of(SERVICE, severity="medium"), SERVICE, org, order, month=MONTH)
    assert (own.party.id, own.kind, own.amount, own.points) == ("S02", LineKind.TIER, D("100.00"), -5)
    assert (boss.party.id, boss.rule_id, boss.amount) == ("S01", "P4-PEN-04", D("20.00"))  # P4-PEN-04


def test_p4_pen_05_overdue_days_are_charged(org: Organisation) -> None:
    order = PenaltyOrder(overdue=(OverdueOrder(person_id="S02", full_days_late=2),))
    own, boss = assess_lines(case_of(SERVICE), SERVICE, org, order, month=MONTH)
    assert (own.party.id, own.amount, boss.party.id, boss.amount) == ("S02", D("150.00"), "S01", D("30.00"))


def test_p4_pen_06_a_second_complaint_doubles_the_lines_before_the_supervisors_share(org: Organisation) -> None:
    order = PenaltyOrder(
        tiers=(TierOrder(person_id="S02"),), overdue=(OverdueOrder(person_id="S03", full_days_late=0),)
    )
    first = case_of(SERVICE, severity="medium")
    second = attrs.evolve(first, parent_case_id=uuid4())
    assert amounts(assess_lines(first, SERVICE, org, order, month=MONTH)) == [
        ("S02", "P4-PEN-02", D("100.00")),  # an external complaint's tier
        ("S01", "P4-PEN-04", D("20.00")),
        ("S03", "P4-PEN-05", D("50.00")),
        ("S01", "P4-PEN-04", D("10.00")),
    ]
    assert [line.amount for line in assess_lines(second, SERVICE, org, order, month=MONTH)] == [
        D("200.00"),
        D("40.00"),
        D("100.00"),
        D("20.00"),
    ]


def test_a_fine_on_a_person_names_someone_the_organisation_has(org: Organisation) -> None:
    """A person's fine is checked against the organisation like every other order; a unit's is split among its
    members (``split_to_members``), which checks the unit."""
    furniture = load_preset("furniture")  # fixed fines, and no supervisor's share that would look the person up
    assert furniture.penalties.supervisor_share is None
    fine = FineOrder(party_id="Z99", code="unapproved_notice")
    with pytest.raises(DomainError, match="Z99"):
        assess_lines(case_of(furniture), furniture, org, PenaltyOrder(fines=(fine,)), month=MONTH)
    fine = FineOrder(party_id="S02", code="concealment")
    own, boss = assess_lines(case_of(SERVICE), SERVICE, org, PenaltyOrder(fines=(fine,)), month=MONTH)
    assert (own.party.id, own.rule_id, boss.party.id) == ("S02", "P4-PEN-07", "S01")


def test_f4_pn_a_count_tier_needs_the_persons_count(org: Organisation) -> None:
    order = PenaltyOrder(count_tiers=("S02",))
    no_counts: tuple[dict[str, MonthCount] | None, ...] = (None, {})
    for counts in no_counts:
        with pytest.raises(RuleViolation, match="no count of 'S02'"):
            assess_lines(case_of(SERVICE), SERVICE, org, order, month=MONTH, counts=counts)
