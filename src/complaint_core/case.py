"""The ``Case`` aggregate and its lifecycle (DOMAIN §3).

Every command checks the policy and the invariants, builds exactly one event
and applies it, returning ``(new_case, (event,))``; a refused command raises a
domain error naming the rule and leaves the case as it was. The allowed
transitions are data (``PATH`` minus the policy's skipped states, plus the
side routes below), checked by one guard.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID

import attrs

from . import events as ev
from .appliers import Appliers
from .calendar import WorkingCalendar
from .clocks import (
    ClockState,
    ClockSubject,
    Deadline,
    Pause,
    Promise,
    SpecialCircumstance,
    clock_plan,
    compute_deadline,
    select_rule,
    shift,
    stage_one_due,
)
from .errors import (
    AuthorityExceeded,
    DomainError,
    InvalidTransition,
    NotFound,
    PolicyInvalid,
    RuleViolation,
    enum_member,
)
from .improvement import RULE as IMPROVEMENT_RULE
from .improvement import Improvement
from .intake import Intake, missing_datum
from .money import amount as amount_of
from .policy import MAJOR_FLAGGED, ClockRule, Policy, PromiseMode
from .responsibility import Party, Responsibility
from .timeutil import require_aware
from .validity import Validity
from .working_hours import held_until


class CaseStatus(StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    INVESTIGATING = "investigating"
    ATTRIBUTED = "attributed"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REPLIED = "replied"
    CLOSED = "closed"
    SETTLED = "settled"
    NOT_ESTABLISHED = "not_established"


S = CaseStatus
PATH: tuple[CaseStatus, ...] = (
    S.RECEIVED,
    S.REGISTERED,
    S.INVESTIGATING,
    S.ATTRIBUTED,
    S.PROPOSED,
    S.APPROVED,
    S.REPLIED,
    S.CLOSED,
    S.SETTLED,
)
NOT_ESTABLISHED_FROM = frozenset({S.RECEIVED, S.REGISTERED, S.INVESTIGATING})
PETITION_FROM = frozenset({S.ATTRIBUTED, S.PROPOSED, S.APPROVED, S.REPLIED, S.NOT_ESTABLISHED})
TERMINAL = frozenset({S.SETTLED})
FINISHED = frozenset({S.CLOSED, S.SETTLED})
NEEDS_REPLY = frozenset({S.REPLIED, S.CLOSED, S.SETTLED})

STATUS_LABELS: dict[CaseStatus, tuple[str, str]] = {
    S.RECEIVED: ("已受理", "received"),
    S.REGISTERED: ("已立案", "registered"),
    S.INVESTIGATING: ("调查中", "investigating"),
    S.ATTRIBUTED: ("已认定责任", "attributed"),
    S.PROPOSED: ("已拟处理", "proposed"),
    S.APPROVED: ("已核决", "approved"),
    S.REPLIED: ("已答复", "replied"),
    S.CLOSED: ("已结案", "closed"),
    S.SETTLED: ("已结清", "settled"),
    S.NOT_ESTABLISHED: ("投诉不成立", "not established"),
}


class RemedyKind(StrEnum):
    EXPLANATION = "explanation"
    ALLOWANCE = "allowance"
    COMPENSATION = "compensation"
    RETURN = "return"
    REWORK = "rework"
    EXCHANGE = "exchange"


REMEDY_LABELS: dict[RemedyKind, tuple[str, str]] = {
    RemedyKind.EXPLANATION: ("解释说明", "explanation"),
    RemedyKind.ALLOWANCE: ("折让", "allowance"),
    RemedyKind.COMPENSATION: ("赔偿", "compensation"),
    RemedyKind.RETURN: ("退货", "return"),
    RemedyKind.REWORK: ("返工", "rework"),
    RemedyKind.EXCHANGE: ("换货", "exchange"),
}


@lru_cache(maxsize=64)
def transitions(skip_states: frozenset[str]) -> dict[CaseStatus, frozenset[CaseStatus]]:
    """The allowed transitions of a policy that skips ``skip_states``."""
    path = [s for s in PATH if s.value not in skip_states]
    table: dict[CaseStatus, set[CaseStatus]] = {s: set() for s in CaseStatus}
    for here, there in itertools.pairwise(path):
        table[here].add(there)
    for here in NOT_ESTABLISHED_FROM:
        table[here].add(S.NOT_ESTABLISHED)
    table[S.NOT_ESTABLISHED].add(S.REPLIED)
    return {k: frozenset(v) for k, v in table.items()}


def reopen_state(skip_states: frozenset[str], *, registered: bool = True) -> CaseStatus:
    """Where a petition (签呈) sends a case: back to before attribution (P1-LC-12).

    Only a petition takes this route back, and it never skips registration: a
    case found not established before it was registered goes back to received,
    so it still gets its number and its registration clocks (P1-NUM-03).
    """
    if not registered:
        return S.RECEIVED
    return S.REGISTERED if S.INVESTIGATING.value in skip_states else S.INVESTIGATING


@attrs.frozen
class Step:
    status: CaseStatus
    at: datetime
    actor: str
    reason: str = ""


@attrs.frozen
class Remedy:
    kind: RemedyKind
    amount: Decimal
    note: str = ""


@attrs.frozen
class Approval:
    role: str
    approver: str
    at: datetime


@attrs.frozen
class Reply:
    message: str
    reaction: str
    at: datetime


@attrs.frozen
class Petition:
    department: str
    reason: str
    at: datetime
    actor: str


@attrs.frozen
class Meeting:
    attendees: tuple[str, ...]
    minutes: str
    at: datetime


@attrs.frozen
class Milestone:
    name: str
    at: datetime


@attrs.frozen(kw_only=True, slots=False)
class Case:
    """The complaint case aggregate.

    Not slotted on purpose: applying an event copies the instance dictionary in
    one step and then re-checks the invariants (``__attrs_post_init__``), which
    is several times cheaper than a 26-argument ``__init__`` per event.
    """

    case_id: UUID
    policy_id: str
    policy_version: int
    version: int
    status: CaseStatus
    intake: Intake
    received_at: datetime
    number: str | None = None
    severity: str | None = None
    major: bool = False
    meeting: Meeting | None = None
    steps: tuple[Step, ...] = ()
    clocks: tuple[ClockState, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    handler: Party | None = None
    causer: Responsibility | None = None
    delay: Responsibility | None = None
    no_fault: bool = False
    remedy: Remedy | None = None
    approval: Approval | None = None
    reply: Reply | None = None
    not_established_reason: str | None = None
    validity: Validity | None = None  # P3-CLS-03: the reason sufficient? the request reasonable?
    petitions: tuple[Petition, ...] = ()
    improvements: tuple[Improvement, ...] = ()
    parent_case_id: UUID | None = None
    repeat_count: int = 0
    delay_days: int = 0  # P4-CLS-04: the work delay the last classification counted; a later one keeps it
    last_event_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if self.version < 1:
            raise RuleViolation(f"version must be >= 1, got {self.version}", rule="CASE-VERSION")
        if self.status == "not_established" and not self.not_established_reason:
            raise RuleViolation("a not-established case needs a reason", rule="P1-LC-14")
        if self.status in NEEDS_REPLY and self.reply is None:
            raise RuleViolation(f"a {self.status.value} case needs a recorded reply", rule="CASE-REPLY")

    # ----- views -------------------------------------------------------------------------
    @property
    def reference(self) -> str:
        return self.number or str(self.case_id)

    @property
    def subject(self) -> ClockSubject:
        return _subject(self.intake, self.severity)

    @property
    def closed_at(self) -> datetime | None:
        """When the case was (last) closed, or None while it is open: a remedy, a visit or a second complaint
        comes after it."""
        if self.status not in FINISHED:
            return None
        return next((step.at for step in reversed(self.steps) if step.status is S.CLOSED), None)

    @property
    def last_at(self) -> datetime:
        """When the last event happened: no command may be dated before it."""
        return self.last_event_at or self.received_at

    def agreed_remedy(self, policy: Policy) -> Remedy | None:
        """The remedy the customer was promised: approved, or told in the reply where ``policy`` skips approval.

        Not the one a petition left behind (it clears the approval and the reply, not the proposal), nor any on a
        case found not established: returns, allowances, their booking before settling (P1-RET-01), rework visits
        and the report's remedy total all read this one."""
        remedy = self.remedy
        if remedy is None or self.not_established_reason is not None:
            return None
        if self.approval is not None or (S.APPROVED.value in policy.skip_states and self.reply is not None):
            return remedy
        return None

    def clock(self, name: str) -> ClockState:
        for state in self.clocks:
            if state.name == name:
                return state
        raise NotFound(f"case {self.reference} has no clock {name!r} (running: {[c.name for c in self.clocks]})")

    def clock_rules(self, policy: Policy) -> list[tuple[ClockState, ClockRule | None]]:
        """Each clock this case has started, with the rule of ``policy`` it runs under (None where the policy has
        none for it, e.g. after a policy change): what every deadline of the case is computed from."""
        subject = self.subject
        return [(state, select_rule(policy, state.name, subject)) for state in self.clocks]

    def deadlines(
        self, policy: Policy, calendar: WorkingCalendar | None, *, as_of: datetime | None = None
    ) -> tuple[Deadline, ...]:
        """The deadline of every clock this case has started, under ``policy``."""
        tz = policy.tz
        return tuple(
            compute_deadline(rule, state, calendar=calendar, tz=tz, as_of=as_of)
            for state, rule in self.clock_rules(policy)
            if rule is not None
        )

    # ----- creation ----------------------------------------------------------------------
    @classmethod
    def receive(
        cls,
        policy: Policy,
        *,
        case_id: UUID,
        intake: Intake,
        at: datetime,
        actor: str,
        number: str | None = None,
        parent: Case | None = None,
        earlier_same_issue: int = 0,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Take in a complaint. Policies numbering at intake (P2-NUM-03) pass ``number`` here; a repeat counts its
        parent's chain, or the ``earlier_same_issue`` complaints found (``repeats``), whichever is more."""
        at = require_aware(at)
        _check_intake(policy, intake)
        _check_number(policy, "received", number)
        if parent is not None:
            if parent.status not in FINISHED:
                raise InvalidTransition(
                    f"a second complaint needs a closed parent; {parent.reference} is {parent.status.value}",
                    rule="P1-LC-10",
                )
            # its closure, not its last event: a later settlement or inquiry must not block a visit entered late
            closed_at = parent.closed_at
            if closed_at is not None and at < closed_at:
                raise RuleViolation("a second complaint cannot predate its parent's closure", rule="CASE-TIME-ORDER")
        if earlier_same_issue.__class__ is not int or earlier_same_issue < 0:
            raise RuleViolation(f"earlier_same_issue must be a count, got {earlier_same_issue!r}", rule="P4-CLS-04")
        started = clock_plan(policy, _subject(intake, None)).starting.get(S.RECEIVED.value, ())
        parent_id = parent.case_id if parent else None
        repeat_count = max(parent.repeat_count + 1 if parent else 0, earlier_same_issue)
        event = ev.CaseReceived(
            aggregate_id=case_id,
            version=1,
            occurred_at=at,
            actor=actor,
            to_status=S.RECEIVED.value,
            clocks_started=started,
            number=number,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            parent_case_id=parent_id,
            repeat_count=repeat_count,
        )
        case = cls(
            case_id=case_id,
            policy_id=policy.policy_id,
            policy_version=policy.version,
            version=1,
            status=S.RECEIVED,
            intake=intake,
            received_at=at,
            number=number,
            parent_case_id=parent_id,
            repeat_count=repeat_count,
            steps=(Step(S.RECEIVED, at, actor),),
            last_event_at=at,
            clocks=tuple(ClockState(name=n, started_at=at) for n in started),
        )
        return case, (event,)

    # ----- lifecycle ---------------------------------------------------------------------
    def register(
        self, policy: Policy, *, at: datetime, actor: str, number: str | None = None
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """立案/登记. Policies numbering at registration (P1-NUM-03) pass ``number`` here."""
        self._check_policy(policy)
        if S.REGISTERED in transitions(policy.skip_states)[self.status]:  # else the transition error says why
            if self.number is None:
                _check_number(policy, "registered", number)
            elif number:  # numbered at intake under the version it adopted: a number is assigned once
                raise RuleViolation(f"case {self.reference} has its number already", rule="P1-NUM-03")
        return self._transition(policy, S.REGISTERED, at, actor, ev.CaseRegistered, number=number)

    def start_investigation(
        self, policy: Policy, *, at: datetime, actor: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        return self._transition(policy, S.INVESTIGATING, at, actor, ev.InvestigationStarted)

    def attribute(
        self,
        policy: Policy,
        *,
        at: datetime,
        actor: str,
        handler: Party | None = None,
        causer: Responsibility | None = None,
        delay: Responsibility | None = None,
        no_fault: bool = False,
        cause_code: str | None = None,
        validity: Validity | None = None,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """The three findings (P1-LC-08): handler, causer with fault shares, and delay; the root cause found; and
        where the policy asks, the validity of the complaint (P3-CLS-03)."""
        if cause_code is not None and not cause_code.strip():
            raise RuleViolation("a cause code cannot be blank", rule="P1-LC-08")
        if causer is None and not no_fault:
            raise RuleViolation("attribution needs a causer unless the finding is 'no fault of ours'", rule="P1-LC-08")
        if causer is not None and no_fault:
            raise RuleViolation("a 'no fault of ours' finding cannot name a causer", rule="P1-LC-08")
        for what, finding in (("causer", causer), ("delay", delay)):
            if finding is not None:
                finding.check_places(what)
        _check_validity(policy, validity)
        if handler is None:
            handler = self.handler  # the one assigned earlier, if any
        _check_not_accused(handler, causer)
        return self._transition(
            policy,
            S.ATTRIBUTED,
            at,
            actor,
            ev.ResponsibilityAttributed,
            handler=handler,
            causer=causer,
            delay=delay,
            no_fault=no_fault,
            cause_code=cause_code,
            validity=validity,
        )

    def propose(
        self, policy: Policy, *, at: datetime, actor: str, kind: RemedyKind, amount: Decimal, note: str = ""
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        amount_of(amount)
        remedy = enum_member(RemedyKind, kind, "the remedy kind", "REMEDY")
        return self._transition(
            policy,
            S.PROPOSED,
            at,
            actor,
            ev.RemedyProposed,
            remedy_kind=remedy.value,
            amount=amount,
            note=note,
        )

    def approve(
        self, policy: Policy, *, at: datetime, actor: str, role: str, remedy: Remedy | None = None
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """核决: the role's limit must cover the amount (DOMAIN §6.2, P1-APR-02, P1-LC-11). A refusal cites the
        policy's own approval rule (a tier's ``rule_id``: the one needed for an amount over the limit), P1-APR-02
        without one."""
        self._check_policy(policy)
        chosen = remedy or self.remedy
        if chosen is None:
            raise RuleViolation("nothing to approve: no remedy was proposed", rule=_approval_rule(policy, role))
        amount_of(chosen.amount, "remedy amount")
        try:
            tier = policy.approval_tier(role)
        except PolicyInvalid as error:  # a role outside the table: an approval refused, not a broken policy
            raise AuthorityExceeded(error.message, rule=_approval_rule(policy, role)) from None
        limit = tier.limit
        if limit is not None and chosen.amount > limit:
            needed = policy.approver_for(chosen.amount)
            raise AuthorityExceeded(  # the rule of the authority it needs: beyond an outlet's, P5-ESC-02
                f"{role} may approve up to {limit}; {chosen.amount} needs {needed}", rule=_approval_rule(policy, needed)
            )
        if tier.after:
            reached = {m.name for m in self.milestones}
            missing = [m for m in tier.after if m not in reached]
            if missing:
                found = policy.milestone_rule(missing[0])
                raise RuleViolation(
                    f"{role} approves only after {', '.join(missing)}",
                    rule=(found and found.rule_id) or _approval_rule(policy, role),
                )
        return self._transition(
            policy,
            S.APPROVED,
            at,
            actor,
            ev.RemedyApproved,
            role=role,
            remedy_kind=chosen.kind.value,
            amount=chosen.amount,
        )

    def reply_to_customer(
        self, policy: Policy, *, at: datetime, actor: str, message: str, reaction: str = ""
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """What the customer was told and how they took it (never the internal form, P1-LC-11)."""
        if not message.strip():
            raise RuleViolation("a reply needs the message the customer was given", rule="CASE-REPLY")
        return self._transition(policy, S.REPLIED, at, actor, ev.CustomerReplied, message=message, reaction=reaction)

    def record_reaction(
        self, policy: Policy, *, at: datetime, actor: str, reaction: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """The customer's reaction to a reply already given (before closure); a second reaction replaces the first."""
        self._check_open(policy)
        if self.status is not S.REPLIED or self.reply is None:
            raise InvalidTransition(
                f"case {self.reference} is {self.status.value}: a reaction follows a recorded reply", rule="CASE-REPLY"
            )
        if not reaction.strip():
            raise RuleViolation("a reaction cannot be blank", rule="CASE-REPLY")
        return self._emit(ev.ReactionRecorded, self._check_time(at), actor, reaction=reaction)

    def close(self, policy: Policy, *, at: datetime, actor: str) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        if self.major and self.meeting is None:
            raise RuleViolation("a major complaint needs its emergency-meeting record before closure", rule="P3-ESC-01")
        if (
            not self.improvements
            and self.intake.kind in policy.improvements.required_for
            and self.not_established_reason is None
        ):
            raise RuleViolation(
                f"{self.intake.kind.value} cases close only with improvement measures (改进措施) recorded",
                rule="P4-LC-03",
            )
        return self._transition(policy, S.CLOSED, at, actor, ev.CaseClosed)

    def settle(
        self, policy: Policy, *, at: datetime, actor: str, open_items: tuple[str, ...] = ()
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Settled needs every return/allowance booked and every penalty posted or waived."""
        if open_items:
            raise RuleViolation(f"cannot settle with open items: {', '.join(open_items)}", rule="CASE-SETTLE")
        return self._transition(policy, S.SETTLED, at, actor, ev.CaseSettled)

    def find_not_established(
        self, policy: Policy, *, at: datetime, actor: str, reason: str, validity: Validity | None = None
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """投诉不成立, with the reason (P1-LC-14, F11-CL-06) and, where the policy asks, the validity (P3-CLS-03)."""
        if not reason.strip():
            raise RuleViolation("a not-established finding needs a reason", rule="P1-LC-14")
        _check_validity(policy, validity)
        if validity is not None and validity.reason_sufficient:
            raise RuleViolation(
                "a complaint whose reason is sufficient is established: it cannot be found not established",
                rule="P3-CLS-03",
            )
        return self._transition(
            policy, S.NOT_ESTABLISHED, at, actor, ev.FoundNotEstablished, reason=reason, validity=validity
        )

    def petition(
        self, policy: Policy, *, at: datetime, actor: str, department: str, reason: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """签呈: a department objects to the decision; attribution re-opens (P1-LC-12, P1-ESC-04)."""
        if not department.strip() or not reason.strip():
            raise RuleViolation("a petition names the department and its reason", rule="P1-LC-12")
        self._check_policy(policy)
        if self.status not in PETITION_FROM:
            raise InvalidTransition(
                f"a petition is possible only before closure, after a decision; the case is {self.status.value}",
                rule="P1-LC-12",
            )
        registered = any(step.status is S.REGISTERED for step in self.steps)
        target = reopen_state(policy.skip_states, registered=registered)
        return self._transition(
            policy, target, at, actor, ev.PetitionFiled, petition=True, department=department, reason=reason
        )

    # ----- non-lifecycle commands --------------------------------------------------------
    def reach_milestone(
        self, policy: Policy, *, at: datetime, actor: str, milestone: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """A step outside the lifecycle (e.g. ``forwarded_to_head``) that starts or stops clocks."""
        self._check_open(policy)
        if milestone in {s.value for s in CaseStatus}:
            raise RuleViolation(
                f"{milestone!r} is a lifecycle state, reached by its own command", rule="CASE-MILESTONE"
            )
        if milestone == MAJOR_FLAGGED:
            raise RuleViolation(f"{milestone!r} is reached by flagging the case major", rule="CASE-MILESTONE")
        known = policy.milestone_names()
        if milestone not in known:  # a misspelt step would be recorded and stop nothing
            raise RuleViolation(
                f"policy {policy.policy_id} has no milestone {milestone!r}; it has {', '.join(known) or 'none'}",
                rule="CASE-MILESTONE",
            )
        rule = policy.milestone_rule(milestone)
        if rule is not None:
            reached = {m.name for m in self.milestones}
            missing = [before for before in rule.after if before not in reached]
            if missing:
                named = [f"{m} ({found.label.en})" if (found := policy.milestone_rule(m)) else m for m in missing]
                raise RuleViolation(
                    f"{rule.label.en} needs {', '.join(named)} first", rule=rule.rule_id or "CASE-MILESTONE"
                )
        at = self._check_time(at)
        started = self._starts(policy, milestone)
        stopped = self._stops(policy, milestone)
        return self._emit(
            ev.MilestoneReached,
            at,
            actor,
            milestone=milestone,
            clocks_started=started,
            clocks_stopped=stopped,
        )

    def classify(
        self,
        policy: Policy,
        *,
        at: datetime,
        actor: str,
        severity: str,
        reason: str = "",
        delay_days: int | None = None,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Set the severity; a repeat complaint or a long delay raises it per policy (P4-CLS-04, E4-CL-01).

        The case's place in its chain of second complaints (``repeat_count + 1``) is the number of
        complaints about the same issue. The delay is a fact of the case: without ``delay_days`` the delay
        counted before still raises, so reclassifying cannot drop under its floor by omission.
        """
        self._check_open(policy)
        known = [s.code for s in policy.severities]
        if severity not in known:
            raise RuleViolation(f"unknown severity {severity!r}; the policy has {known}", rule="CASE-SEVERITY")
        if delay_days is None:
            delay_days = self.delay_days
        elif isinstance(delay_days, bool) or not isinstance(delay_days, int) or delay_days < 0:
            raise RuleViolation(f"delay_days must be a count of days, got {delay_days!r}", rule="P4-CLS-04")
        raised = policy.raised_severity(severity, same_issue_count=self.repeat_count + 1, delay_days=delay_days)
        if raised != severity:
            note = (
                f"raised from {severity}: complaint {self.repeat_count + 1} on the same issue, {delay_days} days delay"
            )
            reason = f"{reason}; {note}" if reason else note
        at = self._check_time(at)
        if not self.major and any(s.major for s in policy.severities if s.code == raised):
            # a major severity is a major complaint (E4-CL-01: a repeat is major): flagged, its alert clocks start,
            # chosen by the new severity (a clock may apply to major cases only)
            started = self._starts(policy, MAJOR_FLAGGED, _subject(self.intake, raised))
            return self._emit(
                ev.SeverityClassified,
                at,
                actor,
                severity=raised,
                reason=reason,
                delay_days=delay_days,
                major=True,
                clocks_started=started,
            )
        return self._emit(ev.SeverityClassified, at, actor, severity=raised, reason=reason, delay_days=delay_days)

    def assign(
        self, policy: Policy, *, at: datetime, actor: str, handler: Party
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Name the handler of an open case; the person complained about may not handle it (F8-RO-01)."""
        self._check_open(policy)
        _check_not_accused(handler, self.causer)
        if handler == self.handler:
            raise RuleViolation(f"{handler.id} handles the case already", rule="CASE-ASSIGN")
        return self._emit(ev.HandlerAssigned, self._check_time(at), actor, handler=handler)

    def flag_major(
        self, policy: Policy, *, at: datetime, actor: str, reason: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """重大投诉: escalation at once and an emergency meeting (P3-ESC-01, E4-CL-01).

        Flagging reaches the milestone ``major_flagged``, so the policy's alert clocks start here: their
        ladders carry the immediate escalation, the 24-hour alert (E4-ES-02) and the further escalation
        when the alert is not acknowledged (a clock stopping at ``alert_acknowledged``).
        """
        self._check_open(policy)
        if self.major:
            raise RuleViolation("the case is already flagged major", rule="P3-ESC-01")
        started = self._starts(policy, MAJOR_FLAGGED)
        return self._emit(ev.MajorComplaintFlagged, self._check_time(at), actor, reason=reason, clocks_started=started)

    def record_emergency_meeting(
        self, policy: Policy, *, at: datetime, actor: str, attendees: tuple[str, ...], minutes: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        self._check_open(policy)
        if not self.major:
            raise RuleViolation("an emergency meeting is recorded for major complaints only", rule="P3-ESC-01")
        if not attendees or not minutes.strip():
            raise RuleViolation("the meeting record needs attendees and minutes", rule="P3-ESC-01")
        return self._emit(
            ev.EmergencyMeetingRecorded, self._check_time(at), actor, attendees=tuple(attendees), minutes=minutes
        )

    def pause_clock(
        self, policy: Policy, *, at: datetime, actor: str, clock: str, reason: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Stop a clock while waiting (e.g. on the customer); paused time never counts."""
        state, rule = self._running_clock(policy, clock)
        if reason not in rule.pause_reasons:
            allowed = sorted(rule.pause_reasons) or "none"
            raise RuleViolation(f"clock {clock!r} cannot pause for {reason!r} (allowed: {allowed})", rule="CLOCK-PAUSE")
        if state.paused:
            raise RuleViolation(f"clock {clock!r} is already paused", rule="CLOCK-PAUSE")
        return self._emit(ev.ClockPaused, self._check_time(at), actor, clock=clock, reason=reason)

    def resume_clock(
        self, policy: Policy, *, at: datetime, actor: str, clock: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        state, _ = self._running_clock(policy, clock)
        if not state.paused:
            raise RuleViolation(f"clock {clock!r} is not paused", rule="CLOCK-PAUSE")
        return self._emit(ev.ClockResumed, self._check_time(at), actor, clock=clock)

    def declare_special_circumstance(
        self, policy: Policy, *, at: datetime, actor: str, clock: str, reason: str, approver: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """特殊状况: switch to the extended limit, with reason and approver (F2-DL-06)."""
        state, rule = self._running_clock(policy, clock)
        if rule.special_limit is None:
            raise RuleViolation(f"clock {clock!r} has no extended limit for special circumstances", rule="F2-DL-06")
        if state.special is not None:
            raise RuleViolation(f"clock {clock!r} already runs on its extended limit", rule="F2-DL-06")
        if not reason.strip() or not approver.strip():
            raise RuleViolation("a special circumstance needs a reason and an approver", rule="F2-DL-06")
        return self._emit(
            ev.SpecialCircumstanceDeclared, self._check_time(at), actor, clock=clock, reason=reason, approver=approver
        )

    def record_promise(
        self, policy: Policy, *, at: datetime, actor: str, clock: str, due: datetime, calendar: WorkingCalendar | None
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """A date promised to the customer becomes the clock's deadline (P4-DL-06, P5-DL-02, F4-DL-03)."""
        state, rule = self._running_clock(policy, clock)
        at = self._check_time(at)
        due = require_aware(due, "due")
        if rule.promise is PromiseMode.NONE:
            raise RuleViolation(f"clock {clock!r} does not take promised dates", rule="P4-DL-06")
        if due <= at:
            raise RuleViolation("a promised date must lie after the moment it is made", rule="P4-DL-06")
        if state.promise is not None and at > state.promise.due:
            raise RuleViolation(
                f"the promise of {state.promise.due.isoformat()} was missed, and a missed promise counts as overdue: "
                "it cannot be replaced by a later one",
                rule="P4-DL-06",
            )
        if rule.limit is not None:
            first_due = stage_one_due(rule, state, calendar=calendar, tz=policy.tz, as_of=at)
            if rule.promise is PromiseMode.TWO_STAGE and state.promise is None and at > first_due:  # the first one
                raise RuleViolation(
                    f"the promise had to be made by {first_due.isoformat()} (two-stage 24-hour rule)", rule="F4-DL-03"
                )
            if rule.promise is PromiseMode.PROMISED and due > first_due:
                raise RuleViolation(
                    f"the agreed reply date may not pass the policy limit {first_due.isoformat()}", rule="P5-DL-02"
                )
        return self._emit(ev.PromiseRecorded, at, actor, clock=clock, due=due)

    def record_escalation(
        self,
        policy: Policy,
        *,
        at: datetime,
        actor: str,
        clock: str,
        level: int,
        calendar: WorkingCalendar | None,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """A ladder level fired (DOMAIN §5, P1-ESC-01, P4-DL-03): levels fire once each, in order.

        Closed cases still record the audit's inquiries (P1-ESC-02), so this is allowed after closure;
        the level must be the next one and its time must have come at ``at``.
        """
        self._check_policy(policy)
        if self.status is S.SETTLED:
            raise InvalidTransition("a settled case is never edited", rule="P1-LC-10")
        state = self.clock(clock)
        rule = select_rule(policy, clock, self.subject)
        if rule is None:
            raise NotFound(f"policy {policy.policy_id} has no rule for clock {clock!r} on this case")
        if level != state.level + 1 or level > len(rule.ladder):
            raise RuleViolation(
                f"clock {clock!r} is at level {state.level} of {len(rule.ladder)}; level {level} cannot fire next",
                rule="ESC-ORDER",
            )
        at = self._check_time(at)
        deadline = compute_deadline(rule, state, calendar=calendar, tz=policy.tz, as_of=at)
        if deadline.due is None:
            raise RuleViolation(f"clock {clock!r} has no deadline now (paused or awaiting a promise)", rule="ESC-DUE")
        rung = rule.ladder[level - 1]
        fires_at = shift(deadline.due, rung.after, calendar=calendar, tz=policy.tz)
        if at <= fires_at:  # at the due instant itself the step is still in time
            raise RuleViolation(f"level {level} of {clock!r} fires after {fires_at.isoformat()}", rule="ESC-DUE")
        if state.stopped_at is not None and state.stopped_at <= deadline.due:
            raise RuleViolation(f"clock {clock!r} stopped in time; nothing escalates", rule="ESC-DUE")
        return self._emit(
            ev.ClockEscalated,
            at,
            actor,
            clock=clock,
            level=level,
            action=rung.action.value,
            target=rung.target,
            due=deadline.due,
            deliver_at=held_until(policy, calendar, max(fires_at, at)),
        )

    def record_inquiry(
        self, policy: Policy, *, at: datetime, actor: str, clock: str, target: str, calendar: WorkingCalendar | None
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """洽办单: once per late step of a closed case, to the department that was late (P1-ESC-02)."""
        self._check_policy(policy)
        if self.status not in FINISHED:
            raise InvalidTransition("the timeliness audit looks at closed cases only", rule="P1-ESC-02")
        state = self.clock(clock)
        if state.inquired:
            raise RuleViolation(f"an inquiry for {clock!r} was issued already", rule="P1-ESC-02")
        rule = select_rule(policy, clock, self.subject)
        if rule is None:
            raise NotFound(f"policy {policy.policy_id} has no rule for clock {clock!r} on this case")
        deadline = compute_deadline(rule, state, calendar=calendar, tz=policy.tz)
        if state.stopped_at is None or deadline.due is None or state.stopped_at <= deadline.due:
            raise RuleViolation(f"step {clock!r} was on time; there is nothing to inquire", rule="P1-ESC-02")
        return self._emit(
            ev.InquiryIssued,
            self._check_time(at),
            actor,
            clock=clock,
            target=target,
            due=deadline.due,
            stopped_at=state.stopped_at,
        )

    def record_cause(
        self, policy: Policy, *, at: datetime, actor: str, cause_code: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """The root cause found (P1-ROLE-09), recorded or corrected apart from the findings: also after closure,
        since penalties that depend on it (P1-CLS-08) are assessed then. A settled case is never edited."""
        self._check_policy(policy)
        if self.status is S.SETTLED:
            raise InvalidTransition("a settled case is never edited", rule="P1-LC-10")
        if not cause_code.strip():
            raise RuleViolation("a cause code cannot be blank", rule="P1-ROLE-09")
        if cause_code == self.intake.cause_code:
            raise RuleViolation(f"the case's cause is {cause_code} already", rule="P1-ROLE-09")
        return self._emit(ev.CauseRecorded, self._check_time(at), actor, cause_code=cause_code)

    def plan_improvement(
        self,
        policy: Policy,
        *,
        at: datetime,
        actor: str,
        measures: str,
        owner: str,
        supervisor: str = "",
        due: datetime | None = None,
        tracked: bool = True,
        calendar: WorkingCalendar | None = None,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """改善对策: what changes, who carries it out and who checks it (P4-LC-03, P3-FU-03). Also after closure,
        since the effect shows later; a tracked one without ``due`` is checked ``improvements.verify_within``
        after ``at`` when the policy says so. ``tracked=False`` exempts it (human negligence, P1-CLS-05)."""
        self._check_policy(policy)
        if self.status is S.SETTLED:
            raise InvalidTransition("a settled case is never edited", rule="P1-LC-10")
        if not measures.strip() or not owner.strip():
            raise RuleViolation("an improvement needs its measures and an owner", rule="P4-LC-03")
        at = self._check_time(at)
        if due is not None:
            due = require_aware(due, "due")
            if not tracked:
                raise RuleViolation("an untracked improvement has no check to be due", rule="P1-CLS-05")
            if due <= at:
                raise RuleViolation(f"the check is due after the plan, not {due.isoformat()}", rule=IMPROVEMENT_RULE)
        elif tracked and policy.improvements.verify_within is not None:
            due = shift(at, policy.improvements.verify_within, calendar=calendar, tz=policy.tz)
        return self._emit(
            ev.ImprovementPlanned,
            at,
            actor,
            number=len(self.improvements) + 1,
            measures=measures,
            owner=owner,
            supervisor=supervisor,
            due=due,
            tracked=tracked,
        )

    def verify_improvement(
        self, policy: Policy, *, at: datetime, actor: str, number: int, effective: bool, note: str = ""
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """效果确认: once per tracked improvement, by its supervisor when it has one (P1-FU-01, P3-FU-03)."""
        self._check_policy(policy)
        if self.status is S.SETTLED:
            raise InvalidTransition("a settled case is never edited", rule="P1-LC-10")
        found = next((i for i in self.improvements if i.number == number), None)
        if found is None:
            raise NotFound(f"case {self.reference} has no improvement {number} ({len(self.improvements)} planned)")
        if not found.tracked:
            raise RuleViolation(f"improvement {number} is not tracked (P1-CLS-05)", rule=IMPROVEMENT_RULE)
        if found.verified_at is not None:
            raise RuleViolation(f"improvement {number} was verified already", rule=IMPROVEMENT_RULE)
        if found.supervisor and actor != found.supervisor:
            raise RuleViolation(
                f"improvement {number} is checked by its supervisor {found.supervisor}, not {actor}", rule="P3-FU-03"
            )
        return self._emit(
            ev.ImprovementVerified, self._check_time(at), actor, number=number, effective=effective, note=note
        )

    def adopt_policy(
        self, policy: Policy, *, current: Policy, at: datetime, actor: str
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Move an open case to a newer version of its policy; clocks and pauses are kept. ``current`` is the
        version the case runs: the ladder levels a clock has fired are rungs of its ladders."""
        self._check_policy(current)
        if policy.policy_id != self.policy_id:
            raise RuleViolation(f"case runs policy {self.policy_id!r}, not {policy.policy_id!r}", rule="CASE-POLICY")
        if policy.version <= self.policy_version:
            raise RuleViolation(
                f"policy version {policy.version} is not newer than {self.policy_version}", rule="CASE-POLICY"
            )
        if self.status in FINISHED:
            raise InvalidTransition("a closed case is never edited", rule="P1-LC-10")
        problems = self._cannot_run_under(policy, current)
        if problems:
            raise RuleViolation(
                f"case {self.reference} cannot run policy {policy.policy_id} v{policy.version}: {'; '.join(problems)}",
                rule="CASE-POLICY",
            )
        return self._emit(ev.PolicyAdopted, self._check_time(at), actor, policy_version=policy.version)

    def _cannot_run_under(self, policy: Policy, current: Policy) -> list[str]:
        """What a newer version lacks that this case uses: adopting it would strand the case in a state the
        version skips or without the number it assigns at a step the case has passed, silently drop its category,
        severity, a running clock, an approved extension or a promised date, or read the levels a clock has fired
        as rungs of another ladder (the next would repeat or skip one)."""
        problems = []
        if self.status.value in policy.skip_states:
            problems.append(f"it skips the state {self.status.value!r} the case is in")
        assign_at = policy.numbering.assign_at
        if self.number is None and assign_at == "received":  # a version numbering at registration numbers it then
            problems.append(f"it assigns the case number at {assign_at}, which the case has passed without one")
        intake = self.intake
        if intake.category not in {c.code for c in policy.categories}:
            problems.append(f"it has no category {intake.category!r}")
        if intake.channel not in policy.channels:
            problems.append(f"it does not accept the channel {intake.channel.value!r}")
        if self.severity is not None and self.severity not in {s.code for s in policy.severities}:
            problems.append(f"it has no severity {self.severity!r}")
        subject = self.subject
        for state in self.clocks:
            if state.stopped_at is not None:
                continue
            rule = select_rule(policy, state.name, subject)
            if rule is None:
                problems.append(f"it has no rule for the running clock {state.name!r}")
                continue
            if state.special is not None and rule.special_limit is None:
                problems.append(f"clock {state.name!r} has no extended limit for the declared special circumstance")
            if state.promise is not None and rule.promise is PromiseMode.NONE:
                problems.append(f"clock {state.name!r} does not take the date promised to the customer")
            before = select_rule(current, state.name, subject)
            moved = before is None or before.stop != rule.stop  # a stop the running clock has not waited for yet
            if moved and self._reached_since(rule.stop, state.started_at):
                problems.append(
                    f"clock {state.name!r} stops at {rule.stop}, which the case has passed: it would run until closure"
                )
            if state.level:
                fired = [] if before is None else [(r.action, r.target) for r in before.ladder[: state.level]]
                if fired != [(r.action, r.target) for r in rule.ladder[: state.level]]:
                    problems.append(
                        f"clock {state.name!r} has fired {state.level} level(s) of a ladder this version changes"
                    )
        return problems

    def _reached_since(self, milestone: str, since: datetime) -> bool:
        """Whether the case reached ``milestone`` (a lifecycle state or a custom milestone) at or after ``since``."""
        return any(m.name == milestone and m.at >= since for m in self.milestones) or any(
            s.status.value == milestone and s.at >= since for s in self.steps
        )

    # ----- machinery ---------------------------------------------------------------------
    def _check_policy(self, policy: Policy) -> None:
        if policy.policy_id != self.policy_id or policy.version != self.policy_version:
            raise RuleViolation(
                f"case {self.reference} runs policy {self.policy_id} v{self.policy_version}, "
                f"not {policy.policy_id} v{policy.version}",
                rule="CASE-POLICY",
            )

    def _check_open(self, policy: Policy) -> None:
        self._check_policy(policy)
        if self.status in FINISHED:
            raise InvalidTransition(f"a {self.status.value} case is never edited", rule="P1-LC-10")

    def _check_time(self, at: datetime) -> datetime:
        at = require_aware(at)
        if at < (self.last_event_at or self.received_at):
            raise RuleViolation(
                f"{at.isoformat()} is before the case's last step at {self.last_at.isoformat()}", rule="CASE-TIME-ORDER"
            )
        return at

    def _running_clock(self, policy: Policy, name: str) -> tuple[ClockState, Any]:
        self._check_open(policy)
        state = self.clock(name)
        if not state.running:
            raise RuleViolation(f"clock {name!r} has stopped", rule="CLOCK-STOPPED")
        rule = select_rule(policy, name, self.subject)
        if rule is None:
            raise NotFound(f"policy {policy.policy_id} has no rule for clock {name!r} on this case")
        return state, rule

    def _starts(self, policy: Policy, milestone: str, subject: ClockSubject | None = None) -> tuple[str, ...]:
        """The clocks ``milestone`` starts on this case (as ``subject``, default its own): those whose rule starts
        there and that never ran."""
        if not policy.clocks_starting_at(milestone):
            return ()
        names = clock_plan(policy, subject or self.subject).starting.get(milestone, ())
        if names and self.clocks:
            have = {c.name for c in self.clocks}
            return tuple(n for n in names if n not in have)
        return names

    def _stops(self, policy: Policy, milestone: str, *, all_clocks: bool = False) -> tuple[str, ...]:
        """The running clocks ``milestone`` stops: those whose rule stops there, or all of them."""
        if all_clocks:
            return tuple(state.name for state in self.clocks if state.stopped_at is None)
        candidates = policy.clocks_stopping_at(milestone)
        running = [s.name for s in self.clocks if s.stopped_at is None and s.name in candidates] if candidates else ()
        if not running:
            return ()
        stopping = clock_plan(policy, self.subject).stopping.get(milestone, frozenset())
        return tuple(name for name in running if name in stopping)

    def _transition(
        self,
        policy: Policy,
        target: CaseStatus,
        at: datetime,
        actor: str,
        event_type: Callable[..., ev.Transitioned],
        *,
        petition: bool = False,
        **payload: Any,
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        """Move to ``target`` and emit the event, starting and stopping clocks.

        Ordinary commands follow the transition table; a petition (already checked
        by ``petition``) takes its own route back and skips the table.
        """
        self._check_policy(policy)
        if not petition and target not in transitions(policy.skip_states)[self.status]:
            raise InvalidTransition(
                f"case {self.reference}: cannot go from {self.status.value} to {target.value}", rule="CASE-TRANSITION"
            )
        at = self._check_time(at)
        milestone = _MILESTONE[target]
        event = event_type(
            aggregate_id=self.case_id,
            version=self.version + 1,
            occurred_at=at,
            actor=actor,
            to_status=milestone,
            clocks_started=self._starts(policy, milestone),
            clocks_stopped=self._stops(policy, milestone, all_clocks=target in FINISHED),
            **payload,
        )
        return apply(event, self), (event,)

    def _emit(
        self, event_type: Callable[..., ev.DomainEvent], at: datetime, actor: str, **payload: Any
    ) -> tuple[Case, tuple[ev.DomainEvent, ...]]:
        event = event_type(aggregate_id=self.case_id, version=self.version + 1, occurred_at=at, actor=actor, **payload)
        return apply(event, self), (event,)


def _subject(intake: Intake, severity: str | None) -> ClockSubject:
    """What clock conditions look at: the intake's market, kind, category and channel, and the severity."""
    return ClockSubject(intake.market, intake.kind, intake.category, severity, intake.channel)


def _approval_rule(policy: Policy, role: str) -> str:
    """The rule an approval refusal cites: the role's tier's, else the first tier's (a role outside the table),
    else DOMAIN §6.2's P1-APR-02 (a policy that names none)."""
    tiers = [t for t in policy.approval if t.role == role] or list(policy.approval[:1])
    return (tiers[0].rule_id if tiers else "") or "P1-APR-02"


def _check_not_accused(handler: Party | None, causer: Responsibility | None) -> None:
    """The person complained about may not handle their own case (F8-RO-01)."""
    if handler is not None and causer is not None and any(s.party == handler for s in causer.shares):
        raise RuleViolation("the person complained about may not handle their own case", rule="F8-RO-01")


def _check_validity(policy: Policy, validity: Validity | None) -> None:
    """Where the policy records the validity finding (P3-CLS-03), attribution and not-established need it."""
    if validity is None and policy.validity_required:
        raise RuleViolation(
            f"policy {policy.policy_id} records whether the complaint's reason is sufficient and its request "
            "reasonable: give both findings",
            rule="P3-CLS-03",
        )


def _check_intake(policy: Policy, intake: Intake) -> None:
    """A new complaint's intake against its policy. (Checks here, not in ``Intake`` itself, bind new complaints
    only: a case stored before a check was added still loads.)"""
    if intake.claimed_amount is not None:
        amount_of(intake.claimed_amount, "claimed_amount")  # whole fen: the monthly report sums it
    codes = [c.code for c in policy.categories]
    if intake.category not in codes:
        raise RuleViolation(
            f"category {intake.category!r} is not in policy {policy.policy_id} ({codes})", rule="INTAKE"
        )
    if intake.channel not in policy.channels:
        allowed = [c.value for c in policy.channels]
        raise RuleViolation(
            f"channel {intake.channel.value!r} is not accepted by this policy ({allowed})", rule="INTAKE"
        )
    if intake.details:
        fields = [f.name for f in policy.intake.fields]
        unknown = [name for name, _ in intake.details if name not in fields]
        if unknown:
            raise RuleViolation(f"intake field {unknown[0]!r} is not one of the policy's ({fields})", rule="INTAKE")
    missing = missing_datum(policy.intake, intake)
    if missing is not None:
        raise RuleViolation(f"policy {policy.policy_id} needs the intake's {missing[0]}", rule=missing[1])


def _check_number(policy: Policy, milestone: str, number: str | None) -> None:
    """A number is assigned exactly once, at the policy's numbering event (P1-NUM-03, P2-NUM-03)."""
    rule = "P1-NUM-03" if policy.numbering.assign_at == "registered" else "P2-NUM-03"
    if policy.numbering.assign_at == milestone and not number:
        raise RuleViolation(f"policy {policy.policy_id} assigns the case number at {milestone}", rule=rule)
    if policy.numbering.assign_at != milestone and number:
        raise RuleViolation(
            f"policy {policy.policy_id} assigns the case number at {policy.numbering.assign_at}, not {milestone}",
            rule=rule,
        )


# ----- apply: one function per event type ---------------------------------------------------
_APPLIERS: Appliers[Case] = Appliers()
_STATUS_BY_VALUE: dict[str, CaseStatus] = {s.value: s for s in CaseStatus}
_MILESTONE: dict[CaseStatus, str] = {s: s.value for s in CaseStatus}  # ``.value`` is a slow property on 3.11


def apply(event: ev.DomainEvent, case: Case) -> Case:
    """The case after ``event``: one function per event type, registered with ``@_applies``."""
    handler = _APPLIERS.handler(event)
    return handler(event, case)


def _next(event: ev.DomainEvent, case: Case, **changes: Any) -> Case:
    return _changed(event, case, changes)


def _changed(event: ev.DomainEvent, case: Case, changes: dict[str, Any]) -> Case:
    """The case after ``event`` with ``changes``: a copy of its fields, checked by the same invariants as ``__init__``."""
    if event.version != case.version + 1:
        raise DomainError(
            f"event version {event.version} does not follow case version {case.version}", rule="EVENT-VERSION"
        )
    if event.aggregate_id is not case.case_id and event.aggregate_id != case.case_id:
        raise DomainError("event belongs to another case", rule="EVENT-VERSION")
    values = case.__dict__.copy()
    values.update(changes)
    values["version"] = event.version
    values["last_event_at"] = event.occurred_at
    new = object.__new__(Case)
    object.__setattr__(new, "__dict__", values)
    new.__attrs_post_init__()
    return new


def _with_clocks(
    case: Case, at: datetime, started: tuple[str, ...], stopped: tuple[str, ...]
) -> tuple[ClockState, ...]:
    if not started and not stopped:
        return case.clocks
    clocks = [state.stop(at) if state.name in stopped else state for state in case.clocks]
    clocks.extend(ClockState(name=name, started_at=at) for name in started)
    return tuple(clocks)


def _transitioned(event: ev.Transitioned, case: Case, reason: str = "", **changes: Any) -> Case:
    status = _STATUS_BY_VALUE[event.to_status]
    changes["status"] = status
    changes["steps"] = (*case.steps, Step(status, event.occurred_at, event.actor, reason))
    if event.clocks_started or event.clocks_stopped:
        changes["clocks"] = _with_clocks(case, event.occurred_at, event.clocks_started, event.clocks_stopped)
    return _changed(event, case, changes)


def _update_clock(case: Case, name: str, change: Callable[[ClockState], ClockState]) -> tuple[ClockState, ...]:
    return tuple(change(c) if c.name == name else c for c in case.clocks)


@_APPLIERS.on(ev.CaseRegistered)
def _(event: ev.CaseRegistered, case: Case) -> Case:
    return _transitioned(event, case, number=event.number if event.number else case.number)


@_APPLIERS.on(ev.InvestigationStarted)
def _(event: ev.InvestigationStarted, case: Case) -> Case:
    return _transitioned(event, case)


@_APPLIERS.on(ev.ResponsibilityAttributed)
def _(event: ev.ResponsibilityAttributed, case: Case) -> Case:
    intake = case.intake if event.cause_code is None else attrs.evolve(case.intake, cause_code=event.cause_code)
    return _transitioned(
        event,
        case,
        handler=event.handler,
        causer=event.causer,
        delay=event.delay,
        no_fault=event.no_fault,
        intake=intake,
        validity=event.validity,
    )


@_APPLIERS.on(ev.RemedyProposed)
def _(event: ev.RemedyProposed, case: Case) -> Case:
    return _transitioned(event, case, remedy=Remedy(RemedyKind(event.remedy_kind), event.amount, event.note))


@_APPLIERS.on(ev.RemedyApproved)
def _(event: ev.RemedyApproved, case: Case) -> Case:
    remedy = case.remedy
    if remedy is None or remedy.kind.value != event.remedy_kind or remedy.amount != event.amount:
        remedy = Remedy(RemedyKind(event.remedy_kind), event.amount)
    return _transitioned(event, case, remedy=remedy, approval=Approval(event.role, event.actor, event.occurred_at))


@_APPLIERS.on(ev.CustomerReplied)
def _(event: ev.CustomerReplied, case: Case) -> Case:
    return _transitioned(event, case, reply=Reply(event.message, event.reaction, event.occurred_at))


@_APPLIERS.on(ev.CaseClosed)
def _(event: ev.CaseClosed, case: Case) -> Case:
    return _transitioned(event, case)


@_APPLIERS.on(ev.CaseSettled)
def _(event: ev.CaseSettled, case: Case) -> Case:
    return _transitioned(event, case)


@_APPLIERS.on(ev.FoundNotEstablished)
def _(event: ev.FoundNotEstablished, case: Case) -> Case:
    return _transitioned(event, case, event.reason, not_established_reason=event.reason, validity=event.validity)


@_APPLIERS.on(ev.PetitionFiled)
def _(event: ev.PetitionFiled, case: Case) -> Case:
    petition = Petition(event.department, event.reason, event.occurred_at, event.actor)
    return _transitioned(
        event,
        case,
        event.reason,
        petitions=(*case.petitions, petition),
        approval=None,
        reply=None,
        not_established_reason=None,
    )


@_APPLIERS.on(ev.MilestoneReached)
def _(event: ev.MilestoneReached, case: Case) -> Case:
    return _next(
        event,
        case,
        milestones=(*case.milestones, Milestone(event.milestone, event.occurred_at)),
        clocks=_with_clocks(case, event.occurred_at, event.clocks_started, event.clocks_stopped),
    )


@_APPLIERS.on(ev.SeverityClassified)
def _(event: ev.SeverityClassified, case: Case) -> Case:
    if not event.major:
        return _next(event, case, severity=event.severity, delay_days=event.delay_days)
    clocks = _with_clocks(case, event.occurred_at, event.clocks_started, ())
    return _next(event, case, severity=event.severity, delay_days=event.delay_days, major=True, clocks=clocks)


@_APPLIERS.on(ev.ReactionRecorded)
def _(event: ev.ReactionRecorded, case: Case) -> Case:
    assert case.reply is not None  # checked by record_reaction; a replayed history has its reply first
    return _next(event, case, reply=attrs.evolve(case.reply, reaction=event.reaction))


@_APPLIERS.on(ev.HandlerAssigned)
def _(event: ev.HandlerAssigned, case: Case) -> Case:
    return _next(event, case, handler=event.handler)


@_APPLIERS.on(ev.MajorComplaintFlagged)
def _(event: ev.MajorComplaintFlagged, case: Case) -> Case:
    return _next(event, case, major=True, clocks=_with_clocks(case, event.occurred_at, event.clocks_started, ()))


@_APPLIERS.on(ev.EmergencyMeetingRecorded)
def _(event: ev.EmergencyMeetingRecorded, case: Case) -> Case:
    return _next(event, case, meeting=Meeting(event.attendees, event.minutes, event.occurred_at))


@_APPLIERS.on(ev.ClockPaused)
def _(event: ev.ClockPaused, case: Case) -> Case:
    def pause(c: ClockState) -> ClockState:
        return attrs.evolve(c, pauses=(*c.pauses, Pause(event.occurred_at, event.reason)))

    return _next(event, case, clocks=_update_clock(case, event.clock, pause))


@_APPLIERS.on(ev.ClockResumed)
def _(event: ev.ClockResumed, case: Case) -> Case:
    return _next(event, case, clocks=_update_clock(case, event.clock, lambda c: c.resumed(event.occurred_at)))


@_APPLIERS.on(ev.SpecialCircumstanceDeclared)
def _(event: ev.SpecialCircumstanceDeclared, case: Case) -> Case:
    special = SpecialCircumstance(reason=event.reason, approver=event.approver, declared_at=event.occurred_at)
    return _next(event, case, clocks=_update_clock(case, event.clock, lambda c: attrs.evolve(c, special=special)))


@_APPLIERS.on(ev.PromiseRecorded)
def _(event: ev.PromiseRecorded, case: Case) -> Case:
    promise = Promise(due=event.due, made_at=event.occurred_at)
    return _next(event, case, clocks=_update_clock(case, event.clock, lambda c: attrs.evolve(c, promise=promise)))


@_APPLIERS.on(ev.ClockEscalated)
def _(event: ev.ClockEscalated, case: Case) -> Case:
    return _next(
        event, case, clocks=_update_clock(case, event.clock, lambda c: c.escalated(event.level, event.occurred_at))
    )


@_APPLIERS.on(ev.InquiryIssued)
def _(event: ev.InquiryIssued, case: Case) -> Case:
    return _next(event, case, clocks=_update_clock(case, event.clock, lambda c: attrs.evolve(c, inquired=True)))


@_APPLIERS.on(ev.CauseRecorded)
def _(event: ev.CauseRecorded, case: Case) -> Case:
    return _next(event, case, intake=attrs.evolve(case.intake, cause_code=event.cause_code))


@_APPLIERS.on(ev.ImprovementPlanned)
def _(event: ev.ImprovementPlanned, case: Case) -> Case:
    planned = Improvement(
        number=event.number,
        measures=event.measures,
        owner=event.owner,
        supervisor=event.supervisor,
        due=event.due,
        tracked=event.tracked,
        planned_at=event.occurred_at,
        planned_by=event.actor,
    )
    return _next(event, case, improvements=(*case.improvements, planned))


@_APPLIERS.on(ev.ImprovementVerified)
def _(event: ev.ImprovementVerified, case: Case) -> Case:
    def verified(i: Improvement) -> Improvement:
        if i.number != event.number:
            return i
        return attrs.evolve(
            i, verified_at=event.occurred_at, verified_by=event.actor, effective=event.effective, note=event.note
        )

    return _next(event, case, improvements=tuple(map(verified, case.improvements)))


@_APPLIERS.on(ev.PolicyAdopted)
def _(event: ev.PolicyAdopted, case: Case) -> Case:
    return _next(event, case, policy_version=event.policy_version)
