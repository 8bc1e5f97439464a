"""A stateful property test of the ``Case`` aggregate (DOMAIN §3), plus targeted lifecycle properties.

Every command is tried in every state, with valid and invalid arguments, under
four policies: the ``manufacturing`` preset (P1: numbered at registration,
P1-NUM-03; P1-DL-01 close clock; P1-APR-02 approval tiers) and three built in
code that skip optional states, number at intake (P2-NUM-03), have pausable
clocks, extended limits (F2-DL-06) and promise clocks (F4-DL-03, P5-DL-02).
A driver rule takes valid lifecycle steps so that deep states (closed,
settled, second complaints) are reached often.

Invariants: a refused command (DomainError) leaves the case unchanged; an
accepted one returns exactly one event, the version rises by one and equals
the event's; status changes follow ``transitions(policy.skip_states)``, and an
ordinary command moves only forward along the path (going back is the
petition's route, P1-LC-12); ``settled`` accepts nothing and ``closed`` only
``settle``; the case number is given once, at the policy's numbering event,
and never changes (P1-NUM-03); a second complaint links to its closed parent
(P1-LC-10) without touching it; folding the events with ``apply`` from the
received case reproduces the case.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import event as note_event
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from adapters.calendars import china_calendar
from adapters.policy_files import load_preset
from complaint_core import events as ev
from complaint_core.case import (
    FINISHED,
    NOT_ESTABLISHED_FROM,
    PATH,
    PETITION_FROM,
    TERMINAL,
    Case,
    CaseStatus,
    Remedy,
    RemedyKind,
    Reply,
    apply,
    reopen_state,
    transitions,
)
from complaint_core.clocks import select_rule
from complaint_core.errors import DomainError
from complaint_core.intake import Intake
from complaint_core.labels import Labels
from complaint_core.policy import (
    ApprovalTier,
    CaseKind,
    Category,
    ClockCondition,
    ClockRule,
    ImprovementRules,
    Limit,
    Market,
    NumberingRule,
    NumberReset,
    Policy,
    PromiseMode,
    RestDayRule,
    Severity,
    TimeUnit,
)
from complaint_core.responsibility import FaultShare, Party, PartyKind, Responsibility
from complaint_core.validity import Validity

CN = china_calendar()
SH = ZoneInfo("Asia/Shanghai")
S = CaseStatus


def _l(zh: str, en: str) -> Labels:
    return Labels(zh=zh, en=en)


# P2-style: numbered at intake (P2-NUM-03), investigation skipped, pausable working-day reply clock with an
# extended limit (F2-DL-06), a two-stage 24 h answer clock (F4-DL-03), a visit clock whose rule depends on severity.
PAUSABLE = Policy(
    policy_id="pausable",
    version=1,
    name=_l("可暂停时钟", "Pausable clocks"),
    categories=(
        Category(code="quality", label=_l("质量", "Quality")),
        Category(code="service", label=_l("服务", "Service")),
    ),
    severities=(Severity(code="minor", label=_l("轻微", "Minor")), Severity(code="major", label=_l("重大", "Major"))),
    clocks=(
        ClockRule(
            name="reply",
            label=_l("答复", "Reply"),
            start="received",
            stop="replied",
            limit=Limit(2, TimeUnit.WORKING_DAYS),
            special_limit=Limit(5, TimeUnit.WORKING_DAYS),
            rule_id="P2-DL-01",
            pause_reasons=frozenset({"waiting_customer"}),
        ),
        ClockRule(
            name="answer",
            label=_l("首次答复", "First answer"),
            start="received",
            stop="replied",
            limit=Limit(24, TimeUnit.HOURS),
            rule_id="F4-DL-03",
            promise=PromiseMode.TWO_STAGE,
            pause_reasons=frozenset({"waiting_customer"}),
        ),
        ClockRule(
            name="visit",
            label=_l("上门", "Site visit"),
            start="visit_booked",
            stop="visited",
            limit=Limit(1, TimeUnit.CALENDAR_DAYS),
            when=ClockCondition(severities=frozenset({"major"})),
            pause_reasons=frozenset({"waiting_parts"}),
        ),
        ClockRule(
            name="visit",
            label=_l("上门", "Site visit"),
            start="visit_booked",
            stop="visited",
            limit=Limit(3, TimeUnit.CALENDAR_DAYS),
            on_rest_day=RestDayRule.STATUTORY,
            pause_reasons=frozenset({"waiting_parts", "waiting_customer"}),
        ),
    ),
    numbering=NumberingRule(template="{yy}{mm}{dd}{seq:03}", reset=NumberReset.YEARLY, assign_at="received"),
    approval=(ApprovalTier(role="gm"),),
    skip_states=frozenset({"investigating"}),
)

# Investigation and proposal skipped (approve takes the remedy itself); numbered at registration, so a petition
# re-opens to ``registered``; a promised-date clock (P5-DL-02) and three approval tiers (P1-APR-02 shape).
SHORT = Policy(
    policy_id="short",
    version=1,
    name=_l("简化流程", "Short lifecycle"),
    categories=(Category(code="billing", label=_l("账单", "Billing")),),
    clocks=(
        ClockRule(
            name="resolve",
            label=_l("处理", "Resolve"),
            start="registered",
            stop="closed",
            limit=Limit(10, TimeUnit.CALENDAR_DAYS),
            on_rest_day=RestDayRule.STATUTORY,
            promise=PromiseMode.PROMISED,
            pause_reasons=frozenset({"waiting_customer"}),
            rule_id="P5-DL-02",
        ),
    ),
    approval=(
        ApprovalTier(role="clerk", limit=Decimal("100.00")),
        ApprovalTier(role="manager", limit=Decimal("1000.00")),
        ApprovalTier(role="director"),
    ),
    skip_states=frozenset({"investigating", "proposed"}),
)

# Attribution and approval skipped: investigating → proposed → replied; numbered at intake.
LEAN = Policy(
    policy_id="lean",
    version=1,
    name=_l("精简流程", "Lean lifecycle"),
    categories=(Category(code="service", label=_l("服务", "Service")),),
    clocks=(
        ClockRule(
            name="close",
            label=_l("结案", "Close"),
            start="received",
            stop="closed",
            limit=Limit(1, TimeUnit.CALENDAR_MONTHS),
            pause_reasons=frozenset({"waiting_customer"}),
        ),
    ),
    numbering=NumberingRule(template="{yyyy}-{seq}", reset=NumberReset.NEVER, assign_at="received"),
    approval=(ApprovalTier(role="gm"),),
    skip_states=frozenset({"attributed", "approved"}),
    # P4-LC-03 shape: a case closes with its improvement measures; their check is due a week after the plan
    improvements=ImprovementRules(
        required_for=frozenset({CaseKind.EXTERNAL}), verify_within=Limit(7, TimeUnit.CALENDAR_DAYS)
    ),
)

POLICIES = {
    "manufacturing": load_preset("manufacturing"),
    "auto-dealer": load_preset("auto-dealer"),  # records the validity finding (P3-CLS-03)
    "pausable": PAUSABLE,
    "short": SHORT,
    "lean": LEAN,
}

PEOPLE = [
    Party(PartyKind.PERSON, "p1", "张三"),
    Party(PartyKind.PERSON, "p2", "李四"),
    Party(PartyKind.DEPARTMENT, "sales", "业务部"),
    Party(PartyKind.SUPPLIER, "s1", "供应商"),
]
MILESTONES = [
    "investigation_done",
    "report_submitted",
    "negotiation_received",
    "consolidated",
    "visit_booked",
    "visited",
    "forwarded_to_head",
    # lifecycle states and major_flagged are reached by their own commands, never as milestones
    "closed",
    "registered",
    "major_flagged",
    # a name the policy does not know is refused (it would be recorded and change nothing)
    "head_repled",
]
AMOUNTS = st.one_of(
    st.sampled_from(
        [
            Decimal(v)
            for v in (
                "0.00",
                "99.99",
                "100.00",
                "100.01",
                "1000.00",
                "1000.01",
                "5000.00",
                "5000.01",
                "50000.00",
                "50000.01",
                "123456.78",
            )
        ]
    ),
    st.integers(0, 10**8).map(lambda f: Decimal(f).scaleb(-2)),
)
BAD_AMOUNTS = st.sampled_from([Decimal("-0.01"), Decimal("1.001"), Decimal("NaN"), Decimal("Infinity")])
TEXT = st.sampled_from(["", "   ", "客户不接受", "reason"])
VALIDITIES = st.one_of(
    st.none(), st.builds(Validity, reason_sufficient=st.booleans(), request_reasonable=st.booleans())
)
AFTER_CLOSURE = frozenset({"settle", "plan_improvement", "verify_improvement", "record_cause"})


@st.composite
def responsibilities(draw: st.DrawFn) -> Responsibility:
    parties = draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=len(parties) - 1, max_size=len(parties) - 1)))
    bounds = [0, *cuts, 100]
    shares = [Decimal(b - a).scaleb(-2) for a, b in itertools.pairwise(bounds)]
    return Responsibility(tuple(FaultShare(p, s) for p, s in zip(parties, shares, strict=True)))


def _fields(case: Case) -> tuple[Any, ...]:
    """A snapshot of the case: every field's value, by identity (all nested values are immutable)."""
    return tuple(getattr(case, f.name) for f in attrs.fields(Case))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(x is y and x == y for x, y in zip(a, b, strict=True))


