"""The monthly report of the cases closed in a month (DOMAIN §10).

``monthly_report`` is a pure function of the cases, their policies and calendars, and the
month's money inputs; it reads no clock and returns immutable values that the renderers in
``adapters.reports`` turn into a table, JSON, CSV or an HTML page. Definitions:

- A case belongs to month ``YYYY-MM`` when its closing step (the last ``closed`` step of a
  closed or settled case, or the ``not_established`` step of a case left not established)
  falls in that month in its policy's zone. Other cases are only read for the repeat rate.
- Cause: the intake's cause code (``unspecified`` when none). Department: the department of
  the causer with the largest fault share (a department party, or through ``org`` a person
  or group unit); else the category's handling department; else ``unassigned``.
- Overdue rate per clock: clocks that stopped after their deadline / clocks that stopped
  with a deadline (a clock still running, e.g. on a not-established case, is not counted).
- Handling time: received → closing step, elapsed; buckets are upper-inclusive; the median
  averages the two middle values of an even count; p90 is the nearest rank (⌈0.9 n⌉-th).
- Repeat: the same issue again, as the case recorded it when received (``repeat_count`` > 0:
  a second complaint, or an earlier complaint on the same issue within the policy's
  ``repeat_window``, see ``repeats``); under a policy without a window, also a case with an
  earlier complaint on the same issue (``repeats.same_issue``) received in the report month.
- Satisfaction: reached follow-up visits of the reported cases that were not dissatisfied /
  reached visits; visits still open are counted as pending.
- Money is summed in whole fen and given as Decimal yuan; rates are exact ``Rate`` values
  rounded only for display, half up. The claimed total counts a claim once: a second complaint
  carrying its parent's claim (it copies the parent's intake) adds nothing to it, in the parent's
  month or any other; its own line still shows the claim.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

import attrs

from .calendar import WorkingCalendar
from .case import FINISHED, Case, CaseStatus
from .clocks import select_rule
from .errors import RuleViolation
from .escalation import lateness_days
from .followup import FollowUp, VisitStatus
from .intake import customer_key
from .labels import Labels
from .ledger import MonthClose
from .money import amount as amount_of
from .money import from_fen, to_fen
from .organisation import Organisation, OrganisationInvalid
from .policy import Market, Policy, TimeUnit
from .repeats import same_issue
from .responsibility import PartyKind
from .timeutil import is_month, local_date, month_key

PolicyFor = Callable[[Case], Policy]
CalendarFor = Callable[[Policy], WorkingCalendar | None]

UNSPECIFIED = "unspecified"  # the cause of a case without a cause code
UNASSIGNED = "unassigned"  # the department of a case with neither causer department nor handling department
UNCLASSIFIED = "unclassified"  # the severity of a case never classified
FIXED_LABELS: dict[str, Labels] = {
    UNSPECIFIED: Labels("未注明", "unspecified"),
    UNASSIGNED: Labels("未指定", "unassigned"),
    UNCLASSIFIED: Labels("未分级", "unclassified"),
}
MARKET_LABELS: dict[Market, Labels] = {
    Market.DOMESTIC: Labels("国内", "domestic"),
    Market.FOREIGN: Labels("国外", "foreign"),
}
# Upper bounds (inclusive) of the handling-time buckets; the last bucket is open.
BUCKET_DAYS: tuple[int, ...] = (1, 3, 7, 15)
_DAY_US = 86_400 * 1_000_000


# ----- values -------------------------------------------------------------------------------------
@attrs.frozen
class Rate:
    """An exact ratio; ``value`` rounds it half up for display. No denominator means no rate (``None``)."""

    numerator: int
    denominator: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    def value(self, places: int = 4) -> Decimal | None:
        """The ratio rounded half up to ``places`` decimals, computed in integers (no float, no context)."""
        if not self.denominator:
            return None
        scale = 10**places
        q = (2 * self.numerator * scale + self.denominator) // (2 * self.denominator)
        return Decimal(q).scaleb(-places)

    def percent(self, places: int = 1) -> str:
        """``"33.3%"``, or ``"-"`` without a denominator."""
        value = self.value(places + 2)
        return "-" if value is None else f"{value.scaleb(2):.{places}f}%"


def duration_days(value: timedelta, places: int = 2) -> Decimal:
    """A duration in days, rounded half up: handling times are read in days."""
    us = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    rate = Rate(us, _DAY_US).value(places)
    assert rate is not None
    return rate


@attrs.frozen(kw_only=True)
class Group:
    """One row of a breakdown (category, cause, department, severity or market)."""

    key: str
    label: Labels
    cases: int
    share: Rate  # of the month's cases
    loss: Decimal
    remedy: Decimal
    clocks: int  # stopped clocks with a deadline
    late: int  # of which stopped after the deadline
    overdue: Rate


@attrs.frozen(kw_only=True)
class ClockStat:
    clock: str
    label: Labels
    clocks: int
    late: int
    overdue: Rate


@attrs.frozen(kw_only=True)
class Bucket:
    label: Labels
    upper_days: int | None  # inclusive upper bound; None for the open last bucket
    cases: int
    share: Rate


@attrs.frozen(kw_only=True)
class HandlingTime:
    buckets: tuple[Bucket, ...]
    median: timedelta | None
    p90: timedelta | None


@attrs.frozen(kw_only=True)
class Money:
    claimed: Decimal  # what customers claimed at intake
    remedy: Decimal  # approved remedies (allowance, compensation, …)
    loss: Decimal  # valued losses given to the report (P1-PEN-01)


@attrs.frozen(kw_only=True)
class Deductions:
    """The month's ledger close (P1-PEN-11), summed over people."""

    people: int
    posted: Decimal
    reversed: Decimal
    deducted: Decimal  # capped and uncapped
    refunded: Decimal
    carried: Decimal


