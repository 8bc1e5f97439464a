"""The policy as immutable data: what a company's 投诉管理制度 says, validated on construction.

A policy is identified by ``policy_id`` and ``version``; a case keeps the version
it was opened under, so editing a policy never rewrites history (DOMAIN §2).
Validation errors name the key path of the offending value (``approval[1].limit``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Collection, Hashable, Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from .duties import DutyPeriod, DutyRule
from .errors import MoneyError, NotFound, PolicyInvalid
from .labels import Labels, Language
from .money import MAX_RATIO_PLACES, decimal_places, ratio_is_plain
from .money import amount as amount_of

T = TypeVar("T")


class TimeUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    CALENDAR_MONTHS = "calendar_months"


DAY_UNITS = frozenset({TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_MONTHS})


class RestDayRule(StrEnum):
    """What a calendar-day period ending on a rest day does (DOMAIN §4)."""

    INTERNAL = "internal"  # ends on the rest day (internal time limits, the default)
    STATUTORY = "statutory"  # Civil Code art. 203: ends on the next working day


class PromiseMode(StrEnum):
    NONE = "none"
    PROMISED = "promised"  # a promised date recorded on the case is the deadline (P4-DL-06, P5-DL-02)
    TWO_STAGE = "two_stage"  # reply within the limit, or promise a date within it (F4-DL-03)


class Market(StrEnum):
    DOMESTIC = "domestic"
    FOREIGN = "foreign"


class CaseKind(StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class Channel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    ON_SITE = "on_site"
    OPINION_BOOK = "opinion_book"
    EMAIL = "email"
    WEB = "web"
    FORWARDED = "forwarded"
    REGULATOR = "regulator"


CASE_KIND_LABELS: dict[CaseKind, Labels] = {
    CaseKind.EXTERNAL: Labels("外部投诉", "external"),
    CaseKind.INTERNAL: Labels("内部投诉", "internal"),
}
CHANNEL_LABELS: dict[Channel, Labels] = {
    Channel.PHONE: Labels("电话", "phone"),
    Channel.LETTER: Labels("信函", "letter"),
    Channel.ON_SITE: Labels("现场", "on site"),
    Channel.OPINION_BOOK: Labels("意见簿", "opinion book"),
    Channel.EMAIL: Labels("电子邮件", "email"),
    Channel.WEB: Labels("网站", "web"),
    Channel.FORWARDED: Labels("他部门转来", "forwarded"),
    Channel.REGULATOR: Labels("监管转办", "regulator"),
}


class ComplainantKind(StrEnum):
    CUSTOMER = "customer"
    SALESPERSON = "salesperson"
    INTERNAL_DEPARTMENT = "internal_department"


class NumberReset(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"
    NEVER = "never"


class EscalationAction(StrEnum):
    REMINDER = "reminder"  # 催办单 to the late department (P1-ESC-01)
    ESCALATE = "escalate"  # to a higher role
    ALERT = "alert"  # notify roles (E4 24-hour alert)
    WAIVE = "waive"  # deemed waiver (P4-DL-03)


# Lifecycle states a policy may leave out (DOMAIN §3); the others are the backbone.
OPTIONAL_STATES = frozenset({"investigating", "attributed", "proposed", "approved"})
MAJOR_FLAGGED = "major_flagged"  # the milestone Case.flag_major reaches: alert clocks start there
LIFECYCLE_STATES = frozenset(
    {"received", "registered", "investigating", "attributed", "proposed", "approved", "replied", "closed", "settled",
     "not_established"}
)  # fmt: skip
# Ladder targets that name someone relative to the case rather than a role of the policy.
CASE_TARGETS = frozenset({"late_department", "department_head", "accused_department", "handler"})
# Bounds in minutes of one unit, to refuse ladders that surely descend across units
# (a working day can lie up to ten calendar days ahead around the Spring Festival).
_MINUTES_AT_LEAST = {
    "minutes": 1,
    "hours": 60,
    "calendar_days": 1440,
    "working_days": 1440,
    "calendar_months": 28 * 1440,
}
_MINUTES_AT_MOST = {
    "minutes": 1,
    "hours": 60,
    "calendar_days": 1440,
    "working_days": 10 * 1440,
    "calendar_months": 31 * 1440,
}
MILESTONE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@attrs.frozen
class Limit:
    amount: int
    unit: TimeUnit

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


@attrs.frozen(kw_only=True)
class ClockCondition:
    """Which cases a clock rule applies to; an empty set means any value."""

    markets: frozenset[Market] = frozenset()
    kinds: frozenset[CaseKind] = frozenset()
    categories: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()
    channels: frozenset[Channel] = frozenset()

    @property
    def unconditional(self) -> bool:
        return not (self.markets or self.kinds or self.categories or self.severities or self.channels)

    def matches(
        self,
        *,
        market: Market | None,
        kind: CaseKind | None,
        category: str | None,
        severity: str | None,
        channel: Channel | None,
    ) -> bool:
        return (
            (not self.markets or market in self.markets)
            and (not self.kinds or kind in self.kinds)
            and (not self.categories or category in self.categories)
            and (not self.severities or severity in self.severities)
            and (not self.channels or channel in self.channels)
        )


@attrs.frozen(kw_only=True)
class LadderLevel:
    """One rung of an escalation ladder: fires ``after`` the clock's due time (DOMAIN §5)."""

    after: Limit
    action: EscalationAction
    target: str
    label: Labels | None = None
    rule_id: str = ""  # the rule this rung applies (P4-DL-03 for a deemed waiver), else the clock's