def domain_sources(skip_states: frozenset[str], target: CaseStatus) -> frozenset[CaseStatus]:
    """Where an ordinary lifecycle command may move the case from (DOMAIN §3): the previous state on the path
    (less skipped states), not established from received/registered/investigating, and replied from not
    established. Going back to before attribution is the petition's route (P1-LC-12), no other command's."""
    path = [s for s in PATH if s.value not in skip_states]
    sources = set()
    if target in path and path.index(target) > 0:
        sources.add(path[path.index(target) - 1])
    if target is S.NOT_ESTABLISHED:
        sources |= NOT_ESTABLISHED_FROM
    if target is S.REPLIED:
        sources.add(S.NOT_ESTABLISHED)
    return frozenset(sources)


def _blank(text: str) -> bool:
    return not text.strip()


class CaseMachine(RuleBasedStateMachine):
    """Drives one case (and its second complaints) through random command sequences."""

    policy: Policy
    case: Case
    received: Case
    now: datetime

    def __init__(self) -> None:
        super().__init__()
        self.serial = 0

    # ----- helpers ---------------------------------------------------------------------------------
    def _uuid(self) -> UUID:
        self.serial += 1
        return UUID(int=self.serial)

    def _number(self) -> str:
        return f"2503{self.serial:04d}"

    @property
    def allowed(self) -> frozenset[CaseStatus]:
        """Where an ordinary command may move the case; the petition's route back is separate."""
        return transitions(self.policy.skip_states)[self.case.status]

    @property
    def reopen(self) -> CaseStatus:
        return expected_reopen(self.policy, self.case)

    def moves(self, target: CaseStatus) -> bool:
        """May an ordinary (non-petition) command move the case to ``target`` now?"""
        return self.case.status in domain_sources(self.policy.skip_states, target)

    def _attempt(self, command: str, expect: bool | None, **kwargs: Any) -> Case | None:
        """Run ``case.<command>``; check the accept/refuse invariants; return the new case when accepted."""
        before = self.case
        snapshot = _fields(before)
        kwargs.setdefault("actor", "tester")
        kwargs.setdefault("at", self.now)
        policy = kwargs.pop("policy", self.policy)
        try:
            new, events = cast(tuple[Case, tuple[ev.DomainEvent, ...]], getattr(before, command)(policy, **kwargs))
        except DomainError as exc:
            assert self.case is before and _same(_fields(before), snapshot), "a refused command changed the case"
            assert expect is not True, f"{command} refused in {before.status.value}: {exc}"
            note_event(f"refused {command} in {before.status.value}")
            return None
        assert _same(_fields(before), snapshot), "an accepted command mutated the original case"
        assert expect is not False, f"{command} accepted in {before.status.value} with {kwargs}"
        assert before.status not in TERMINAL, f"settled case accepted {command}"
        if before.status is S.CLOSED:  # the effect of an improvement shows after closure (P1-FU-01)
            assert command in AFTER_CLOSURE, f"closed case accepted {command} (P1-LC-10)"
        assert len(events) == 1
        event = events[0]
        assert new.version == before.version + 1
        assert event.version == new.version
        assert event.aggregate_id == before.case_id == new.case_id
        assert event.occurred_at == self.now and event.occurred_at.utcoffset() == timedelta(0)
        assert event.actor == kwargs["actor"]
        petition = isinstance(event, ev.PetitionFiled)
        if isinstance(event, ev.Transitioned):
            assert CaseStatus(event.to_status) == new.status
            if petition:
                assert before.status in PETITION_FROM and new.status is expected_reopen(self.policy, before)
            else:
                assert new.status in self.allowed, f"{before.status.value} -> {new.status.value} is not allowed"
            assert new.steps[-1].status is new.status and len(new.steps) == len(before.steps) + 1
        else:
            assert new.status is before.status
            assert new.steps == before.steps
        if new.status is not before.status and not petition:
            assert new.status in self.allowed
        assert apply(event, before) == new
        note_event(f"accepted {command} in {before.status.value} ({self.policy.policy_id})")
        self.case = new
        self.events.append(event)
        return new

    # ----- setup -----------------------------------------------------------------------------------
    @initialize(
        key=st.sampled_from(sorted(POLICIES)),
        start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 6, 30), timezones=st.just(SH)),
        market=st.sampled_from(Market),
        data=st.data(),
    )
    def receive(self, key: str, start: datetime, market: Market, data: st.DataObject) -> None:
        self.policy = POLICIES[key]
        self.now = start
        intake = Intake(
            customer="某客户有限公司",
            channel=data.draw(st.sampled_from(self.policy.channels), label="channel"),
            category=data.draw(st.sampled_from([c.code for c in self.policy.categories]), label="category"),
            market=market,
        )
        at_intake = self.policy.numbering.assign_at == "received"
        # P2-NUM-03: a number at intake exactly when the policy numbers there
        with pytest.raises(DomainError):
            Case.receive(
                self.policy,
                case_id=self._uuid(),
                intake=intake,
                at=start,
                actor="cs",
                number=None if at_intake else "999",
            )
        case, events = Case.receive(
            self.policy,
            case_id=self._uuid(),
            intake=intake,
            at=start,
            actor="cs",
            number=self._number() if at_intake else None,
        )
        assert len(events) == 1 and events[0].version == case.version == 1
        assert case.status is S.RECEIVED and case.repeat_count == 0 and case.parent_case_id is None
        assert (case.number is not None) == at_intake
        self.case = case
        self.received = case
        self.events: list[ev.DomainEvent] = []
        self.repeat = 0
        self.number: str | None = case.number

    # ----- time ------------------------------------------------------------------------------------
    @rule(minutes=st.one_of(st.integers(0, 90), st.integers(0, 3 * 24 * 60)))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    # ----- lifecycle commands ----------------------------------------------------------------------
    @rule(number=st.sampled_from([None, "", "N"]))
    def register(self, number: str | None) -> None:
        if number == "N":
            number = self._number()
        at_registration = self.policy.numbering.assign_at == "registered"
        expect = self.moves(S.REGISTERED) and (bool(number) == at_registration)
        old_number = self.case.number
        new = self._attempt("register", expect, number=number)
        if new is not None:
            # P1-NUM-03: the number is assigned exactly once, at the policy's numbering event
            if at_registration:
                assert old_number is None, f"case number {old_number} reassigned as {number}"
                assert new.number == number
            else:
                assert new.number == old_number

    @rule()
    def start_investigation(self) -> None:
        self._attempt("start_investigation", self.moves(S.INVESTIGATING))

    @rule(
        handler=st.one_of(st.none(), st.sampled_from(PEOPLE)),
        causer=st.one_of(st.none(), responsibilities()),
        delay=st.one_of(st.none(), responsibilities()),
        no_fault=st.booleans(),
        validity=VALIDITIES,
    )
    def attribute(
        self,
        handler: Party | None,
        causer: Responsibility | None,
        delay: Responsibility | None,
        no_fault: bool,
        validity: Validity | None,
    ) -> None:
        """P1-LC-08: a causer unless 'no fault of ours'; F8-RO-01: the accused may not handle the case;
        P3-CLS-03: the validity finding where the policy records it.

        Naming no handler keeps the one assigned (or found) before, who is then checked like a named one.
        """
        effective = handler if handler is not None else self.case.handler
        accused = causer is not None and effective is not None and any(s.party == effective for s in causer.shares)
        found = validity is not None or not self.policy.validity_required
        expect = self.moves(S.ATTRIBUTED) and ((causer is None) == no_fault) and not accused and found
        new = self._attempt(
            "attribute", expect, handler=handler, causer=causer, delay=delay, no_fault=no_fault, validity=validity
        )
        if new is not None:
            assert (new.causer, new.no_fault, new.handler, new.delay) == (causer, no_fault, effective, delay)
            assert new.validity == validity

    @rule(reaction=TEXT)
    def record_reaction(self, reaction: str) -> None:
        """A reaction follows a recorded reply, before closure; the message told stays as it was."""
        expect = self.case.status is S.REPLIED and not _blank(reaction)
        before = self.case.reply
        new = self._attempt("record_reaction", expect, reaction=reaction)
        if new is not None:
            assert before is not None and new.reply == Reply(before.message, reaction, before.at)

    @rule(handler=st.sampled_from(PEOPLE))
    def assign(self, handler: Party) -> None:
        """The handler named before the findings: an open case, a change, and never the accused (F8-RO-01)."""
        causer = self.case.causer
        accused = causer is not None and any(s.party == handler for s in causer.shares)
        expect = self.case.status not in FINISHED and handler != self.case.handler and not accused
        new = self._attempt("assign", expect, handler=handler)
        if new is not None:
            assert new.handler == handler and new.status is self.case.status

    @rule(kind=st.sampled_from(RemedyKind), amount=st.one_of(AMOUNTS, BAD_AMOUNTS))
    def propose(self, kind: RemedyKind, amount: Decimal) -> None:
        valid = amount.is_finite() and amount >= 0 and amount == amount.quantize(Decimal("0.01"))
        new = self._attempt("propose", self.moves(S.PROPOSED) and valid, kind=kind, amount=amount)
        if new is not None:
            assert new.remedy == Remedy(kind, amount, "")

    @rule(
        role=st.sampled_from(["sales_manager", "deputy_gm", "gm", "clerk", "manager", "director", "intern"]),
        remedy=st.one_of(st.none(), st.builds(Remedy, st.sampled_from(RemedyKind), AMOUNTS)),
    )
    def approve(self, role: str, remedy: Remedy | None) -> None:
        """DOMAIN §6.2, P1-APR-02: the approver's limit must cover the amount; unknown roles have no authority."""
        chosen = remedy or self.case.remedy
        roles = {t.role: t.limit for t in self.policy.approval}
        limit = roles.get(role)
        covered = role in roles and chosen is not None and (limit is None or chosen.amount <= limit)
        new = self._attempt("approve", self.moves(S.APPROVED) and covered, role=role, remedy=remedy)
        if new is not None:
            assert chosen is not None and new.remedy is not None
            assert (new.remedy.kind, new.remedy.amount) == (chosen.kind, chosen.amount)
            assert new.approval is not None and new.approval.role == role
            limit = roles[role]
            assert limit is None or new.remedy.amount <= limit

    @rule(message=TEXT, reaction=st.sampled_from(["", "满意", "不满意"]))
    def reply_to_customer(self, message: str, reaction: str) -> None:
        new = self._attempt(
            "reply_to_customer", self.moves(S.REPLIED) and not _blank(message), message=message, reaction=reaction
        )
        if new is not None:
            assert new.reply is not None and new.reply.message == message and new.reply.at == self.now

    @property
    def needs_improvement(self) -> bool:
        """P4-LC-03: the policy wants an improvement before this case closes, and it has none."""
        case = self.case
        required = case.intake.kind in self.policy.improvements.required_for
        return required and not case.improvements and case.not_established_reason is None

    @rule()
    def close(self) -> None:
        """P3-ESC-01: a major complaint closes only with its emergency-meeting record; P4-LC-03: with its
        improvement where the policy says so."""
        expect = (
            self.moves(S.CLOSED)
            and (not self.case.major or self.case.meeting is not None)
            and not self.needs_improvement
        )
        new = self._attempt("close", expect)
        if new is not None:
            assert new.reply is not None
            assert all(not c.running for c in new.clocks), "closing stops every clock"

    @rule(open_items=st.sampled_from([(), ("return R-1 not booked",), ("penalty unposted", "allowance")]))
    def settle(self, open_items: tuple[str, ...]) -> None:
        self._attempt("settle", self.moves(S.SETTLED) and not open_items, open_items=open_items)

    @rule(
        measures=st.sampled_from(["", "   ", "来料检验加严", "reason"]),
        owner=st.sampled_from(["", "p1", "sales"]),
        supervisor=st.sampled_from(["", "tester", "gm"]),
        due_hours=st.one_of(st.none(), st.integers(-2, 400)),
        tracked=st.booleans(),
    )
    def plan_improvement(
        self, measures: str, owner: str, supervisor: str, due_hours: int | None, tracked: bool
    ) -> None:
        """P4-LC-03 / P3-FU-03 / P1-CLS-05: measures and an owner; a due after now, and only on a tracked one."""
        due = None if due_hours is None else self.now + timedelta(hours=due_hours)
        expect = (
            self.case.status is not S.SETTLED
            and not _blank(measures)
            and not _blank(owner)
            and (due_hours is None or (tracked and due_hours > 0))
        )
        new = self._attempt(
            "plan_improvement", expect, measures=measures, owner=owner, supervisor=supervisor, due=due,
            tracked=tracked, calendar=CN,
        )  # fmt: skip
        if new is not None:
            planned = new.improvements[-1]
            assert planned.number == len(new.improvements) == len(self.case.improvements)
            assert planned.open is tracked and planned.planned_at == self.now
            within = self.policy.improvements.verify_within
            if tracked and due is None and within is not None:
                assert planned.due is not None and planned.due > self.now

    @rule(cause=st.sampled_from(["", "  ", "late_delivery", "plating"]))
    def record_cause(self, cause: str) -> None:
        """P1-ROLE-09: the cause found, also after closure; blank or unchanged is refused."""
        before = self.case.intake
        expect = self.case.status is not S.SETTLED and not _blank(cause) and cause != before.cause_code
        new = self._attempt("record_cause", expect, cause_code=cause)
        if new is not None:
            assert new.intake == attrs.evolve(before, cause_code=cause)  # nothing else of the intake changes

    @rule(data=st.data(), effective=st.booleans(), actor=st.sampled_from(["tester", "gm"]))
    def verify_improvement(self, data: st.DataObject, effective: bool, actor: str) -> None:
        """P1-FU-01: once per tracked improvement; by its supervisor when it has one (P3-FU-03)."""
        numbers = [0, *(i.number for i in self.case.improvements)]  # 0 is never planned
        number = data.draw(st.sampled_from(numbers), label="number")
        found = next((i for i in self.case.improvements if i.number == number), None)
        expect = (
            self.case.status is not S.SETTLED
            and found is not None
            and found.open
            and (not found.supervisor or found.supervisor == actor)
        )
        new = self._attempt("verify_improvement", expect, number=number, effective=effective, actor=actor)
        if new is not None:
            after = new.improvements[number - 1]
            assert not after.open and after.effective is effective and after.verified_by == actor

    @rule(reason=TEXT, validity=VALIDITIES)
    def find_not_established(self, reason: str, validity: Validity | None) -> None:
        """P1-LC-14: not established needs a reason; P3-CLS-03: the validity where the policy records it, and
        never a sufficient reason."""
        found = (validity is not None or not self.policy.validity_required) and not (
            validity is not None and validity.reason_sufficient
        )
        expect = self.moves(S.NOT_ESTABLISHED) and not _blank(reason) and found
        new = self._attempt("find_not_established", expect, reason=reason, validity=validity)
        if new is not None:
            assert new.not_established_reason == reason and new.validity == validity

    @rule(department=st.sampled_from(["", "质量部", "sales"]), reason=TEXT)
    def petition(self, department: str, reason: str) -> None:
        """P1-LC-12: a petition (签呈) re-opens attribution before closure."""
        expect = self.case.status in PETITION_FROM and not _blank(department) and not _blank(reason)
        target = self.reopen
        before = self.case
        new = self._attempt("petition", expect, department=department, reason=reason)
        if new is not None:
            assert new.status is target
            assert new.petitions[-1].department == department
            assert new.reply is None and new.approval is None
            assert new.validity == before.validity  # the findings stand until the case is attributed again

    # ----- a driver that takes valid lifecycle steps, so that deep states are reached often ---------
    def _happy(self, data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(1, 3), label="steps")):
            self.now += timedelta(minutes=data.draw(st.integers(0, 600), label="minutes"))
            status = self.case.status
            petition_target = self.reopen if status in PETITION_FROM else None
            choices = sorted(self.allowed | ({petition_target} if petition_target else set()), key=lambda s: s.value)
            if not choices:
                return
            target = data.draw(st.sampled_from(choices), label="target")
            roles = {t.role: t.limit for t in self.policy.approval}
            if target is petition_target:
                self._attempt("petition", True, department="质量部", reason="责任认定有误")
            elif target is S.REGISTERED:
                at_registration = self.policy.numbering.assign_at == "registered"
                self._attempt("register", True, number=self._number() if at_registration else None)
            elif target is S.INVESTIGATING:
                self._attempt("start_investigation", True)
            elif target is S.ATTRIBUTED:
                found = Validity(reason_sufficient=True, request_reasonable=data.draw(st.booleans(), label="request"))
                if data.draw(st.booleans(), label="no_fault"):
                    self._attempt("attribute", True, no_fault=True, validity=found)
                else:
                    causer = data.draw(responsibilities(), label="causer")
                    handler = self.case.handler
                    accused = handler is not None and any(share.party == handler for share in causer.shares)
                    # F8-RO-01 for the assigned handler
                    self._attempt("attribute", not accused, causer=causer, validity=found)
            elif target is S.PROPOSED:
                self._attempt("propose", True, kind=RemedyKind.ALLOWANCE, amount=data.draw(AMOUNTS, label="amount"))
            elif target is S.APPROVED:
                remedy = self.case.remedy or Remedy(RemedyKind.COMPENSATION, data.draw(AMOUNTS, label="amount"))
                role = self.policy.approver_for(remedy.amount)
                self._attempt("approve", True, role=role, remedy=None if self.case.remedy else remedy)
                limit = roles[role]
                assert limit is None or remedy.amount <= limit
            elif target is S.REPLIED:
                self._attempt("reply_to_customer", True, message="已更换并补偿", reaction="满意")
            elif target is S.CLOSED:
                if self.case.major and self.case.meeting is None:
                    self._attempt("record_emergency_meeting", True, attendees=("总经理",), minutes="纪要")
                if self.needs_improvement or data.draw(st.booleans(), label="improve"):
                    self._attempt("plan_improvement", True, measures="来料检验加严", owner="p1", calendar=CN)
                self._attempt("close", True)
            elif target is S.SETTLED:
                self._attempt("settle", True)
            elif target is S.NOT_ESTABLISHED:
                found = Validity(reason_sufficient=False, request_reasonable=False)
                self._attempt("find_not_established", True, reason="客户误用", validity=found)

    @rule(data=st.data())
    def happy_step(self, data: st.DataObject) -> None:
        self._happy(data)

    @rule(data=st.data())
    def happy_step_again(self, data: st.DataObject) -> None:
        self._happy(data)

    @rule(data=st.data())
    def happy_step_once_more(self, data: st.DataObject) -> None:
        self._happy(data)

    # ----- other commands --------------------------------------------------------------------------
    @rule(severity=st.sampled_from(["minor", "major", "critical"]), reason=st.sampled_from(["", "repeat"]))
    def classify(self, severity: str, reason: str) -> None:
        known = {s.code for s in self.policy.severities}
        expect = self.case.status not in FINISHED and severity in known
        new = self._attempt("classify", expect, severity=severity, reason=reason)
        if new is not None:
            assert new.severity == severity

    @rule(reason=st.sampled_from(["媒体曝光", "x"]))
    def flag_major(self, reason: str) -> None:
        expect = self.case.status not in FINISHED and not self.case.major
        new = self._attempt("flag_major", expect, reason=reason)
        if new is not None:
            assert new.major

    @rule(attendees=st.sampled_from([(), ("总经理",), ("总经理", "质量部经理")]), minutes=TEXT)
    def record_emergency_meeting(self, attendees: tuple[str, ...], minutes: str) -> None:
        expect = self.case.status not in FINISHED and self.case.major and bool(attendees) and not _blank(minutes)
        new = self._attempt("record_emergency_meeting", expect, attendees=attendees, minutes=minutes)
        if new is not None:
            assert new.meeting is not None and new.meeting.attendees == attendees

    @rule(milestone=st.sampled_from(MILESTONES))
    def reach_milestone(self, milestone: str) -> None:
        expect = self.case.status not in FINISHED and milestone in self.policy.milestone_names()
        assert milestone not in {s.value for s in CaseStatus} | {"major_flagged"} or not expect
        new = self._attempt("reach_milestone", expect, milestone=milestone)
        if new is not None:
            assert new.milestones[-1].name == milestone
            names = [c.name for c in new.clocks]
            assert len(names) == len(set(names)), "a clock started twice"

    def _clock_ok(self, name: str) -> tuple[bool, Any, Any]:
        """(clock exists, runs and has a rule on an open case; its state; its rule)."""
        if self.case.status in FINISHED:
            return False, None, None
        state = next((c for c in self.case.clocks if c.name == name), None)
        if state is None or not state.running:
            return False, state, None
        clock_rule = select_rule(self.policy, name, self.case.subject)
        return clock_rule is not None, state, clock_rule

    @rule(
        clock=st.sampled_from(["close", "report", "reply", "answer", "visit", "resolve", "nope"]),
        reason=st.sampled_from(["waiting_customer", "waiting_parts", "lunch"]),
    )
    def pause_clock(self, clock: str, reason: str) -> None:
        ok, state, clock_rule = self._clock_ok(clock)
        expect = ok and reason in clock_rule.pause_reasons and not state.paused
        new = self._attempt("pause_clock", expect, clock=clock, reason=reason)
        if new is not None:
            assert new.clock(clock).paused

    @rule(clock=st.sampled_from(["close", "report", "reply", "answer", "visit", "resolve", "nope"]))
    def resume_clock(self, clock: str) -> None:
        ok, state, _ = self._clock_ok(clock)
        new = self._attempt("resume_clock", ok and state.paused, clock=clock)
        if new is not None:
            after = new.clock(clock)
            assert not after.paused and after.pauses[-1].until == self.now

    @rule(
        clock=st.sampled_from(["close", "reply", "answer", "resolve", "nope"]),
        reason=st.sampled_from(["", "洪水"]),
        approver=st.sampled_from(["", "gm"]),
    )
    def declare_special_circumstance(self, clock: str, reason: str, approver: str) -> None:
        """F2-DL-06: an extended limit needs a reason and an approver, once."""
        ok, state, clock_rule = self._clock_ok(clock)
        expect = (
            ok
            and clock_rule.special_limit is not None
            and state.special is None
            and not _blank(reason)
            and not _blank(approver)
        )
        self._attempt("declare_special_circumstance", expect, clock=clock, reason=reason, approver=approver)

    @rule(clock=st.sampled_from(["close", "answer", "resolve", "nope"]), hours=st.integers(-2, 400))
    def record_promise(self, clock: str, hours: int) -> None:
        """P4-DL-06 / P5-DL-02 / F4-DL-03: a promised date becomes the deadline."""
        ok, _, clock_rule = self._clock_ok(clock)
        due = self.now + timedelta(hours=hours)
        expect = None if ok and clock_rule.promise is not PromiseMode.NONE and hours > 0 else False
        new = self._attempt("record_promise", expect, clock=clock, due=due, calendar=CN)
        if new is not None:
            (deadline,) = [d for d in new.deadlines(self.policy, CN, as_of=self.now) if d.clock == clock]
            assert deadline.due == due > self.now

    @rule(step=st.integers(-1, 2))
    def adopt_policy(self, step: int) -> None:
        newer = attrs.evolve(self.policy, version=max(1, self.policy.version + step))
        expect = newer.version > self.case.policy_version and self.case.status not in FINISHED
        new = self._attempt("adopt_policy", expect, policy=newer, current=self.policy)
        if new is not None:
            assert new.policy_version == newer.version
            self.policy = newer

    @rule(
        command=st.sampled_from(["register", "close", "reach_milestone", "classify", "flag_major"]),
        other=st.sampled_from(["id", "version"]),
    )
    def wrong_policy(self, command: str, other: str) -> None:
        """A case runs the policy version it was opened under; any other policy is refused (CASE-POLICY)."""
        if other == "id":
            policy = next(p for k, p in POLICIES.items() if p.policy_id != self.policy.policy_id)
        else:
            policy = attrs.evolve(self.policy, version=self.policy.version + 7)
        extra: dict[str, Any] = {
            "register": {"number": self._number()},
            "reach_milestone": {"milestone": "visit_booked"},
            "classify": {"severity": "minor"},
            "flag_major": {"reason": "x"},
        }.get(command, {})
        self._attempt(command, False, policy=policy, **extra)

    # ----- second complaints (P1-LC-10) -------------------------------------------------------------
    @rule(follow=st.booleans())
    def second_complaint(self, follow: bool) -> None:
        parent = self.case
        snapshot = _fields(parent)
        at_intake = self.policy.numbering.assign_at == "received"
        try:
            child, events = Case.receive(
                self.policy,
                case_id=self._uuid(),
                intake=parent.intake,
                at=self.now,
                actor="cs",
                number=self._number() if at_intake else None,
                parent=parent,
            )
        except DomainError:
            assert parent.status not in FINISHED, "a closed parent refused a second complaint"
            assert _same(_fields(parent), snapshot)
            return
        assert parent.status in FINISHED, f"second complaint accepted on a {parent.status.value} parent"
        assert _same(_fields(parent), snapshot) and self.case is parent, "the parent changed"
        assert child.parent_case_id == parent.case_id != child.case_id
        assert child.repeat_count == parent.repeat_count + 1
        assert child.status is S.RECEIVED and child.version == 1
        assert all(c.running and c.started_at == self.now and not c.pauses for c in child.clocks), "fresh clocks"
        assert len(events) == 1 and getattr(events[0], "parent_case_id", None) == parent.case_id
        if at_intake:
            assert child.number is not None and child.number != parent.number
        note_event(f"second complaint on a {parent.status.value} case (follow={follow})")
        if follow:
            self.repeat += 1
            self.case = child
            self.received = child
            self.events = []
            self.number = child.number

    # ----- invariants ------------------------------------------------------------------------------
    @invariant()
    def versions_and_events_agree(self) -> None:
        assert self.case.version == 1 + len(self.events)
        assert [e.version for e in self.events] == list(range(2, 2 + len(self.events)))
        if self.events:
            with pytest.raises(DomainError):
                apply(self.events[-1], self.case)  # an event never applies twice

    def teardown(self) -> None:
        """Event sourcing: folding the events with ``apply`` from the received case reproduces the case."""
        if hasattr(self, "received"):
            folded = reduce(lambda case, event: apply(event, case), self.events, self.received)
            assert folded == self.case

    @invariant()
    def case_invariants(self) -> None:
        case = self.case
        assert case.repeat_count == self.repeat
        assert case.steps and case.steps[-1].status is case.status
        assert all(a.at <= b.at for a, b in zip(case.steps, case.steps[1:], strict=False))
        if case.status in (S.REPLIED, S.CLOSED, S.SETTLED):
            assert case.reply is not None
        if case.status is S.NOT_ESTABLISHED:
            assert case.not_established_reason
        if case.status is S.APPROVED:
            assert case.approval is not None and case.remedy is not None
        if case.status is S.ATTRIBUTED:
            assert (case.causer is None) == case.no_fault
        # P1-NUM-03 / P2-NUM-03: numbered at the policy's numbering event, exactly once, never changed
        # A case found not established before registration never reaches the numbering event.
        registered = any(s.status is S.REGISTERED for s in case.steps)
        if self.policy.numbering.assign_at == "received" or registered:
            assert case.number, (
                f"a {case.status.value} case has no number (numbered at {self.policy.numbering.assign_at})"
            )
        if self.policy.numbering.assign_at == "registered" and not any(s.status is S.REGISTERED for s in case.steps):
            assert case.number is None
        if self.number is not None:
            assert case.number == self.number, "the case number changed"
        self.number = case.number
        names = [c.name for c in case.clocks]
        assert len(names) == len(set(names))
        for state in case.clocks:
            assert all(p.until is not None for p in state.pauses[:-1])
            assert all(p.until is None or p.since <= p.until for p in state.pauses)
            if not state.running:
                assert not state.paused
        if case.status in FINISHED:
            assert all(not c.running for c in case.clocks)

    @invariant()
    def deadlines_computable(self) -> None:
        for deadline in self.case.deadlines(self.policy, CN, as_of=self.now):
            assert deadline.due is None or deadline.due >= deadline.started_at
            assert deadline.due is not None or deadline.limit is None