@attrs.frozen(kw_only=True)
class Satisfaction:
    reached: int
    satisfied: int
    dissatisfied: int
    unreachable: int
    pending: int
    rate: Rate  # satisfied / reached


@attrs.frozen(kw_only=True)
class ParetoRow:
    cause: str
    label: Labels
    cases: int
    share: Rate
    cumulative: Rate


@attrs.frozen(kw_only=True)
class LateStep:
    """One step finished after its deadline: a line of the timeliness audit behind the 洽办单 (P1-ESC-02)."""

    case_id: UUID
    reference: str
    clock: str
    clock_label: Labels
    rule_id: str
    due: datetime
    stopped_at: datetime
    days_late: int  # full days late in the clock's own day kind (as on the 洽办单)
    working_days_late: int | None  # full working days late; None without a calendar
    department: str
    delay_parties: tuple[str, ...]  # who was found responsible for the delay, when attributed
    zone: str = ""  # the case's policy zone, to show its instants as the case does


@attrs.frozen(kw_only=True)
class Week:
    """Cases closed in one ISO week of the month, per category (keys in ``by_category`` order)."""

    week: str  # "2026-W45"
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@attrs.frozen(kw_only=True)
class CaseLine:
    case_id: UUID
    reference: str
    customer: str
    status: CaseStatus
    category: str
    cause: str
    department: str
    severity: str
    market: Market
    received_at: datetime
    closed_at: datetime
    handling: timedelta
    late_clocks: tuple[str, ...]
    repeat: bool
    claimed: Decimal
    loss: Decimal
    remedy: Decimal
    zone: str = ""  # the case's policy zone, to show its instants as the case does


@attrs.frozen(kw_only=True)
class MonthlyReport:
    month: str
    total: int
    by_category: tuple[Group, ...]
    by_cause: tuple[Group, ...]
    by_department: tuple[Group, ...]
    by_severity: tuple[Group, ...]
    by_market: tuple[Group, ...]
    clocks: tuple[ClockStat, ...]
    handling: HandlingTime
    money: Money
    deductions: Deductions | None
    repeat: Rate
    satisfaction: Satisfaction
    pareto: tuple[ParetoRow, ...]
    audit: tuple[LateStep, ...]
    weeks: tuple[Week, ...]
    cases: tuple[CaseLine, ...]

    @property
    def overdue(self) -> Rate:
        """All clocks together."""
        return Rate(sum(c.late for c in self.clocks), sum(c.clocks for c in self.clocks))


# ----- the report ---------------------------------------------------------------------------------
def closing_time(case: Case) -> datetime | None:
    """When the case was finished: its last ``closed`` step, or its ``not_established`` step while it stays so."""
    if case.status in FINISHED:
        wanted = CaseStatus.CLOSED
    elif case.status is CaseStatus.NOT_ESTABLISHED:
        wanted = CaseStatus.NOT_ESTABLISHED
    else:
        return None
    return next((s.at for s in reversed(case.steps) if s.status is wanted), None)


