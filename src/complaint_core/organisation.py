"""The organisation as reference data (DOMAIN §2 Organisation).

Departments with a kind, group units (班组) inside departments, people with
their unit, department, supervisor and basis points (基点数), and each
person's efficiency bonus per month. Attribution fallbacks, supervisor
liability, basis-point apportionment and the monthly cap read it. Validation
errors name the offending row (``people[3] (id E07)``) and the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

import attrs

from .errors import DomainError
from .labels import Labels
from .timeutil import is_month


class OrganisationInvalid(DomainError, ValueError):
    """An inconsistent organisation; ``row`` names the offending row."""

    rule = "ORG"

    def __init__(self, row: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"{row}: {message}" if row else message, rule=rule)
        self.row = row


def _read_only(bonuses: Mapping[tuple[str, str], Decimal]) -> Mapping[tuple[str, str], Decimal]:
    return MappingProxyType(dict(bonuses))


class DepartmentKind(StrEnum):
    MANUFACTURING = "manufacturing"
    SALES = "sales"
    SERVICE = "service"
    QUALITY = "quality"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    RND = "rnd"
    GM_OFFICE = "gm_office"
    CUSTOMER_SERVICE = "customer_service"
    BRANCH = "branch"
    OTHER = "other"


DEPARTMENT_KIND_LABELS: dict[DepartmentKind, Labels] = {
    DepartmentKind.MANUFACTURING: Labels("制造", "manufacturing"),
    DepartmentKind.SALES: Labels("业务", "sales"),
    DepartmentKind.SERVICE: Labels("服务", "service"),
    DepartmentKind.QUALITY: Labels("品管", "quality"),
    DepartmentKind.WAREHOUSE: Labels("仓储", "warehouse"),
    DepartmentKind.FINANCE: Labels("财务", "finance"),
    DepartmentKind.RND: Labels("研发", "R&D"),
    DepartmentKind.GM_OFFICE: Labels("总经理室", "GM's office"),
    DepartmentKind.CUSTOMER_SERVICE: Labels("客服", "customer service"),
    DepartmentKind.BRANCH: Labels("网点", "branch"),
    DepartmentKind.OTHER: Labels("其他", "other"),
}


@attrs.frozen
class Department:
    code: str
    name: str
    kind: DepartmentKind


@attrs.frozen
class GroupUnit:
    """A 班组: the smallest unit a manufacturing fault is attributed to (P1 经济处罚准则(一))."""

    code: str
    name: str
    department: str


@attrs.frozen(kw_only=True)
class Person:
    id: str
    name: str
    department: str
    unit: str | None = None
    supervisor: str | None = None
    basis_points: int = 1


@attrs.frozen(kw_only=True)
class Organisation:
    departments: tuple[Department, ...]
    units: tuple[GroupUnit, ...] = ()
    people: tuple[Person, ...] = ()
    # (person id, "YYYY-MM") -> that month's efficiency bonus (效益奖金) in yuan; copied into a read-only
    # mapping so nothing changes after validation. It takes part in equality, not in the hash.
    bonuses: Mapping[tuple[str, str], Decimal] = attrs.field(factory=dict, converter=_read_only, hash=False)
    _departments: dict[str, Department] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _units: dict[str, GroupUnit] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _people: dict[str, Person] = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        departments = _index("departments", "", ((d.code, d) for d in self.departments))
        units = _index("units", "", ((u.code, u) for u in self.units))
        people = _index("people", "id ", ((p.id, p) for p in self.people))
        for i, dept in enumerate(self.departments):
            if not isinstance(dept.kind, DepartmentKind):
                raise OrganisationInvalid(f"departments[{i}] ({dept.code})", f"unknown kind {dept.kind!r}")
        for i, unit in enumerate(self.units):
            if unit.department not in departments:
                raise OrganisationInvalid(f"units[{i}] ({unit.code})", f"unknown department {unit.department!r}")
        for i, person in enumerate(self.people):
            row = f"people[{i}] (id {person.id})"
            if person.department not in departments:
                raise OrganisationInvalid(row, f"unknown department {person.department!r}")
            if person.unit is not None:
                if person.unit not in units:
                    raise OrganisationInvalid(row, f"unknown unit {person.unit!r}")
                if units[person.unit].department != person.department:
                    raise OrganisationInvalid(
                        row,
                        f"unit {person.unit!r} belongs to {units[person.unit].department!r}, not {person.department!r}",
                    )
            if person.supervisor is not None and person.supervisor not in people:
                raise OrganisationInvalid(row, f"unknown supervisor {person.supervisor!r}")
            if isinstance(person.basis_points, bool) or not isinstance(person.basis_points, int):
                raise OrganisationInvalid(row, f"basis points must be a whole number, got {person.basis_points!r}")
            if person.basis_points < 0:
                raise OrganisationInvalid(row, f"basis points cannot be negative ({person.basis_points})")
        for i, person in enumerate(self.people):
            _check_no_cycle(people, person, f"people[{i}] (id {person.id})")
        for (person_id, month), amount in self.bonuses.items():
            row = f"bonuses ({person_id}, {month})"
            if person_id not in people:
                raise OrganisationInvalid(row, f"unknown person {person_id!r}")
            if not is_month(month):
                raise OrganisationInvalid(row, f"month {month!r} is not YYYY-MM")
            if not isinstance(amount, Decimal) or not amount.is_finite():
                raise OrganisationInvalid(row, f"a bonus must be a Decimal amount, got {amount!r}")
            if amount < 0:
                raise OrganisationInvalid(row, f"a bonus cannot be negative ({amount})")
            if amount != amount.quantize(Decimal("0.01")):
                raise OrganisationInvalid(row, f"a bonus is in yuan with at most two places (fen), got {amount}")
        object.__setattr__(self, "_departments", departments)
        object.__setattr__(self, "_units", units)
        object.__setattr__(self, "_people", people)

    def department(self, code: str) -> Department:
        try:
            return self._departments[code]
        except KeyError:
            raise OrganisationInvalid("", f"unknown department {code!r}", rule="ORG-UNKNOWN") from None

    def unit(self, code: str) -> GroupUnit:
        try:
            return self._units[code]
        except KeyError:
            raise OrganisationInvalid("", f"unknown unit {code!r}", rule="ORG-UNKNOWN") from None

    def person(self, person_id: str) -> Person:
        try:
            return self._people[person_id]
        except KeyError:
            raise OrganisationInvalid("", f"unknown person {person_id!r}", rule="ORG-UNKNOWN") from None

    def members_of_unit(self, code: str) -> tuple[Person, ...]:
        self.unit(code)
        return tuple(p for p in self.people if p.unit == code)

    def members_of_department(self, code: str) -> tuple[Person, ...]:
        self.department(code)
        return tuple(p for p in self.people if p.department == code)

    def bonus(self, person_id: str, month: str) -> Decimal:
        """The person's bonus for ``month`` (YYYY-MM); zero when payroll has none."""
        self.person(person_id)
        return self.bonuses.get((person_id, month), Decimal("0.00"))


T = TypeVar("T")


def _index(what: str, label: str, pairs: Iterable[tuple[str, T]]) -> dict[str, T]:
    out: dict[str, T] = {}
    for i, (key, value) in enumerate(pairs):
        if not key:
            raise OrganisationInvalid(f"{what}[{i}]", "a code or id is required")
        if key in out:
            extra = " (a person may belong to one unit only)" if what == "people" else ""
            raise OrganisationInvalid(f"{what}[{i}] ({label}{key})", f"listed twice{extra}")
        out[key] = value
    return out


def _check_no_cycle(people: Mapping[str, Person], person: Person, row: str) -> None:
    seen = {person.id}
    current = person
    while current.supervisor is not None:
        if current.supervisor in seen:
            raise OrganisationInvalid(row, f"the supervisor chain loops back to {current.supervisor!r}")
        seen.add(current.supervisor)
        current = people[current.supervisor]