CaseMachine.TestCase.settings = settings(
    CaseMachine.TestCase.settings, stateful_step_count=40, report_multiple_bugs=False
)
TestCaseMachine = CaseMachine.TestCase


# ----- targeted properties ---------------------------------------------------------------------------


T0 = datetime(2025, 3, 3, 9, 0, tzinfo=SH)


def _receive(policy: Policy, at: datetime = T0) -> Case:
    case, _ = Case.receive(
        policy,
        case_id=UUID(int=1),
        intake=Intake(customer="客户", channel=policy.channels[0], category=policy.categories[0].code),
        at=at,
        actor="cs",
        number="2503001" if policy.numbering.assign_at == "received" else None,
    )
    return case


def _step(policy: Policy, case: Case, target: CaseStatus, at: datetime) -> Case:
    """Move ``case`` to ``target`` with the ordinary command for it and valid arguments."""
    kw: dict[str, Any] = {"at": at, "actor": "tester"}
    if target is S.REGISTERED:
        kw["number"] = "2503002" if policy.numbering.assign_at == "registered" else None
        new, _ = case.register(policy, **kw)
    elif target is S.INVESTIGATING:
        new, _ = case.start_investigation(policy, **kw)
    elif target is S.ATTRIBUTED:
        found = Validity(reason_sufficient=True, request_reasonable=True)
        new, _ = case.attribute(policy, causer=Responsibility.sole(PEOPLE[0]), validity=found, **kw)
    elif target is S.PROPOSED:
        new, _ = case.propose(policy, kind=RemedyKind.ALLOWANCE, amount=Decimal("50.00"), **kw)
    elif target is S.APPROVED:
        remedy = case.remedy or Remedy(RemedyKind.ALLOWANCE, Decimal("50.00"))
        new, _ = case.approve(policy, role=policy.approver_for(remedy.amount), remedy=remedy, **kw)
    elif target is S.REPLIED:
        new, _ = case.reply_to_customer(policy, message="已答复", **kw)
    elif target is S.NOT_ESTABLISHED:
        found = Validity(reason_sufficient=False, request_reasonable=False)
        new, _ = case.find_not_established(policy, reason="客户误用", validity=found, **kw)
    else:  # pragma: no cover - the walks below never ask for it
        raise AssertionError(target)
    return new