def month_of(instant: datetime, policy: Policy) -> str:
    return month_key(instant, policy.tz)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def weeks_of(month: str) -> tuple[str, ...]:
    """The ISO weeks that have a day in ``month``, in order."""
    year, mon = int(month[:4]), int(month[5:])
    day = date(year, mon, 1)
    out: list[str] = []
    while day.month == mon:
        week = iso_week(day)
        if week not in out:
            out.append(week)
        day += timedelta(days=1)
    return tuple(out)


def department_of(case: Case, policy: Policy, org: Organisation | None) -> str:
    """The causer's department (largest share, first on ties), else the category's handling department."""
    if case.causer is not None:
        top = max(case.causer.shares, key=lambda s: s.share)  # max keeps the first of equal shares
        party = top.party
        if party.kind is PartyKind.DEPARTMENT:
            return party.id
        if org is not None:
            try:
                if party.kind is PartyKind.PERSON:
                    return org.person(party.id).department
                if party.kind is PartyKind.GROUP_UNIT:
                    return org.unit(party.id).department
            except OrganisationInvalid:
                pass  # not in the organisation (e.g. since left): fall back like an external party
    codes = {c.code: c for c in policy.categories}
    category = codes.get(case.intake.category)
    return category.department if category is not None and category.department else UNASSIGNED


