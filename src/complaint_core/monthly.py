"""What a closed month produces for people to read (DOMAIN §7 monthly outputs, P1-PEN-14, P1-APR-08).

- the reward/penalty notice per unit (奖罚通知单): person, case, rule, amount, points;
- the administrative-sanction list for HR (人事公布单);
- the responsibility statistics by department.
They are read from the ledger's entries of the month and from the approved
assessments, and name people and units as the organisation has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

import attrs

from .assessment import Assessment, AssessmentStatus
from .ledger import EntryKind, Ledger
from .organisation import Organisation
from .penalty import LineKind
from .responsibility import PartyKind

ZERO = Decimal("0.00")


@attrs.frozen(kw_only=True)
class NoticeRow:
    person_id: str
    person_name: str
    case_id: UUID
    rule_id: str
    amount: Decimal
    points: int


@attrs.frozen(kw_only=True)
class PenaltyNotice:
    """奖罚通知单 for one unit (a group unit, else the department) and one month."""

    month: str
    unit: str
    unit_name: str
    rows: tuple[NoticeRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


def penalty_notices(ledger: Ledger, month: str, org: Organisation) -> tuple[PenaltyNotice, ...]:
    """One notice per unit with what was posted in ``month`` (reversals shown as negative rows)."""
    by_unit: dict[str, list[NoticeRow]] = {}
    names: dict[str, str] = {}
    for entry in ledger.entries_in(month):
        if entry.kind not in (EntryKind.POSTED, EntryKind.REVERSED):
            continue
        sign = 1 if entry.kind is EntryKind.POSTED else -1
        person = org.person(entry.person_id)
        unit = person.unit or person.department
        if unit not in names:
            names[unit] = org.unit(unit).name if person.unit else org.department(unit).name
        by_unit.setdefault(unit, []).append(
            NoticeRow(
                person_id=person.id,
                person_name=person.name,
                case_id=entry.case_id,
                rule_id=entry.rule_id,
                amount=entry.amount * sign,
                points=entry.points * sign,
            )
        )
    notices = []
    for unit in sorted(by_unit):
        notices.append(PenaltyNotice(month=month, unit=unit, unit_name=names[unit], rows=tuple(by_unit[unit])))
    return tuple(notices)


@attrs.frozen(kw_only=True)
class SanctionRow:
    """A row of the 人事公布单: an administrative sanction HR announces (P1-APR-08)."""

    person_id: str
    person_name: str
    department: str
    case_id: UUID
    sanction: str
    count: int
    amount: Decimal


def sanction_list(assessments: Iterable[Assessment], org: Organisation) -> tuple[SanctionRow, ...]:
    rows = []
    for assessment in assessments:
        if assessment.status is not AssessmentStatus.APPROVED:
            continue
        for line in assessment.lines:
            if line.kind not in (LineKind.SANCTION, LineKind.MAJOR_DEMERIT):
                continue
            basis = dict(line.basis)
            person = org.person(line.party.id)
            rows.append(
                SanctionRow(
                    person_id=person.id,
                    person_name=person.name,
                    department=person.department,
                    case_id=assessment.case_id,
                    sanction=basis.get("sanction", line.kind.value),
                    count=int(basis.get("count", "1")),
                    amount=line.amount,
                )
            )
    return tuple(rows)


@attrs.frozen(kw_only=True)
class DepartmentStatistics:
    department: str
    department_name: str
    cases: int
    people: int
    amount: Decimal
    points: int


def responsibility_statistics(assessments: Iterable[Assessment], org: Organisation) -> tuple[DepartmentStatistics, ...]:
    """Cases, people, amounts and points attributed to each department by approved assessments."""
    cases: dict[str, set[UUID]] = {}
    people: dict[str, set[str]] = {}
    amounts: dict[str, Decimal] = {}
    points: dict[str, int] = {}
    for assessment in assessments:
        if assessment.status is not AssessmentStatus.APPROVED:
            continue
        for line in assessment.lines:
            if line.party.kind is not PartyKind.PERSON:
                continue
            dept = org.person(line.party.id).department
            cases.setdefault(dept, set()).add(assessment.case_id)
            people.setdefault(dept, set()).add(line.party.id)
            amounts[dept] = amounts.get(dept, ZERO) + line.amount
            points[dept] = points.get(dept, 0) + line.points
    return tuple(
        DepartmentStatistics(
            department=dept,
            department_name=org.department(dept).name,
            cases=len(cases[dept]),
            people=len(people[dept]),
            amount=amounts[dept],
            points=points[dept],
        )
        for dept in sorted(cases)
    )