def _walk(policy: Policy, route: list[CaseStatus]) -> Case:
    case = _receive(policy)
    for i, target in enumerate(route):
        case = _step(policy, case, target, T0 + timedelta(hours=i + 1))
    return case


def expected_reopen(policy: Policy, case: Case) -> CaseStatus:
    """P1-LC-12 with P1-NUM-03: back to before attribution, but never past an unregistered case's registration."""
    registered = any(step.status is S.REGISTERED for step in case.steps)
    return reopen_state(policy.skip_states) if registered else S.RECEIVED


@st.composite
def decided_routes(draw: st.DrawFn) -> tuple[str, tuple[str, ...]]:
    """(policy key, route of states after ``received``) walking a case to a decided state: attributed … replied,
    or not established found in received/registered/investigating."""
    key = draw(st.sampled_from(sorted(POLICIES)))
    path = [s for s in PATH if s.value not in POLICIES[key].skip_states]
    if draw(st.booleans()):
        found_in = draw(st.sampled_from([s for s in path if s in NOT_ESTABLISHED_FROM]))
        route = [*path[1 : path.index(found_in) + 1], S.NOT_ESTABLISHED]
    else:
        decided = draw(st.sampled_from([s for s in path if s in PETITION_FROM]))
        route = path[1 : path.index(decided) + 1]
    return key, tuple(s.value for s in route)