@attrs.frozen(kw_only=True)
class ClockRule:
    """An SLA clock: starts at one milestone, stops at another, due after ``limit`` (DOMAIN §4).

    Several rules may share a ``name`` with different conditions (P1-DL-01: 13
    calendar days domestic, 17 foreign); the first that matches a case applies.
    """

    name: str
    label: Labels
    start: str
    stop: str
    limit: Limit | None = None
    rule_id: str = ""
    when: ClockCondition = ClockCondition()
    special_limit: Limit | None = None
    pause_reasons: frozenset[str] = frozenset()
    on_rest_day: RestDayRule = RestDayRule.INTERNAL
    promise: PromiseMode = PromiseMode.NONE
    ladder: tuple[LadderLevel, ...] = ()
    # False for a clock that only drives alerts (a 0-minute major-complaint alert): no step anyone finishes late,
    # so no overdue inquiry (P1-ESC-02) and no place in the report's clock and timeliness figures
    audited: bool = True

    @property
    def dated_by_calendar(self) -> bool:
        """Does its deadline ask the working calendar (working days, or a last day moved off a rest day)? Only
        then can computing it meet a year the calendar does not cover; its ladder is the sweep's concern."""
        if self.on_rest_day is RestDayRule.STATUTORY:
            return True
        return any(
            limit is not None and limit.unit is TimeUnit.WORKING_DAYS for limit in (self.limit, self.special_limit)
        )


@attrs.frozen(kw_only=True)
class MilestoneRule:
    """A milestone that may only be reached after others (P5-ESC-02: head office only after the outlet
    head confirms), with its labels for the case history."""

    name: str
    label: Labels
    after: tuple[str, ...] = ()
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class Category:
    code: str
    label: Labels
    department: str | None = None


@attrs.frozen(kw_only=True)
class Severity:
    code: str
    label: Labels
    # A case of this severity is a major complaint (重大投诉, P3-ESC-01, E4: "repeat ⇒ major"): classifying it so
    # flags it major, with its alert clocks and its emergency meeting
    major: bool = False


@attrs.frozen(kw_only=True)
class NumberingRule:
    """Case-number format (DOMAIN §6.1): fields {yyyy} {yy} {mm} {dd} {seq:0N}."""

    template: str = "{yyyy}{mm}{seq:04}"
    reset: NumberReset = NumberReset.YEARLY
    assign_at: str = "registered"


@attrs.frozen(kw_only=True)
class ApprovalTier:
    """Amounts up to ``limit`` (yuan, inclusive) may be approved by ``role``; ``None`` is unlimited."""

    role: str
    limit: Decimal | None = None
    after: tuple[str, ...] = ()  # milestones the case must have reached before this role approves (P5-ESC-02)
    rule_id: str = ""  # the source rule of this authority (P5-APR-01), cited by refusals; else DOMAIN §6.2's P1-APR-02


@attrs.frozen(kw_only=True)
class CalendarSettings:
    """``hold_notifications``: escalation actions computed outside working hours are delivered at the next
    working-day start (``work_starts``..``work_ends`` local, on working days of the calendar)."""

    name: str = "cn"
    weekend_fallback: bool = False
    hold_notifications: bool = False
    work_starts: int = 9
    work_ends: int = 18


class ProofKind(StrEnum):
    """The accepted proofs of a return or allowance (P1-RET-08/09)."""

    ORIGINAL_INVOICE = "original_invoice"  # the returned original invoice (统一发票)
    STAMPED_COPY = "stamped_copy"  # a stamped copy stating quantity, price and amount
    SIGNED_CERTIFICATE = "signed_certificate"  # a signed return or allowance certificate


class Eligibility(StrEnum):
    UNCONDITIONAL_RETURN = "unconditional_return"
    NO_RETURN = "no_return"


@attrs.frozen(kw_only=True)
class EligibilityRule:
    """F2-CP-01/02: a cause that makes goods returnable without conditions, or not at all.

    ``within_days_of_shipment`` limits the rule to defects found that many calendar days after shipment.
    """

    cause: str
    outcome: Eligibility
    label: Labels
    within_days_of_shipment: int | None = None
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class ReturnRules:
    """Returns and allowances (DOMAIN §8): the default over-quantity tolerance (P1-RET-05), the accepted
    proofs (P1-RET-08/09) and eligibility rules (F2-CP-01/02)."""

    default_tolerance: Decimal = Decimal("0")
    accepted_proofs: frozenset[ProofKind] = frozenset(ProofKind)
    eligibility: tuple[EligibilityRule, ...] = ()
    # An approved allowance, compensation or goods remedy is executed through a return or allowance document,
    # which must exist and be booked before the case settles (P1); off where remedies are paid otherwise (P3-P5)
    book_before_settling: bool = False


class SupervisorMode(StrEnum):
    """P4-PEN-04: the supervisor bears 20% on top (additive, default) or out of the individual's amount (split)."""

    ADDITIVE = "additive"
    SPLIT = "split"