def _percentile_rank(n: int, p: int) -> int:
    """Nearest rank (1-based) of the p-th percentile of n values: ⌈p n / 100⌉."""
    return max(1, -(-p * n // 100))


@attrs.define
class _Acc:
    cases: int = 0
    loss: int = 0
    remedy: int = 0
    clocks: int = 0
    late: int = 0


def monthly_report(
    cases: Iterable[Case],
    *,
    month: str,
    policy_for: PolicyFor,
    calendar_for: CalendarFor,
    org: Organisation | None = None,
    losses: Mapping[UUID, Decimal] | None = None,
    month_close: MonthClose | None = None,
    followups: Iterable[FollowUp] = (),
) -> MonthlyReport:
    """The report of the cases closed in ``month`` (see the module docstring for every definition).

    ``cases`` may hold every case: those not closed in the month only count for the repeat
    rate. ``losses`` gives the valued loss per case id; ``month_close`` the ledger's close of
    the same month (deductions are left out without it); ``org`` resolves people and units to
    departments and names departments; ``followups`` are read for the reported cases only.
    """
    if not is_month(month):
        raise RuleViolation(f"month must be 'YYYY-MM', got {month!r}", rule="REPORT-MONTH")
    if month_close is not None and month_close.month != month:
        raise RuleViolation(f"the ledger close is for {month_close.month}, not {month}", rule="REPORT-MONTH")
    losses = losses or {}
    everything = list(cases)
    policies = {case.case_id: policy_for(case) for case in everything}

    # Complaints received in the month by customer: the earlier same issue under a policy without a repeat window.
    received_in_month: dict[str, list[Case]] = {}
    for case in everything:
        if month_of(case.received_at, policies[case.case_id]) == month:
            received_in_month.setdefault(customer_key(case.intake.customer), []).append(case)

    by_id = {case.case_id: case for case in everything}
    repeated_claims: set[UUID] = set()  # second complaints carrying their parent's claim: counted once, at the parent
    lines: list[CaseLine] = []
    audit: list[LateStep] = []
    clock_acc: dict[str, list[int]] = {}
    clock_labels: dict[str, Labels] = {}
    labels: dict[tuple[str, str], Labels] = {("market", m.value): label for m, label in MARKET_LABELS.items()}
    per_case_clocks: dict[UUID, tuple[int, int]] = {}
    for case in everything:
        policy = policies[case.case_id]
        closed = closing_time(case)
        if closed is None or month_of(closed, policy) != month:
            continue
        calendar = calendar_for(policy)
        tz = policy.tz
        department = department_of(case, policy, org)
        cause = case.intake.cause_code or UNSPECIFIED
        severity = case.severity or UNCLASSIFIED
        category = case.intake.category
        _remember_labels(labels, policy, org, category=category, department=department, severity=severity, cause=cause)
        late_clocks: list[str] = []
        stopped = late = 0
        delay_parties = tuple(s.party.id for s in case.delay.shares) if case.delay is not None else ()
        for deadline in case.deadlines(policy, calendar):
            if deadline.met is None:
                continue
            assert deadline.due is not None and deadline.stopped_at is not None
            rule = policy.clock_rules(deadline.clock)[0]
            applied = select_rule(policy, deadline.clock, case.subject)  # the rule this case's clock ran under
            if applied is not None and not applied.audited:  # an alert clock: late by construction, no one's step
                continue
            clock_labels.setdefault(deadline.clock, rule.label)
            counts = clock_acc.setdefault(deadline.clock, [0, 0])
            counts[0] += 1
            stopped += 1
            if deadline.met:
                continue
            counts[1] += 1
            late += 1
            late_clocks.append(deadline.clock)
            unit = deadline.limit.unit if deadline.limit is not None else TimeUnit.CALENDAR_DAYS
            due, end = deadline.due, deadline.stopped_at
            audit.append(
                LateStep(
                    case_id=case.case_id,
                    reference=case.reference,
                    clock=deadline.clock,
                    clock_label=rule.label,
                    rule_id=deadline.rule_id,
                    due=due,
                    stopped_at=end,
                    days_late=lateness_days(due, end, unit=unit, calendar=calendar, tz=tz),
                    working_days_late=None
                    if calendar is None
                    else lateness_days(due, end, unit=TimeUnit.WORKING_DAYS, calendar=calendar, tz=tz),
                    department=department,
                    delay_parties=delay_parties,
                    zone=policy.zone,
                )
            )
        per_case_clocks[case.case_id] = (stopped, late)
        repeat = (
            case.repeat_count > 0
            or case.parent_case_id is not None
            or (
                policy.repeat_window is None
                and any(
                    other.received_at < case.received_at and same_issue(case.intake, other.intake)
                    for other in received_in_month.get(customer_key(case.intake.customer), ())
                )
            )
        )
        parent = by_id.get(case.parent_case_id) if case.parent_case_id is not None else None
        if parent is not None and parent.intake.claimed_amount == case.intake.claimed_amount:
            repeated_claims.add(case.case_id)
        loss = losses.get(case.case_id)
        agreed = case.agreed_remedy(policy)
        remedy = agreed.amount if agreed is not None else Decimal("0.00")
        lines.append(
            CaseLine(
                case_id=case.case_id,
                reference=case.reference,
                customer=case.intake.customer,
                status=case.status,
                category=category,
                cause=cause,
                department=department,
                severity=severity,
                market=case.intake.market,
                received_at=case.received_at,
                closed_at=closed,
                handling=closed - case.received_at,
                late_clocks=tuple(late_clocks),
                repeat=repeat,
                claimed=case.intake.claimed_amount if case.intake.claimed_amount is not None else Decimal("0.00"),
                loss=amount_of(loss, "loss") if loss is not None else Decimal("0.00"),
                remedy=remedy,
                zone=policy.zone,
            )
        )
    lines.sort(key=lambda line: (line.closed_at, line.reference))
    audit.sort(key=lambda step: (step.clock, step.stopped_at, step.reference))
    total = len(lines)

    def groups(kind: str, key: Callable[[CaseLine], str]) -> tuple[Group, ...]:
        acc: dict[str, _Acc] = {}
        for line in lines:
            a = acc.setdefault(key(line), _Acc())
            a.cases += 1
            a.loss += to_fen(line.loss)
            a.remedy += to_fen(line.remedy)
            stopped, late = per_case_clocks[line.case_id]
            a.clocks += stopped
            a.late += late
        rows = [
            Group(
                key=k,
                label=labels.get((kind, k)) or FIXED_LABELS.get(k) or Labels(k, k),
                cases=a.cases,
                share=Rate(a.cases, total),
                loss=from_fen(a.loss),
                remedy=from_fen(a.remedy),
                clocks=a.clocks,
                late=a.late,
                overdue=Rate(a.late, a.clocks),
            )
            for k, a in acc.items()
        ]
        rows.sort(key=lambda g: (-g.cases, g.key in FIXED_LABELS, g.key))
        return tuple(rows)

    by_category = groups("category", lambda line: line.category)
    by_cause = groups("cause", lambda line: line.cause)

    pareto: list[ParetoRow] = []
    running = 0
    for group in by_cause:
        running += group.cases
        pareto.append(
            ParetoRow(
                cause=group.key,
                label=group.label,
                cases=group.cases,
                share=group.share,
                cumulative=Rate(running, total),
            )
        )

    weekly: dict[str, dict[str, int]] = {week: {} for week in weeks_of(month)}
    for line in lines:
        day = local_date(line.closed_at, policies[line.case_id].tz)
        bucket = weekly[iso_week(day)]
        bucket[line.category] = bucket.get(line.category, 0) + 1
    weeks = tuple(
        Week(week=week, counts=tuple((g.key, counts.get(g.key, 0)) for g in by_category))
        for week, counts in weekly.items()
    )

    reported = {line.case_id for line in lines}
    reached = satisfied = unreachable = pending = 0
    for followup in followups:
        if followup.case_id not in reported:
            continue
        for visit in followup.visits:
            if visit.status is VisitStatus.REACHED:
                reached += 1
                satisfied += 0 if visit.dissatisfied else 1
            elif visit.status is VisitStatus.UNREACHABLE:
                unreachable += 1
            else:
                pending += 1

    return MonthlyReport(
        month=month,
        total=total,
        by_category=by_category,
        by_cause=by_cause,
        by_department=groups("department", lambda line: line.department),
        by_severity=groups("severity", lambda line: line.severity),
        by_market=groups("market", lambda line: line.market.value),
        clocks=tuple(
            ClockStat(clock=name, label=clock_labels[name], clocks=n, late=k, overdue=Rate(k, n))
            for name, (n, k) in sorted(clock_acc.items())
        ),
        handling=_handling([line.handling for line in lines]),
        money=Money(
            claimed=from_fen(sum(to_fen(line.claimed) for line in lines if line.case_id not in repeated_claims)),
            remedy=from_fen(sum(to_fen(line.remedy) for line in lines)),
            loss=from_fen(sum(to_fen(line.loss) for line in lines)),
        ),
        deductions=_deductions(month_close) if month_close is not None else None,
        repeat=Rate(sum(1 for line in lines if line.repeat), total),
        satisfaction=Satisfaction(
            reached=reached,
            satisfied=satisfied,
            dissatisfied=reached - satisfied,
            unreachable=unreachable,
            pending=pending,
            rate=Rate(satisfied, reached),
        ),
        pareto=tuple(pareto),
        audit=tuple(audit),
        weeks=weeks,
        cases=tuple(lines),
    )


def _remember_labels(
    labels: dict[tuple[str, str], Labels],
    policy: Policy,
    org: Organisation | None,
    *,
    category: str,
    department: str,
    severity: str,
    cause: str,
) -> None:
    """Display names from the policy (categories, severities, sanction causes) and the organisation
    (departments)."""
    if ("cause", cause) not in labels:
        for found in policy.penalties.sanction_causes:
            if found.code == cause:
                labels[("cause", cause)] = found.label
    if ("category", category) not in labels:
        for c in policy.categories:
            if c.code == category:
                labels[("category", category)] = c.label
    if ("severity", severity) not in labels:
        for s in policy.severities:
            if s.code == severity:
                labels[("severity", severity)] = s.label
    if ("department", department) not in labels and org is not None and department not in FIXED_LABELS:
        try:
            name = org.department(department).name
        except OrganisationInvalid:
            return
        labels[("department", department)] = Labels(name, name)


def _handling(durations: list[timedelta]) -> HandlingTime:
    n = len(durations)
    counts = [0] * (len(BUCKET_DAYS) + 1)
    for value in durations:
        index = next((i for i, days in enumerate(BUCKET_DAYS) if value <= timedelta(days=days)), len(BUCKET_DAYS))
        counts[index] += 1
    buckets = [
        Bucket(label=Labels(f"≤{days}天", f"≤{days} d"), upper_days=days, cases=counts[i], share=Rate(counts[i], n))
        for i, days in enumerate(BUCKET_DAYS)
    ]
    last = BUCKET_DAYS[-1]
    buckets.append(
        Bucket(label=Labels(f">{last}天", f">{last} d"), upper_days=None, cases=counts[-1], share=Rate(counts[-1], n))
    )
    ordered = sorted(durations)
    median = p90 = None
    if ordered:
        mid = n // 2
        median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        p90 = ordered[_percentile_rank(n, 90) - 1]
    return HandlingTime(buckets=tuple(buckets), median=median, p90=p90)


def _deductions(close: MonthClose) -> Deductions:
    def total(values: Iterable[Decimal]) -> Decimal:
        # ledger amounts have two places and are summed exactly; a person's balance may exceed what one posting
        # may be (MAX_AMOUNT), so they are not passed through ``to_fen``, which would refuse it
        return sum(values, Decimal("0.00"))

    rows = close.people
    return Deductions(
        people=len(rows),
        posted=total(r.posted for r in rows),
        reversed=total(r.reversed for r in rows),
        deducted=total(r.deducted_total for r in rows),
        refunded=total(r.refunded for r in rows),
        carried=total(r.carry_out for r in rows),
    )