def _decided(key: str, route: tuple[str, ...]) -> tuple[Policy, Case]:
    policy = POLICIES[key]
    return policy, _walk(policy, [CaseStatus(s) for s in route])


@given(decided=decided_routes())
def test_only_a_petition_reopens_a_decided_case(decided: tuple[str, tuple[str, ...]]) -> None:
    """P1-LC-12 / DOMAIN §3: going back to before attribution is the petition's route (签呈, recorded on the case).
    ``register`` and ``start_investigation`` must not reopen a decided case without a petition."""
    policy, case = _decided(*decided)
    at = T0 + timedelta(days=1)
    assert case.status in PETITION_FROM
    for command, kw in (
        ("start_investigation", {}),
        ("register", {"number": "2503999" if policy.numbering.assign_at == "registered" else None}),
    ):
        with pytest.raises(DomainError):
            getattr(case, command)(policy, at=at, actor="tester", **kw)
    # the petition itself is the way back
    reopened, _ = case.petition(policy, at=at, actor="tester", department="质量部", reason="责任认定有误")
    assert reopened.status is expected_reopen(policy, case)
    assert reopened.petitions and reopened.number == case.number


@given(decided=decided_routes())
def test_petition_never_skips_registration_p1_num_03(decided: tuple[str, tuple[str, ...]]) -> None:
    """P1-NUM-03 / P1-LC-12: a petition re-opens attribution, but a case past registration always carries its
    number (a number is assigned exactly once, at the policy's numbering event): the petition either refuses a
    never-registered case or leaves it where registration can still happen."""
    policy, case = _decided(*decided)
    at = T0 + timedelta(days=1)
    try:
        reopened, _ = case.petition(policy, at=at, actor="tester", department="质量部", reason="责任认定有误")
    except DomainError:
        return
    if reopened.number is None:
        try:
            reopened.register(policy, at=at, actor="tester", number="2503999")
        except DomainError as exc:
            raise AssertionError(
                f"the petition moved a never-registered case to {reopened.status.value} without a number, "
                f"and it can no longer be registered: {exc}"
            ) from None


@given(
    hours_before=st.integers(1, 48),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 6, 30), timezones=st.just(UTC)),
)
def test_resume_cannot_predate_its_pause(hours_before: int, start: datetime) -> None:
    """CASE-TIME-ORDER: resuming a clock at an instant before it was paused would record a pause that ends
    before it begins (Pause.until < Pause.since); it must be refused like any command dated in the past."""
    case, _ = Case.receive(
        PAUSABLE,
        case_id=UUID(int=1),
        intake=Intake(customer="客户", channel=PAUSABLE.channels[0], category="quality"),
        at=start,
        actor="cs",
        number="250301001",
    )
    paused_at = start + timedelta(hours=100)
    case, _ = case.pause_clock(PAUSABLE, at=paused_at, actor="cs", clock="reply", reason="waiting_customer")
    with pytest.raises(DomainError):
        case.resume_clock(PAUSABLE, at=paused_at - timedelta(hours=hours_before), actor="cs", clock="reply")