@attrs.frozen(kw_only=True)
class PenaltyTier:
    """One row of a tier schedule (P4-PEN-01/02, S1-PN-*): a severity's amount and performance points.

    ``minimum`` marks amounts given as "起": the decision may raise them, never lower them, up to
    ``maximum`` when the source gives a range (S1-PN-01: 30-100 per occurrence).
    ``heavy_points`` replaces ``points`` when the loss is heavy or the customer was lost (P4-PEN-03).
    """

    severity: str
    amount: Decimal
    points: int = 0
    minimum: bool = False
    maximum: Decimal | None = None
    heavy_points: int | None = None
    kinds: frozenset[CaseKind] = frozenset()
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class CountTier:
    """F4-PN-01..03: this many complaints against one person in a month cost this much (highest tier applies)."""

    at_least: int
    amount: Decimal
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class Fine:
    """A fine per occurrence, referred to by ``code``: fixed (P2-PEN-01..03), or with ``minimum`` the least the
    decision may set (P4-PEN-07: concealing the facts costs 200 起)."""

    code: str
    amount: Decimal
    label: Labels
    minimum: bool = False
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class SanctionCause:
    """A cause for which an administrative sanction may be given (P1-CLS-08: 票据/附样资料错误 … 其他)."""

    code: str
    label: Labels
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class SeverityRaise:
    """P4-CLS-04: the same issue complained about this often, or work delayed this many days, means at least ``to``."""

    to: str
    same_issue_count: int | None = None
    delay_days: int | None = None


@attrs.frozen(kw_only=True)
class PenaltyRules:
    """Penalty schedules as policy data (DOMAIN §7). Unset entries mean the policy has no such rule."""

    monthly_cap_ratio: Decimal | None = None
    second_complaint_factor: int = 1
    cap_major_demerit: bool = False
    warning_amount: Decimal | None = None
    minor_demerit_amount: Decimal | None = None
    tiers: tuple[PenaltyTier, ...] = ()
    heavy_loss_threshold: Decimal | None = None
    supervisor_share: Decimal | None = None
    supervisor_mode: SupervisorMode = SupervisorMode.ADDITIVE
    overdue_fine: Decimal | None = None
    overdue_fine_per_day: Decimal | None = None
    count_tiers: tuple[CountTier, ...] = ()
    fines: tuple[Fine, ...] = ()
    # P1-PEN-02: the causers bear the loss by fault share. False where the loss only weighs in a tier (P4-PEN-03)
    # or the policy charges no loss at all (P2: fixed fines; P5: no penalties)
    loss_share: bool = True
    # P1-CLS-08: when given, a warning or demerit needs the case's cause (``attribute --cause``) to be one of these
    sanction_causes: tuple[SanctionCause, ...] = ()
    severity_raise: SeverityRaise | None = None
    approver_roles: frozenset[str] = frozenset({"gm"})
    # P1-APR-04: the roles that endorse an individual punishment's type (a warning or demerit) before it is
    # approved; empty: approval alone
    endorser_roles: frozenset[str] = frozenset()

    def allows_sanction(self, cause_code: str | None) -> bool:
        """P1-CLS-08: may a case of this cause draw an administrative sanction? (Any, without a list.)"""
        return not self.sanction_causes or any(c.code == cause_code for c in self.sanction_causes)


@attrs.frozen(kw_only=True)
class SatisfactionLevel:
    code: str
    label: Labels
    dissatisfied: bool = False


DEFAULT_SATISFACTION = (
    SatisfactionLevel(code="satisfied", label=Labels("满意", "satisfied")),
    SatisfactionLevel(code="neutral", label=Labels("一般", "neutral")),
    SatisfactionLevel(code="dissatisfied", label=Labels("不满意", "dissatisfied"), dissatisfied=True),
)


@attrs.frozen(kw_only=True)
class IntakeField:
    """A piece of intake data the policy asks for beyond the standard ones (P3-LC-01: the licence plate)."""

    name: str
    label: Labels
    rule_id: str = ""


# standard intake data a policy may require (``intake.required``), besides its own fields
REQUIRABLE_INTAKE = frozenset({"description", "lines", "claimed_amount"})


@attrs.frozen(kw_only=True)
class IntakeRules:
    """What an intake must carry (P2-LC-03: time, place and content; P3-LC-01: content and the plate): the
    policy's own ``fields`` (``Intake.details``) and the names ``required``, standard (``REQUIRABLE_INTAKE``) or
    its own; ``rule_id`` names the rule a missing one breaks."""

    fields: tuple[IntakeField, ...] = ()
    required: frozenset[str] = frozenset()
    rule_id: str = ""


@attrs.frozen(kw_only=True)
class ImprovementRules:
    """Corrective actions (改善对策, DOMAIN §9's follow-through): ``required_for`` the case kinds that close only with
    one (P4-LC-03: an internal investigation ends with improvement measures); ``verify_within`` the default due of
    the effect check, from planning (P1-FU-01 效果确认)."""

    required_for: frozenset[CaseKind] = frozenset()
    verify_within: Limit | None = None


@attrs.frozen(kw_only=True)
class FollowUpRules:
    """Follow-up visits (DOMAIN §9). Unset entries mean the policy schedules no visit of that kind.

    ``after_rework_delivery`` (P2-DL-05), ``after_reply`` (P2-DL-06), ``monthly_visits`` after the solution
    (P4-FU-04/05), ``same_day_call`` on the day of completion (F12-FU-01) and ``secondary_check`` (P4-FU-03)
    schedule visits; an unreachable attempt is retried after ``retry_after``, at most ``max_attempts`` times.
    ``at_closure`` schedules them in the transaction that closes the case (P4-FU-04: solving an external ticket
    creates its revisit ticket), instead of by a separate command.
    """

    at_closure: bool = False
    after_reply: Limit | None = None
    # the milestone that records the reworked goods' delivery (P2-DL-08): its day is the rework visit's trigger
    # when ``followup schedule`` is given no date
    rework_delivery_milestone: str | None = None
    after_rework_delivery: Limit | None = None
    monthly_visits: int = 0
    same_day_call: bool = False
    secondary_check: Limit | None = None
    retry_after: Limit | None = None
    max_attempts: int = 3
    satisfaction: tuple[SatisfactionLevel, ...] = DEFAULT_SATISFACTION


