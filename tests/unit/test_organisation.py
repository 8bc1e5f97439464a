"""The organisation's own rules (DOMAIN §2 Organisation): every refusal names the offending row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from complaint_core.organisation import (
    Department,
    DepartmentKind,
    GroupUnit,
    Organisation,
    OrganisationInvalid,
    Person,
)

DEPARTMENTS = (
    Department("sales", "销售部", DepartmentKind.SALES),
    Department("mfg", "制造部", DepartmentKind.MANUFACTURING),
)
UNITS = (GroupUnit("SMT1", "SMT一班", "mfg"), GroupUnit("SMT2", "SMT二班", "mfg"))
PEOPLE = (
    Person(id="M01", name="张伟", department="mfg", basis_points=6),
    Person(id="M02", name="刘洋", department="mfg", unit="SMT1", supervisor="M01", basis_points=4),
    Person(id="M03", name="赵敏", department="mfg", unit="SMT1", supervisor="M02", basis_points=2),
    Person(id="M04", name="吴芳", department="mfg", unit="SMT2", supervisor="M01", basis_points=2),
    Person(id="S01", name="王磊", department="sales", supervisor="M01", basis_points=3),
)
BONUSES = {("M02", "2026-10"): Decimal("1600.00"), ("M03", "2026-10"): Decimal("800.00")}


def org(**changes: Any) -> Organisation:
    fields: dict[str, Any] = {"departments": DEPARTMENTS, "units": UNITS, "people": PEOPLE, "bonuses": BONUSES}
    fields.update(changes)
    return Organisation(**fields)


def replace_person(index: int, **changes: Any) -> tuple[Person, ...]:
    people = list(PEOPLE)
    people[index] = attrs.evolve(people[index], **changes)
    return tuple(people)


def refused(**changes: Any) -> OrganisationInvalid:
    with pytest.raises(OrganisationInvalid) as err:
        org(**changes)
    assert err.value.rule == "ORG"
    return err.value


def test_a_consistent_organisation_builds() -> None:
    o = org()
    assert o.person("M03").supervisor == "M02"
    assert o.unit("SMT1").department == "mfg"
    assert o.department("sales").kind is DepartmentKind.SALES


def test_unknown_supervisor() -> None:
    err = refused(people=replace_person(4, supervisor="M99"))
    assert err.row == "people[4] (id S01)"
    assert "unknown supervisor 'M99'" in str(err)


def test_supervisor_cycle() -> None:
    err = refused(people=replace_person(0, supervisor="M03"))  # M01 → M03 → M02 → M01
    assert err.row == "people[0] (id M01)"
    assert "loops back to 'M01'" in str(err)


def test_own_supervisor_is_a_cycle() -> None:
    err = refused(people=replace_person(1, supervisor="M02"))
    assert err.row == "people[1] (id M02)" and "loops back" in str(err)


def test_person_listed_twice_in_two_units() -> None:
    twice = (*PEOPLE, attrs.evolve(PEOPLE[2], unit="SMT2"))
    err = refused(people=twice)
    # the row names the second occurrence; see test_duplicate_person_row_names_the_id for its exact form
    assert err.row.startswith("people[5] (") and "M03" in err.row
    assert "listed twice" in str(err) and "one unit only" in str(err)


def test_duplicate_department_and_unit_codes() -> None:
    err = refused(departments=(*DEPARTMENTS, Department("sales", "二部", DepartmentKind.SALES)))
    assert err.row == "departments[2] (sales)" and "listed twice" in str(err)
    err = refused(units=(*UNITS, GroupUnit("SMT1", "again", "mfg")))
    assert err.row == "units[2] (SMT1)"


def test_empty_id_is_refused() -> None:
    err = refused(people=replace_person(3, id=""))
    assert err.row == "people[3]" and "required" in str(err)


def test_unit_in_another_department() -> None:
    err = refused(people=replace_person(4, unit="SMT1"))  # S01 is in sales, SMT1 in mfg
    assert err.row == "people[4] (id S01)"
    assert "unit 'SMT1' belongs to 'mfg', not 'sales'" in str(err)


def test_unit_of_an_unknown_department() -> None:
    err = refused(units=(GroupUnit("QC1", "检验组", "quality"), *UNITS))
    assert err.row == "units[0] (QC1)" and "unknown department 'quality'" in str(err)


def test_person_in_unknown_department_or_unit() -> None:
    err = refused(people=replace_person(2, department="hr", unit=None))
    assert err.row == "people[2] (id M03)" and "unknown department 'hr'" in str(err)
    err = refused(people=replace_person(2, unit="SMT9"))
    assert err.row == "people[2] (id M03)" and "unknown unit 'SMT9'" in str(err)


def test_negative_basis_points() -> None:
    err = refused(people=replace_person(3, basis_points=-1))
    assert err.row == "people[3] (id M04)" and "cannot be negative (-1)" in str(err)


def test_zero_basis_points_are_allowed() -> None:
    assert org(people=replace_person(3, basis_points=0)).person("M04").basis_points == 0


def test_negative_bonus() -> None:
    err = refused(bonuses={**BONUSES, ("M03", "2026-11"): Decimal("-0.01")})
    assert err.row == "bonuses (M03, 2026-11)" and "cannot be negative" in str(err)


def test_bonus_must_be_a_finite_decimal() -> None:
    assert refused(bonuses={("M03", "2026-11"): Decimal("NaN")}).row == "bonuses (M03, 2026-11)"
    assert refused(bonuses={("M03", "2026-11"): 800}).row == "bonuses (M03, 2026-11)"


def test_bonus_of_an_unknown_person() -> None:
    err = refused(bonuses={("X01", "2026-10"): Decimal("100.00")})
    assert err.row == "bonuses (X01, 2026-10)" and "unknown person 'X01'" in str(err)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "202610", "2026/10", "26-10"])
def test_bad_month(month: str) -> None:
    err = refused(bonuses={("M02", month): Decimal("100.00")})
    assert err.row == f"bonuses (M02, {month})" and "is not YYYY-MM" in str(err)


def test_members_of_unit_in_file_order() -> None:
    o = org()
    assert [p.id for p in o.members_of_unit("SMT1")] == ["M02", "M03"]
    assert [p.id for p in o.members_of_unit("SMT2")] == ["M04"]


def test_members_of_department_include_people_without_a_unit() -> None:
    o = org()
    assert [p.id for p in o.members_of_department("mfg")] == ["M01", "M02", "M03", "M04"]
    assert [p.id for p in o.members_of_department("sales")] == ["S01"]


def test_unknown_codes_in_lookups() -> None:
    o = org()
    for lookup in (o.members_of_unit, o.members_of_department, o.unit, o.department, o.person):
        with pytest.raises(OrganisationInvalid, match="unknown") as err:
            lookup("nope")
        assert err.value.rule == "ORG-UNKNOWN" and err.value.row == ""


def test_bonus_defaults_to_zero() -> None:
    o = org()
    assert o.bonus("M02", "2026-10") == Decimal("1600.00")
    assert o.bonus("M02", "2026-11") == Decimal("0.00")
    assert str(o.bonus("M01", "2026-10")) == "0.00"
    with pytest.raises(OrganisationInvalid, match="unknown person 'X01'"):
        o.bonus("X01", "2026-10")


def test_equality_ignores_the_indexes() -> None:
    assert org() == org()
    assert org() != org(bonuses={})


def test_person_defaults() -> None:
    person = Person(id="X", name="x", department="sales")
    assert (person.unit, person.supervisor, person.basis_points) == (None, None, 1)


# -- Regression tests for defects found in organisation.py and fixed.


def test_duplicate_person_row_names_the_id() -> None:
    err = refused(people=(*PEOPLE, attrs.evolve(PEOPLE[2], unit="SMT2")))
    assert err.row == "people[5] (id M03)"


def test_an_organisation_is_hashable_like_every_frozen_value() -> None:
    hash(org())


def test_bonuses_cannot_change_after_validation() -> None:
    bonuses = dict(BONUSES)
    o = org(bonuses=bonuses)
    bonuses[("M02", "2026-11")] = Decimal("-500.00")
    assert o.bonus("M02", "2026-11") == Decimal("0.00")


def test_superscript_digit_in_month_is_refused_with_the_row() -> None:
    err = refused(bonuses={("M02", "2026-1²"): Decimal("100.00")})
    assert err.row == "bonuses (M02, 2026-1²)"


def test_full_width_month_is_refused() -> None:
    refused(bonuses={("M02", "２０２６-１１"): Decimal("100.00")})


def test_bonus_with_more_than_two_places_is_refused() -> None:
    refused(bonuses={("M02", "2026-11"): Decimal("100.005")})


# -- Found by mutation testing: refusals no test reached, and message forms.


def test_a_department_of_an_unknown_kind_is_refused() -> None:
    """The kind decides where a fault goes (P1-ROLE-05/06); a file's typo must not pass as a department."""
    err = refused(departments=(*DEPARTMENTS, Department("qa", "品质部", "quality_assurance")))  # type: ignore[arg-type]
    assert err.row == "departments[2] (qa)" and "unknown kind 'quality_assurance'" in str(err)