@attrs.frozen(kw_only=True)
class Policy:
    policy_id: str
    version: int
    name: Labels
    source: str = ""
    zone: str = "Asia/Shanghai"
    language: Language = "zh"
    categories: tuple[Category, ...]
    severities: tuple[Severity, ...] = ()
    channels: tuple[Channel, ...] = tuple(Channel)
    clocks: tuple[ClockRule, ...] = ()
    numbering: NumberingRule = NumberingRule()
    approval: tuple[ApprovalTier, ...]
    skip_states: frozenset[str] = frozenset()
    roles: tuple[str, ...] = ()
    milestones: tuple[MilestoneRule, ...] = ()
    intake: IntakeRules = IntakeRules()
    calendar: CalendarSettings = CalendarSettings()
    # P4-CLS-04, E4-CL-01: an earlier complaint of the same customer on the same issue received within this long
    # before a new one makes the new one a repeat; None counts only chains of second complaints
    repeat_window: Limit | None = None
    # P3-CLS-03: attribution and not-established findings record whether the reason is sufficient and the request
    # reasonable
    validity_required: bool = False
    returns: ReturnRules = ReturnRules()
    penalties: PenaltyRules = PenaltyRules()
    followups: FollowUpRules = FollowUpRules()
    improvements: ImprovementRules = ImprovementRules()
    duties: tuple[DutyRule, ...] = ()
    _rules_by_name: dict[str, tuple[ClockRule, ...]] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _starting_at: dict[str, tuple[str, ...]] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _stopping_at: dict[str, frozenset[str]] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _waivers: frozenset[str] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _dated_by_calendar: bool = attrs.field(init=False, repr=False, eq=False, hash=False)
    _derived: dict[Hashable, Any] = attrs.field(init=False, factory=dict, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        _validate(self)
        # Indexes so a command finds the clocks a milestone may start or stop without scanning every rule.
        index: dict[str, tuple[ClockRule, ...]] = {}
        starting: dict[str, tuple[str, ...]] = {}
        stopping: dict[str, frozenset[str]] = {}
        for rule in self.clocks:
            index[rule.name] = (*index.get(rule.name, ()), rule)
            if rule.name not in starting.get(rule.start, ()):
                starting[rule.start] = (*starting.get(rule.start, ()), rule.name)
            stopping[rule.stop] = stopping.get(rule.stop, frozenset()) | {rule.name}
        object.__setattr__(self, "_rules_by_name", index)
        object.__setattr__(self, "_starting_at", starting)
        object.__setattr__(self, "_stopping_at", stopping)
        waivers = (r.name for r in self.clocks if any(rung.action is EscalationAction.WAIVE for rung in r.ladder))
        object.__setattr__(self, "_waivers", frozenset(waivers))
        object.__setattr__(self, "_dated_by_calendar", any(rule.dated_by_calendar for rule in self.clocks))

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value worked out from this policy alone, computed once: a policy never changes, so it never goes stale."""
        try:
            value: T = self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise PolicyInvalid("categories", f"no category {code!r} in policy {self.policy_id}")

    def clock_rules(self, name: str) -> tuple[ClockRule, ...]:
        return self._rules_by_name.get(name, ())

    def clock_names(self) -> tuple[str, ...]:
        return tuple(self._rules_by_name)

    @property
    def counts_working_days(self) -> bool:
        """Does a clock, an extended limit or an escalation ladder count working days? Then a case needs its dates
        inside the working calendar."""

        def compute() -> bool:
            return any(
                limit is not None and limit.unit is TimeUnit.WORKING_DAYS
                for rule in self.clocks
                for limit in (rule.limit, rule.special_limit, *(level.after for level in rule.ladder))
            )

        return self.derived("counts_working_days", compute)

    @property
    def deadlines_need_calendar(self) -> bool:
        """Does any clock's deadline ask the working calendar (``ClockRule.dated_by_calendar``)? Every command
        checks it."""
        return self._dated_by_calendar

    def clocks_starting_at(self, milestone: str) -> tuple[str, ...]:
        """Names of clocks with a rule that starts at ``milestone`` (whether it applies depends on the case)."""
        return self._starting_at.get(milestone, ())

    def clocks_stopping_at(self, milestone: str) -> frozenset[str]:
        return self._stopping_at.get(milestone, frozenset())

    @property
    def waiver_clocks(self) -> frozenset[str]:
        """The clocks with a deemed-waiver rung in any of their rules (P4-DL-03): every command checks it."""
        return self._waivers

    def approval_limit(self, role: str) -> Decimal | None:
        """The role's limit; raises when the role is not in the approval table."""
        return self.approval_tier(role).limit

    def approval_tier(self, role: str) -> ApprovalTier:
        """The role's tier; raises when the role is not in the approval table."""
        for tier in self.approval:
            if tier.role == role:
                return tier
        roles = ", ".join(t.role for t in self.approval)
        raise PolicyInvalid("approval", f"role {role!r} has no approval authority (roles: {roles})")

    def raised_severity(self, severity: str, *, same_issue_count: int = 1, delay_days: int = 0) -> str:
        """P4-CLS-04 / E4-CL-01: a repeat complaint on the same issue (the 3rd in P4, any repeat in E4) or a
        work delay of 3 days or more raises the severity to at least ``penalties.severity_raise.to``."""
        order = [s.code for s in self.severities]
        if severity not in order:
            raise PolicyInvalid("severities", f"unknown severity {severity!r}; the policy has {order}")
        rule = self.penalties.severity_raise
        if rule is None:
            return severity
        triggered = (rule.same_issue_count is not None and same_issue_count >= rule.same_issue_count) or (
            rule.delay_days is not None and delay_days >= rule.delay_days
        )
        return rule.to if triggered and order.index(severity) < order.index(rule.to) else severity

    def duty(self, name: str) -> DutyRule:
        for rule in self.duties:
            if rule.name == name:
                return rule
        known = ", ".join(d.name for d in self.duties) or "none"
        raise NotFound(f"policy {self.policy_id} has no duty {name!r} (duties: {known})")

    def milestone_rule(self, name: str) -> MilestoneRule | None:
        return next((m for m in self.milestones if m.name == name), None)

    def milestone_names(self) -> tuple[str, ...]:
        """The steps outside the lifecycle this policy names, sorted: its milestone rules (and the milestones
        they must follow), and where its clocks start and stop, but ``major_flagged`` (``Case.flag_major``).
        A name nothing refers to would change nothing."""

        def names() -> tuple[str, ...]:
            found = {m.name for m in self.milestones} | {b for m in self.milestones for b in m.after}
            found |= {r.start for r in self.clocks} | {r.stop for r in self.clocks}
            return tuple(sorted(found - LIFECYCLE_STATES - {MAJOR_FLAGGED}))

        return self.derived("milestone_names", names)

    def approver_for(self, amount: Decimal) -> str:
        """The lowest role whose limit covers ``amount`` (P1-APR-02)."""
        for tier in self.approval:
            if tier.limit is None or amount <= tier.limit:
                return tier.role
        raise PolicyInvalid("approval", f"no role may approve {amount}; the table has no unlimited tier")


_TEMPLATE_FIELDS = {"yyyy", "yy", "mm", "dd", "seq"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def validate_template(template: str, path: str) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise PolicyInvalid(path, f"malformed template {template!r}: {exc}") from None
    fields = [f for _, f, _, _ in parsed if f is not None]
    unknown = sorted({f for f in fields} - _TEMPLATE_FIELDS)
    if unknown:
        raise PolicyInvalid(path, f"unknown field(s) {unknown} in {template!r}; allowed: {sorted(_TEMPLATE_FIELDS)}")
    if fields.count("seq") != 1:
        raise PolicyInvalid(path, f"template {template!r} must contain {{seq}} exactly once")
    for _, f, spec, conv in parsed:
        if f == "seq" and (conv or (spec and not re.fullmatch(r"0\d+", spec))):
            raise PolicyInvalid(path, f"{{seq}} takes only a zero-padded width such as {{seq:03}}, got {spec!r}")
        if f not in (None, "seq") and (spec or conv):
            raise PolicyInvalid(path, f"field {{{f}}} takes no format spec")


def offsets_ascend(this: Limit, previous: Limit) -> bool:
    """Whether ``this`` offset may come after ``previous``: exact in one unit, by bounds across units."""
    if this.unit == previous.unit:
        return this.amount > previous.amount
    latest_this = this.amount * _MINUTES_AT_MOST[this.unit.value]
    earliest_previous = previous.amount * _MINUTES_AT_LEAST[previous.unit.value]
    return latest_this > earliest_previous


TOLERANCE_PLACES = 6  # a ratio such as 0.05 or 0.125; finer would only slow the exact arithmetic down


MAX_VERSION = 2**31 - 1  # stored as an integer column on every database
MAX_TOLERANCE = Decimal(100)  # 10,000% over the authorised quantity; beyond, exact arithmetic only gets slow


def tolerance_is_plain(value: Decimal) -> bool:
    """At most ``TOLERANCE_PLACES`` decimal places and at most ``MAX_TOLERANCE``."""
    return value.is_finite() and decimal_places(value) <= TOLERANCE_PLACES and value <= MAX_TOLERANCE


# Ten years in each unit: no complaint duty runs longer, and beyond it dates overflow (year 9999)
MAX_LIMIT: Mapping[TimeUnit, int] = MappingProxyType(
    {
        TimeUnit.MINUTES: 10 * 366 * 24 * 60,
        TimeUnit.HOURS: 10 * 366 * 24,
        TimeUnit.CALENDAR_DAYS: 10 * 366,
        TimeUnit.WORKING_DAYS: 10 * 366,
        TimeUnit.CALENDAR_MONTHS: 10 * 12,
    }
)


def _check_limit(limit: Limit | None, path: str) -> None:
    if limit is None:
        return
    if limit.amount < 0:
        raise PolicyInvalid(path + ".amount", f"a time limit cannot be negative ({limit.amount})")
    if limit.amount > MAX_LIMIT[limit.unit]:
        raise PolicyInvalid(
            path + ".amount", f"{limit} is longer than ten years (at most {MAX_LIMIT[limit.unit]} {limit.unit.value})"
        )


def _validate_intake(rules: IntakeRules) -> None:
    names = [f.name for f in rules.fields]
    _unique(names, "intake.fields", "field")
    for i, name in enumerate(names):
        if not MILESTONE_PATTERN.match(name) or name in REQUIRABLE_INTAKE:
            raise PolicyInvalid(
                f"intake.fields[{i}].name", f"{name!r} is not a field name of its own (lower_snake_case)"
            )
    for name in sorted(rules.required):
        if name not in REQUIRABLE_INTAKE and name not in names:
            allowed = sorted(REQUIRABLE_INTAKE | set(names))
            raise PolicyInvalid(
                "intake.required", f"{name!r} is neither a standard intake datum nor a field ({allowed})"
            )


def _unique(codes: list[str], path: str, what: str) -> None:
    """Codes, roles and names identify things: each must be given, and given once."""
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if not code.strip():
            raise PolicyInvalid(f"{path}[{i}]", f"a {what} needs a name; an empty one cannot be referred to")
        if code in seen:
            raise PolicyInvalid(f"{path}[{i}]", f"duplicate {what} {code!r}")
        seen.add(code)


def _validate(p: Policy) -> None:
    if not _SLUG.match(p.policy_id):
        raise PolicyInvalid("policy_id", f"{p.policy_id!r} must be a lower-case slug (a-z, 0-9, -, _)")
    if not 1 <= p.version <= MAX_VERSION:
        raise PolicyInvalid("version", f"version must be from 1 to {MAX_VERSION:,}, got {p.version}")
    try:
        ZoneInfo(p.zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyInvalid("zone", f"unknown time zone {p.zone!r} (an IANA name such as Asia/Shanghai)") from None
    if p.language not in ("zh", "en"):
        raise PolicyInvalid("language", f"language must be 'zh' or 'en', got {p.language!r}")
    if not p.categories:
        raise PolicyInvalid("categories", "a policy needs at least one category")
    _unique([c.code for c in p.categories], "categories", "category")
    _unique([s.code for s in p.severities], "severities", "severity")
    _unique([c.value for c in p.channels], "channels", "channel")
    if not p.channels:
        raise PolicyInvalid("channels", "a policy must accept at least one channel")
    categories = {c.code for c in p.categories}
    severities = {s.code for s in p.severities}
    channels = set(p.channels)
    unknown_skip = sorted(p.skip_states - OPTIONAL_STATES)
    if unknown_skip:
        raise PolicyInvalid("skip_states", f"only {sorted(OPTIONAL_STATES)} may be skipped, not {unknown_skip}")
    validate_template(p.numbering.template, "numbering.template")
    if not MILESTONE_PATTERN.match(p.numbering.assign_at) or p.numbering.assign_at not in ("received", "registered"):
        raise PolicyInvalid("numbering.assign_at", "a number is assigned at 'received' or 'registered'")
    _unique(list(p.roles), "roles", "role")
    _unique([m.name for m in p.milestones], "milestones", "milestone")
    for i, milestone in enumerate(p.milestones):
        if not MILESTONE_PATTERN.match(milestone.name) or milestone.name in LIFECYCLE_STATES:
            raise PolicyInvalid(
                f"milestones[{i}].name", f"{milestone.name!r} is not a milestone name outside the lifecycle"
            )
        for j, before in enumerate(milestone.after):
            if not MILESTONE_PATTERN.match(before) or before == milestone.name:
                raise PolicyInvalid(f"milestones[{i}].after[{j}]", f"{before!r} cannot come before {milestone.name!r}")
    known_roles = (
        CASE_TARGETS
        | set(p.roles)
        | {t.role for t in p.approval}
        | p.penalties.approver_roles
        | p.penalties.endorser_roles
    )
    for i, rule in enumerate(p.clocks):
        path = f"clocks[{i}]"
        if not MILESTONE_PATTERN.match(rule.name):
            raise PolicyInvalid(f"{path}.name", f"{rule.name!r} is not a clock name (lower_snake_case)")
        if rule.stop == "received":
            raise PolicyInvalid(f"{path}.stop", "a clock cannot stop at 'received', which starts every case")
        for key in ("start", "stop"):
            value = getattr(rule, key)
            if not MILESTONE_PATTERN.match(value):
                raise PolicyInvalid(f"{path}.{key}", f"{value!r} is not a milestone name (lower_snake_case)")
            if value in p.skip_states:
                raise PolicyInvalid(f"{path}.{key}", f"{value!r} is a skipped state, so the clock would never {key}")
        if rule.start == rule.stop:
            raise PolicyInvalid(f"{path}.stop", "a clock cannot stop at the milestone that starts it")
        _check_limit(rule.limit, f"{path}.limit")
        _check_limit(rule.special_limit, f"{path}.special_limit")
        if rule.limit is None and rule.promise is not PromiseMode.PROMISED:
            raise PolicyInvalid(f"{path}.limit", "only a 'promised' clock may have no limit")
        if rule.promise is PromiseMode.TWO_STAGE and (rule.limit is None or rule.limit.unit in DAY_UNITS):
            raise PolicyInvalid(f"{path}.limit", "a two-stage clock needs a limit in hours or minutes (F4-DL-03)")
        special, normal = rule.special_limit, rule.limit
        if (
            special is not None
            and normal is not None
            and (special.unit != normal.unit or special.amount < normal.amount)
        ):
            raise PolicyInvalid(
                f"{path}.special_limit", "the special-circumstance limit must be in the same unit and not shorter"
            )
        for key, used, known in (
            ("categories", rule.when.categories, categories),
            ("severities", rule.when.severities, severities),
        ):
            missing = sorted(used - known)
            if missing:
                raise PolicyInvalid(f"{path}.when.{key}", f"unknown {key} {missing}")
        missing_channels = sorted(c.value for c in rule.when.channels - channels)
        if missing_channels:
            raise PolicyInvalid(
                f"{path}.when.channels", f"channels {missing_channels} are not in the policy's channels"
            )
        previous: Limit | None = None
        for j, level in enumerate(rule.ladder):
            _check_limit(level.after, f"{path}.ladder[{j}].after")
            if level.target not in known_roles:
                raise PolicyInvalid(
                    f"{path}.ladder[{j}].target",
                    f"unknown role {level.target!r}; declare it in roles, or use one of {sorted(CASE_TARGETS)}",
                )
            if previous is not None and not offsets_ascend(level.after, previous):
                raise PolicyInvalid(f"{path}.ladder[{j}].after", "ladder levels must come at increasing offsets")
            previous = level.after
    for name in dict.fromkeys(rule.name for rule in p.clocks):
        labels = {r.label for r in p.clocks if r.name == name}
        if len(labels) > 1:
            raise PolicyInvalid("clocks", f"rules of clock {name!r} disagree on its label")
    _validate_duties(p, known_roles)
    if not p.approval:
        raise PolicyInvalid("approval", "the approval table needs at least one tier")
    _unique([t.role for t in p.approval], "approval", "role")
    last_limit: Decimal | None = None
    for i, tier in enumerate(p.approval):
        for j, before in enumerate(tier.after):
            if before not in p.milestone_names():
                raise PolicyInvalid(
                    f"approval[{i}].after[{j}]",
                    f"{before!r} is not a milestone of this policy ({', '.join(p.milestone_names()) or 'none'})",
                )
        if tier.limit is None:
            if i != len(p.approval) - 1:
                raise PolicyInvalid(f"approval[{i}].limit", "only the last tier may be unlimited")
            continue
        if not tier.limit.is_finite() or tier.limit < 0 or tier.limit != tier.limit.quantize(Decimal("0.01")):
            raise PolicyInvalid(f"approval[{i}].limit", f"limit {tier.limit} must be a non-negative amount in fen")
        if last_limit is not None and tier.limit <= last_limit:
            raise PolicyInvalid(
                f"approval[{i}].limit",
                f"limits must ascend strictly: {tier.limit} after {last_limit} overlaps or descends",
            )
        last_limit = tier.limit
    tolerance = p.returns.default_tolerance
    if not tolerance.is_finite() or tolerance < 0 or not tolerance_is_plain(tolerance):
        raise PolicyInvalid(
            "returns.default_tolerance",
            f"tolerance must be between 0 and {MAX_TOLERANCE} with at most {TOLERANCE_PLACES} decimal places, got {tolerance}",
        )
    ratio = p.penalties.monthly_cap_ratio
    if ratio is not None and (not ratio.is_finite() or not 0 < ratio <= 1 or not ratio_is_plain(ratio)):
        raise PolicyInvalid(
            "penalties.monthly_cap_ratio",
            f"cap ratio must be in (0, 1] with at most {MAX_RATIO_PLACES} decimal places, got {ratio}",
        )
    _validate_penalties(p.penalties, {s.code for s in p.severities})
    _check_limit(p.followups.after_reply, "followups.after_reply")
    _check_limit(p.followups.after_rework_delivery, "followups.after_rework_delivery")
    if p.followups.monthly_visits < 0:
        raise PolicyInvalid("followups.monthly_visits", "cannot be negative")
    _check_limit(p.followups.secondary_check, "followups.secondary_check")
    _check_limit(p.followups.retry_after, "followups.retry_after")
    if p.followups.max_attempts < 1:
        raise PolicyInvalid("followups.max_attempts", "at least one attempt")
    _check_limit(p.improvements.verify_within, "improvements.verify_within")
    _check_limit(p.repeat_window, "repeat_window")
    _validate_intake(p.intake)
    delivery = p.followups.rework_delivery_milestone
    if delivery is not None and delivery not in p.milestone_names():
        raise PolicyInvalid(
            "followups.rework_delivery_milestone",
            f"{delivery!r} is not a milestone of the policy ({', '.join(p.milestone_names()) or 'none'})",
        )
    if p.followups.at_closure and p.followups.after_rework_delivery is not None:
        raise PolicyInvalid(
            "followups.at_closure",
            "a visit after the reworked goods' delivery needs the delivery date, which closure does not know",
            rule="P4-FU-04",
        )
    levels = p.followups.satisfaction
    _unique([lv.code for lv in levels], "followups.satisfaction", "level")
    if not levels or not any(lv.dissatisfied for lv in levels) or all(lv.dissatisfied for lv in levels):
        raise PolicyInvalid("followups.satisfaction", "the scale needs satisfied and dissatisfied levels")
    if not p.returns.accepted_proofs:
        raise PolicyInvalid("returns.accepted_proofs", "at least one proof must be accepted (P1-RET-08)")
    _unique([r.cause for r in p.returns.eligibility], "returns.eligibility", "cause")
    for i, eligibility in enumerate(p.returns.eligibility):
        if eligibility.within_days_of_shipment is not None and eligibility.within_days_of_shipment < 0:
            raise PolicyInvalid(f"returns.eligibility[{i}].within_days_of_shipment", "cannot be negative")
    if not p.calendar.name:
        raise PolicyInvalid("calendar.name", "a calendar name is required")
    if not 0 <= p.calendar.work_starts < p.calendar.work_ends <= 23:
        raise PolicyInvalid("calendar.work_starts", "working hours need 0 <= work_starts < work_ends <= 23")


def _check_money(value: Decimal | None, path: str) -> None:
    if value is not None:
        try:
            amount_of(value, path)
        except MoneyError:
            raise PolicyInvalid(path, f"{value} must be a non-negative amount in fen") from None


def _validate_penalties(r: PenaltyRules, severities: set[str]) -> None:
    path = "penalties"
    if r.second_complaint_factor < 1:
        raise PolicyInvalid(f"{path}.second_complaint_factor", "the factor must be >= 1")
    for key in (
        "warning_amount",
        "minor_demerit_amount",
        "heavy_loss_threshold",
        "overdue_fine",
        "overdue_fine_per_day",
    ):
        _check_money(getattr(r, key), f"{path}.{key}")
    share = r.supervisor_share
    if share is not None and (not share.is_finite() or not 0 < share < 1 or not ratio_is_plain(share)):
        raise PolicyInvalid(
            f"{path}.supervisor_share",
            f"share must be in (0, 1) with at most {MAX_RATIO_PLACES} decimal places, got {share}",
        )
    seen: set[tuple[str, frozenset[CaseKind]]] = set()
    for i, tier in enumerate(r.tiers):
        if tier.severity not in severities:
            raise PolicyInvalid(f"{path}.tiers[{i}].severity", f"unknown severity {tier.severity!r}")
        _check_money(tier.amount, f"{path}.tiers[{i}].amount")
        _check_money(tier.maximum, f"{path}.tiers[{i}].maximum")
        if tier.maximum is not None and (not tier.minimum or tier.maximum < tier.amount):
            raise PolicyInvalid(
                f"{path}.tiers[{i}].maximum", "a maximum needs minimum = true and an amount not above it"
            )
        tier_key = (tier.severity, tier.kinds)
        if tier_key in seen:
            raise PolicyInvalid(f"{path}.tiers[{i}]", f"a second tier for severity {tier.severity!r}")
        seen.add(tier_key)
    last = 0
    for i, count in enumerate(r.count_tiers):
        _check_money(count.amount, f"{path}.count_tiers[{i}].amount")
        if count.at_least <= last:
            raise PolicyInvalid(f"{path}.count_tiers[{i}].at_least", "count tiers must ascend from 1")
        last = count.at_least
    _unique([f.code for f in r.fines], f"{path}.fines", "fine")
    _unique([c.code for c in r.sanction_causes], f"{path}.sanction_causes", "cause")
    for i, cause in enumerate(r.sanction_causes):
        if not MILESTONE_PATTERN.match(cause.code):
            raise PolicyInvalid(f"{path}.sanction_causes[{i}].code", f"{cause.code!r} is not a code (lower_snake_case)")
    for i, fine in enumerate(r.fines):
        _check_money(fine.amount, f"{path}.fines[{i}].amount")
    if r.severity_raise is not None:
        if r.severity_raise.to not in severities:
            raise PolicyInvalid(f"{path}.severity_raise.to", f"unknown severity {r.severity_raise.to!r}")
        for key in ("same_issue_count", "delay_days"):
            value = getattr(r.severity_raise, key)
            if value is not None and value < 1:  # 0 or less would raise the severity of every case
                raise PolicyInvalid(f"{path}.severity_raise.{key}", f"must be at least 1, got {value}")
    if not r.approver_roles:
        raise PolicyInvalid(f"{path}.approver_roles", "someone must be able to approve penalties")
    for key in ("approver_roles", "endorser_roles"):
        for role in sorted(getattr(r, key)):
            if not role.strip():
                raise PolicyInvalid(f"{path}.{key}", "a role cannot be blank")


def _validate_duties(p: Policy, known_roles: Collection[str]) -> None:
    _unique([d.name for d in p.duties], "duties", "duty")
    for i, duty in enumerate(p.duties):
        path = f"duties[{i}]"
        if not MILESTONE_PATTERN.match(duty.name):
            raise PolicyInvalid(f"{path}.name", f"{duty.name!r} is not a duty name (lower_snake_case)")
        span = {DutyPeriod.MONTH: (1, 28), DutyPeriod.WEEK: (1, 7), DutyPeriod.DAY: (0, 0)}[duty.every]
        if not span[0] <= duty.due <= span[1]:
            what = {
                DutyPeriod.MONTH: "a day of the next month, 1 to 28",
                DutyPeriod.WEEK: "an ISO weekday of the next week, 1 (Monday) to 7",
                DutyPeriod.DAY: "0: a daily duty is due on its day",
            }[duty.every]
            raise PolicyInvalid(f"{path}.due", f"due {duty.due} must be {what}")
        if duty.working_days and duty.every is not DutyPeriod.DAY:
            raise PolicyInvalid(f"{path}.working_days", "only a daily duty keeps to working days")
        if duty.target and duty.target not in known_roles:
            raise PolicyInvalid(f"{path}.target", f"unknown role {duty.target!r}")