@pytest.mark.parametrize("points", [True, 2.5, "3", None])
def test_basis_points_are_a_whole_number(points: object) -> None:
    """P1-PEN-10 splits a unit's loss by basis points: a bool, a fraction or text would split wrongly or crash."""
    err = refused(people=replace_person(2, basis_points=points))
    assert err.row == "people[2] (id M03)" and f"whole number, got {points!r}" in str(err)


def test_a_zero_bonus_is_a_bonus() -> None:
    """A month without a bonus (e.g. on leave) is payroll's 0.00, not a refusal: the cap is then 0.00."""
    assert org(bonuses={("M02", "2026-11"): Decimal("0.00")}).bonus("M02", "2026-11") == Decimal("0.00")


def test_a_refusal_prefixes_its_row_and_a_lookup_has_none() -> None:
    assert (
        str(refused(people=replace_person(4, supervisor="M99"))) == "[ORG] people[4] (id S01): unknown supervisor 'M99'"
    )
    with pytest.raises(OrganisationInvalid) as err:
        org().person("nope")
    assert str(err.value) == "[ORG-UNKNOWN] unknown person 'nope'"


def test_only_a_person_listed_twice_is_told_about_units() -> None:
    err = refused(departments=(*DEPARTMENTS, Department("sales", "二部", DepartmentKind.SALES)))
    assert str(err) == "[ORG] departments[2] (sales): listed twice"


def test_a_chain_that_runs_into_a_loop_elsewhere_is_refused_from_its_first_row() -> None:
    """M01 → M03 → M02 → M01 is a loop; A01, listed first and outside it, reaches it through M02. The check
    follows A01's chain until a supervisor repeats (it must not follow the loop for ever)."""
    outsider = Person(id="A01", name="外人", department="sales", supervisor="M02")
    err = refused(people=(outsider, *replace_person(0, supervisor="M03")))
    assert err.row == "people[0] (id A01)" and "loops back to 'M02'" in str(err)
