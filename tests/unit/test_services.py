"""The service layer on in-memory fakes: numbering, transactions, retries, lookups."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import attrs
import pytest

from adapters.clock import FixedClock
from adapters.memory import MemoryStore, MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core import (
    CalendarNotCovered,
    Case,
    CaseService,
    CaseStatus,
    Channel,
    ConcurrencyConflict,
    DomainError,
    Intake,
    NotFound,
    Party,
    PartyKind,
    PolicyInvalid,
    RemedyKind,
    Responsibility,
    RuleViolation,
    SweepIncomplete,
    Validity,
)
from complaint_core.services import within
from entrypoints.bootstrap import bootstrap

Maker = Callable[..., datetime]
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore, sh: Maker) -> CaseService:
    return bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))


def test_a_command_dated_further_ahead_than_max_ahead_is_refused_and_writes_nothing(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """TIME-AHEAD: a step dated ahead of now makes its case refuse every step dated before it until then (a typo
    of a year froze the case). ``max_ahead`` bounds it; None (the default) accepts any time, as before."""
    case = service.receive(INTAKE, actor="clerk", at=sh(2026, 11, 2))
    ahead = sh(2026, 11, 2) + timedelta(minutes=11)
    assert service.recorded_at(ahead) == ahead  # no bound by default
    service.max_ahead = timedelta(minutes=10)
    events = len(store.outbox)
    for command in (
        lambda: service.register(case.case_id, actor="gm_office", at=ahead),
        lambda: service.sweep(now=ahead),
        lambda: service.receive(INTAKE, actor="clerk", at=ahead),
    ):
        with pytest.raises(RuleViolation) as err:
            command()
        assert err.value.rule == "TIME-AHEAD"
    assert len(store.outbox) == events
    assert service.preview_sweep(service.uow, now=ahead) == ()  # looking ahead records nothing: allowed
    within = sh(2026, 11, 2) + timedelta(minutes=9)
    assert service.register(case.case_id, actor="gm_office", at=within).number


def test_p1_num_01_monthly_serials_restart(service: CaseService, sh: Maker) -> None:
    numbers = []
    for day in (sh(2026, 10, 30), sh(2026, 10, 31), sh(2026, 11, 1), sh(2026, 11, 2)):
        case = service.receive(INTAKE, actor="sales", at=day)
        numbers.append(service.register(case.case_id, actor="gm_office", at=day + timedelta(hours=1)).number)
    assert numbers == ["261001", "261002", "261101", "261102"]


def test_p2_num_03_furniture_numbers_at_intake_yearly(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="北京客户", channel=Channel.PHONE, category="product_quality")
    a = service.receive(intake, actor="cs", at=sh(2026, 9, 12), policy_id="furniture")
    b = service.receive(intake, actor="cs", at=sh(2026, 12, 1), policy_id="furniture")
    assert (a.number, b.number) == ("260912001", "261201002")


def test_lookup_by_number_or_id(service: CaseService, sh: Maker) -> None:
    case = service.register(service.receive(INTAKE, actor="s").case_id, actor="g")
    assert case.number is not None
    assert service.get(case.number) == service.get(str(case.case_id)) == service.get(case.case_id)
    with pytest.raises(NotFound):
        service.get("no-such-case")


def test_registering_twice_is_an_illegal_transition_not_a_numbering_error(
    service: CaseService, store: MemoryStore
) -> None:
    """Issue 2: an illegal transition names its rule (CASE-TRANSITION); it said P1-NUM-03 'assigns the case
    number at registered', because the service passes no number for a case that has one."""
    case = service.register(service.receive(INTAKE, actor="s").case_id, actor="g")
    with pytest.raises(DomainError) as error:
        service.register(case.case_id, actor="g")
    assert error.value.rule == "CASE-TRANSITION" and "registered to registered" in error.value.message
    assert service.get(case.case_id) == case and len(store.outbox) == 2


def test_clock_default_time_and_events_in_the_outbox(service: CaseService, store: MemoryStore, sh: Maker) -> None:
    case = service.receive(INTAKE, actor="s")
    assert case.received_at == sh(2026, 11, 2)
    service.register(case.case_id, actor="g")
    assert [e.EVENT_TYPE for e in store.outbox] == ["case.received", "case.registered"]
    assert [e.version for e in store.outbox] == [1, 2]


def test_refused_command_writes_nothing(service: CaseService, store: MemoryStore) -> None:
    case = service.receive(INTAKE, actor="s")
    before = (dict(store.cases), list(store.outbox), dict(store.serials))
    with pytest.raises(DomainError):
        service.close(case.case_id, actor="x")
    with pytest.raises(DomainError):
        service.receive(Intake(customer="x", channel=Channel.PHONE, category="bakery"), actor="s")
    assert (dict(store.cases), list(store.outbox), dict(store.serials)) == before


def test_full_lifecycle_and_deadlines(service: CaseService, sh: Maker) -> None:
    ref = service.receive(INTAKE, actor="s", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="g", at=sh(2026, 11, 2, 10))
    service.start_investigation(ref, actor="q", at=sh(2026, 11, 3))
    service.attribute(ref, actor="q", no_fault=True, at=sh(2026, 11, 4))
    service.propose(ref, actor="s", kind=RemedyKind.EXPLANATION, amount=Decimal("0"), at=sh(2026, 11, 5))
    service.approve(ref, actor="m", role="sales_manager", at=sh(2026, 11, 6))
    service.reply(ref, actor="s", message="说明", at=sh(2026, 11, 7))
    case = service.close(ref, actor="g", at=sh(2026, 11, 20))
    assert case.status is CaseStatus.CLOSED
    (close,) = service.deadlines(ref)
    assert close.met is False, "closed on day 18 of 13 (P1-DL-01)"


def test_second_complaint_through_the_service(service: CaseService, sh: Maker) -> None:
    ref = service.receive(INTAKE, actor="s").case_id
    service.register(ref, actor="g")
    service.find_not_established(ref, actor="q", reason="使用不当")
    service.reply(ref, actor="s", message="说明")
    parent = service.close(ref, actor="g")
    second = service.open_second_complaint(ref, actor="s", description="客户不接受")
    assert second.parent_case_id == parent.case_id and second.intake.description == "客户不接受"
    assert service.get(parent.case_id) == parent


class FlakyUnitOfWork(MemoryUnitOfWork):
    """Commits fail with a conflict the first ``failures`` times."""

    def __init__(self, store: MemoryStore, failures: int) -> None:
        super().__init__(store)
        self.failures = failures

    def commit(self) -> None:
        if self.failures:
            self.failures -= 1
            self.rollback()
            raise ConcurrencyConflict("someone else saved first")
        super().commit()


def test_conflicts_are_retried_then_surfaced(store: MemoryStore, sh: Maker) -> None:
    flaky = FlakyUnitOfWork(store, failures=2)
    service = bootstrap(uow=flaky, clock=FixedClock(sh(2026, 11, 2)))
    case = service.receive(INTAKE, actor="s")
    assert isinstance(case, Case) and len(store.cases) == 1
    flaky.failures = 10
    with pytest.raises(ConcurrencyConflict):
        service.register(case.case_id, actor="g")
    assert store.cases[case.case_id].status is CaseStatus.RECEIVED


class TickingClock:
    """A wall clock that moves on a second at every reading."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


class RacedUnitOfWork(MemoryUnitOfWork):
    """Before its next commit, another writer moves the case on first: the commit then conflicts, as on SQL."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store)
        self.race: Callable[[], object] | None = None

    def commit(self) -> None:
        race, self.race = self.race, None
        if race is not None:
            race()
        super().commit()


def test_a_command_that_waited_for_another_writer_follows_its_step(store: MemoryStore, sh: Maker) -> None:
    """Race audit: a command read the time, then waited for another writer's commit (a row lock, or a conflict
    and a retry); dated before the step it waited for, it was refused [CASE-TIME-ORDER] instead of following it.
    Its time is read once the case is loaded, on every attempt (two threads on one SQLite file refused 1 in 80)."""
    clock = TickingClock(sh(2026, 11, 2))
    raced = RacedUnitOfWork(store)
    service = bootstrap(uow=raced, clock=clock)
    other = bootstrap(uow=MemoryUnitOfWork(store), clock=clock)
    ref = service.receive(INTAKE, actor="s").case_id
    service.register(ref, actor="g")
    raced.race = lambda: other.reach_milestone(ref, "investigation_done", actor="qa")
    case = service.reach_milestone(ref, "negotiation_received", actor="sales")
    assert [m.name for m in case.milestones] == ["investigation_done", "negotiation_received"]
    assert case.milestones[0].at < case.milestones[1].at == case.last_at


def test_lost_update_is_detected(store: MemoryStore, sh: Maker) -> None:
    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)))
    case_id: UUID = service.receive(INTAKE, actor="s").case_id
    uow = MemoryUnitOfWork(store)
    with uow:
        stale = uow.cases.get(case_id)
        service.register(case_id, actor="g")  # someone else moves the case on
        uow.cases.save(stale)
        with pytest.raises(ConcurrencyConflict):
            uow.commit()
    assert store.cases[case_id].status is CaseStatus.REGISTERED


def close_as_not_established(service: CaseService, ref: UUID, sh: Maker, day: int) -> None:
    found = Validity(reason_sufficient=False, request_reasonable=False)  # the auto-dealer records it (P3-CLS-03)
    service.find_not_established(ref, actor="q", reason="误会", validity=found, at=sh(2026, 11, day, 10))
    service.reply(ref, actor="s", message="说明", at=sh(2026, 11, day, 11))
    service.close(ref, actor="g", at=sh(2026, 11, day, 12))


def test_e4_cl_01_a_repeat_complaint_is_classified_major(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="车主", channel=Channel.PHONE, category="repair_quality")
    first = service.receive(intake, actor="cr", policy_id="auto-dealer", at=sh(2026, 11, 2, 9))
    assert service.classify(first.case_id, "general", actor="cr", at=sh(2026, 11, 2, 9)).severity == "general"
    close_as_not_established(service, first.case_id, sh, 2)
    repeat = service.open_second_complaint(first.case_id, actor="cr", at=sh(2026, 11, 3, 9))
    classified = service.classify(repeat.case_id, "general", actor="cr", at=sh(2026, 11, 3, 10))
    assert classified.severity == "major"


def test_p4_cls_04_third_complaint_or_three_days_delay_is_at_least_medium(service: CaseService, sh: Maker) -> None:
    intake = Intake(customer="客户", channel=Channel.PHONE, category=service.policies.get("service").categories[0].code)
    case = service.receive(intake, actor="cs", policy_id="service", at=sh(2026, 11, 2, 9))
    assert (
        service.classify(case.case_id, "light", actor="cs", delay_days=3, at=sh(2026, 11, 2, 10)).severity == "medium"
    )
    close_as_not_established(service, case.case_id, sh, 2)
    second = service.open_second_complaint(case.case_id, actor="cs", at=sh(2026, 11, 3, 9))
    assert service.classify(second.case_id, "light", actor="cs", at=sh(2026, 11, 3, 9)).severity == "light"
    close_as_not_established(service, second.case_id, sh, 3)
    third = service.open_second_complaint(second.case_id, actor="cs", at=sh(2026, 11, 4, 9))
    raised = service.classify(third.case_id, "light", actor="cs", at=sh(2026, 11, 4, 10))
    assert raised.severity == "medium" and raised.repeat_count == 2


def test_p4_cls_04_a_reclassification_keeps_the_delay_counted_before(service: CaseService, sh: Maker) -> None:
    """Left alone in earlier notes: ``classify`` did not keep the delay, so classifying again without it dropped the
    case under the floor its delay had raised it to (P4-DL-08). An explicit delay still corrects it."""
    intake = Intake(customer="客户", channel=Channel.PHONE, category=service.policies.get("service").categories[0].code)
    ref = service.receive(intake, actor="cs", policy_id="service", at=sh(2026, 11, 2, 9)).case_id
    first = service.classify(ref, "light", actor="cs", delay_days=4, at=sh(2026, 11, 2, 10))
    assert (first.severity, first.delay_days) == ("medium", 4)
    again = service.classify(ref, "light", actor="cs", reason="复核", at=sh(2026, 11, 2, 11))
    assert (again.severity, again.delay_days) == ("medium", 4)
    corrected = service.classify(ref, "light", actor="cs", delay_days=0, at=sh(2026, 11, 2, 12))
    assert (corrected.severity, corrected.delay_days) == ("light", 0)
    with pytest.raises(RuleViolation, match="delay_days"):
        service.classify(ref, "light", actor="cs", delay_days=-1, at=sh(2026, 11, 2, 13))
    assert service.get(ref) == corrected


def test_p4_cls_04_e4_cl_01_a_repeat_is_raised_at_intake_by_every_way_it_comes_in(
    store: MemoryStore, service: CaseService, sh: Maker
) -> None:
    """Lifecycle audit: the raise was applied only by ``classify``, so a repeat nobody classified ran to closure
    light (P4-CLS-04) or not major, without its meeting (E4-CL-01); and a second complaint opened by a dissatisfied
    visit counted its parent's chain only, not the customer's other complaints on the issue."""
    from complaint_core import FollowUpService

    category = service.policies.get("service").categories[0].code
    intake = Intake(customer="吴十", channel=Channel.PHONE, category=category)
    b = service.receive(intake, actor="cs", policy_id="service", at=sh(2026, 11, 2, 9)).case_id
    a = service.receive(intake, actor="cs", policy_id="service", at=sh(2026, 11, 2, 10))
    assert (a.repeat_count, a.severity) == (1, None)  # the 2nd: not raised
    for command, kw in [
        ("register", {}),
        ("start_investigation", {}),
        ("attribute", {"no_fault": True}),
        ("propose", {"kind": RemedyKind.EXPLANATION, "amount": Decimal("0")}),
        ("approve", {"role": "gm"}),
        ("reply", {"message": "说明"}),
        ("close", {}),
    ]:
        getattr(service, command)(b, actor="u", at=sh(2026, 11, 3, 10), **kw)
    visits = FollowUpService(service)
    followup = visits.record(
        b, visit=1, reached=True, satisfaction="dissatisfied", notes="仍未改善", actor="cs", at=sh(2026, 11, 4, 10)
    )
    second_id = followup.visit(1).second_case_id
    assert second_id is not None
    second = service.get(second_id)
    assert (second.repeat_count, second.severity) == (2, "medium")  # the 3rd on the issue, raised at once
    third = service.receive(intake, actor="cs", policy_id="service", at=sh(2026, 11, 4, 11))
    assert (third.repeat_count, third.severity) == (3, "medium")
    kinds = [type(e).__name__ for e in store.outbox if e.aggregate_id == third.case_id]
    assert kinds == ["CaseReceived", "SeverityClassified"]


def test_p5_esc_01_02_beyond_authority_goes_up_step_by_step(service: CaseService, sh: Maker) -> None:
    """First contact → complaint manager → outlet head → (confirmed) → head office, each step recorded."""
    policy = service.policies.get("bank-branch")
    intake = Intake(customer="储户", channel=Channel.ON_SITE, category=policy.categories[0].code)
    ref = service.receive(intake, actor="teller.li", policy_id="bank-branch", at=sh(2026, 11, 2, 9)).case_id
    with pytest.raises(DomainError) as err:
        service.reach_milestone(ref, "sent_to_head_office", actor="teller.li", at=sh(2026, 11, 2, 10))
    assert err.value.rule == "P5-ESC-02" and "Confirmed by the outlet head" in str(err.value)
    steps = ["handed_to_complaint_manager", "reported_to_outlet_head", "outlet_head_confirmed", "sent_to_head_office"]
    for hour, step in enumerate(steps, start=10):
        case = service.reach_milestone(ref, step, actor="staff", at=sh(2026, 11, 2, hour))
    assert [m.name for m in case.milestones] == steps


def test_p5_esc_02_head_office_approves_only_what_the_outlet_head_sent_up(service: CaseService, sh: Maker) -> None:
    """Head office (the tier above the outlet head's 2,000.00) approved a case nobody at the outlet had confirmed;
    the tier now names the milestone it follows (``ApprovalTier.after``)."""
    policy = service.policies.get("bank-branch")
    intake = Intake(customer="储户", channel=Channel.ON_SITE, category=policy.categories[0].code)
    ref = service.receive(intake, actor="teller.li", policy_id="bank-branch", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="manager", at=sh(2026, 11, 2, 9))
    service.start_investigation(ref, actor="manager", at=sh(2026, 11, 2, 9))
    service.attribute(
        ref, actor="manager", at=sh(2026, 11, 2, 9), causer=Responsibility.sole(Party(PartyKind.PERSON, "S03"))
    )
    service.propose(
        ref, actor="manager", kind=RemedyKind.COMPENSATION, amount=Decimal("5000.00"), at=sh(2026, 11, 2, 9)
    )
    with pytest.raises(DomainError) as err:
        service.approve(ref, actor="ho", role="outlet_head", at=sh(2026, 11, 2, 10))
    assert err.value.rule == "P5-ESC-02"  # beyond the outlet's authority, to head office: P5's rule, not P1's
    with pytest.raises(DomainError) as err:
        service.approve(ref, actor="ho", role="head_office", at=sh(2026, 11, 2, 10))
    assert err.value.rule == "P5-ESC-02" and "head_office approves only after sent_to_head_office" in str(err.value)
    steps = ["handed_to_complaint_manager", "reported_to_outlet_head", "outlet_head_confirmed", "sent_to_head_office"]
    for step in steps:
        service.reach_milestone(ref, step, actor="staff", at=sh(2026, 11, 2, 11))
    assert service.approve(ref, actor="ho", role="head_office", at=sh(2026, 11, 2, 12)).status.value == "approved"


def test_an_approval_tier_may_only_follow_milestones_the_policy_names() -> None:
    policy = load_preset("bank-branch")
    tiers = (policy.approval[0], attrs.evolve(policy.approval[1], after=("sent_to_head_ofice",)))
    with pytest.raises(PolicyInvalid) as err:
        attrs.evolve(policy, approval=tiers)
    assert err.value.path == "approval[1].after[0]" and "'sent_to_head_ofice' is not a milestone" in str(err.value)


def test_before_commit_hook_runs_inside_the_transaction(service: CaseService, store: MemoryStore) -> None:
    """An adapter's own write joins the case's transaction: a failing hook leaves nothing behind."""
    seen: list[int] = []
    hooked = service.with_hook(lambda uow, case: seen.append(case.version))
    case = hooked.receive(INTAKE, actor="s")
    hooked.register(case.case_id, actor="g")
    assert seen == [1, 2]
    assert service.before_commit is None  # the original service is unchanged

    def refuse(uow: object, case: Case) -> None:
        raise DomainError("the adapter refused", rule="TEST")

    before = (len(store.cases), len(store.outbox))
    with pytest.raises(DomainError):
        service.with_hook(refuse).receive(INTAKE, actor="s")
    assert (len(store.cases), len(store.outbox)) == before


def test_bad_instants_and_references_are_domain_errors_naming_the_field(
    service: CaseService, store: MemoryStore
) -> None:
    """README: every refusal derives from DomainError; a naive or unplaceable instant was a bare ValueError,
    TypeError or OverflowError, and an int reference an AttributeError. InvalidInstant stays a ValueError and
    a TypeError for callers that caught those."""
    from zoneinfo import ZoneInfo

    from complaint_core import InvalidInstant

    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: service.receive(INTAKE, actor="s", at=datetime(2026, 11, 2, 9)), "at must be timezone-aware"),
        (lambda: service.receive(INTAKE, actor="s", at="2026-11-02T09:00"), "at must be a datetime"),  # type: ignore[arg-type]
        (lambda: service.sweep(now=datetime(2026, 11, 19, 9)), "now must be timezone-aware"),
        (
            lambda: service.receive(INTAKE, actor="s", at=datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))),
            "cannot be placed in UTC",
        ),
    ]
    for call, says in cases:
        with pytest.raises(InvalidInstant) as error:
            call()
        assert isinstance(error.value, DomainError) and isinstance(error.value, ValueError | TypeError)
        assert says in error.value.message and error.value.rule == "INSTANT"
    with pytest.raises(NotFound, match="number or id as str"):
        service.register(261101, actor="a")  # type: ignore[arg-type]
    assert not store.cases and not store.outbox


def test_bootstrap_knows_every_bundled_preset_version() -> None:
    """An embedder passing its own SQL unit of work to bootstrap() could not read the cases of a preset's v1."""
    policies = bootstrap().policies
    assert policies.get("manufacturing", 1).version == 1
    assert policies.get("manufacturing") == load_preset("manufacturing")


def test_a_complaint_received_with_its_severity_is_classified_in_the_same_transaction(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """`receive(severity=…)`: both events commit together; a severity the policy lacks stores nothing at all (the
    CLI's `case open --severity` and a CRM ticket's severity go this way)."""
    intake = Intake(customer="客户", channel=Channel.PHONE, category="quality")
    with pytest.raises(DomainError):
        service.receive(intake, actor="cs", policy_id="service", severity="bogus", at=sh(2026, 11, 2, 9))
    assert not store.cases and not store.outbox
    case = service.receive(intake, actor="cs", policy_id="service", severity="severe", at=sh(2026, 11, 2, 9))
    assert (case.severity, case.version) == ("severe", 2)
    assert [e.EVENT_TYPE for e in store.outbox] == ["case.received", "case.severity_classified"]


def test_receive_refuses_a_date_outside_the_calendar_of_a_policy_counting_working_days(
    service: CaseService, store: MemoryStore, sh: Maker
) -> None:
    """DOMAIN §4: the CLI refused such an intake, a CRM ticket was stored without due times; the service refuses it
    for every caller. A policy without working-day clocks or ladders (bank-branch) needs no calendar."""
    from complaint_core import CalendarNotCovered

    with pytest.raises(CalendarNotCovered) as refused:
        service.receive(INTAKE, actor="cs", at=sh(2003, 6, 2, 9))
    assert refused.value.first.year == 2004 and not store.cases and not store.outbox
    bank = service.policies.get("bank-branch")
    intake = Intake(customer="储户", channel=Channel.ON_SITE, category=bank.categories[0].code)
    assert not bank.counts_working_days and service.policies.get("manufacturing").counts_working_days
    assert service.receive(intake, actor="teller", policy_id="bank-branch", at=sh(2003, 6, 2, 9)).version == 1


def test_deadlines_refuse_a_naive_as_of(service: CaseService, sh: Maker) -> None:
    """API audit: a naive ``as_of`` was read in the process's own zone (a due a day apart under TZ=UTC and
    TZ=America/Los_Angeles), a text one gave an AttributeError, and ``Deadline.overdue_at`` a bare TypeError."""
    from complaint_core import InvalidInstant

    ref = service.register(service.receive(INTAKE, actor="s").case_id, actor="g").case_id
    for as_of in (datetime(2026, 11, 10, 9), "2026-11-10"):
        with pytest.raises(InvalidInstant, match="as_of must be"):
            service.deadlines(ref, as_of=as_of)  # type: ignore[arg-type]
    (deadline,) = service.deadlines(ref, as_of=sh(2026, 11, 10))
    with pytest.raises(InvalidInstant, match="now must be timezone-aware"):
        deadline.overdue_at(datetime(2026, 11, 30))
    assert deadline.overdue_at(sh(2026, 11, 30)) and not deadline.overdue_at(sh(2026, 11, 3))


def test_p4_dl_01_a_command_whose_deadline_needs_a_year_not_loaded_changes_nothing(
    store: MemoryStore, sh: Maker
) -> None:
    """Calendar audit: an internal ticket of 2 working days opened on 2026-12-31 was stored while its deadline could
    not be computed (the bundled calendar ends with 2026). The command is refused and nothing is written, on every
    store, as a command dated outside the calendar is."""
    from complaint_core import CalendarNotCovered, CaseKind

    service = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 31, 10)), default_policy="service")
    ticket = Intake(customer="Q", channel=Channel.LETTER, category="quality", kind=CaseKind.INTERNAL)
    with pytest.raises(CalendarNotCovered, match="2027-01-01 is outside"):
        service.receive(ticket, actor="cs")
    assert not store.cases and not store.outbox
    earlier = service.receive(ticket, actor="cs", at=sh(2026, 12, 28, 10))  # due by 12-30: no day of 2027 needed
    service.register(earlier.case_id, actor="cs", at=sh(2026, 12, 28, 11))
    started = service.start_investigation(earlier.case_id, actor="cs", at=sh(2026, 12, 28, 12))
    with pytest.raises(CalendarNotCovered):  # the head's reply clock: 1 working day from 12-31
        service.reach_milestone(earlier.case_id, "forwarded_to_head", actor="cs")
    assert store.cases[earlier.case_id] is started and len(store.outbox) == 3


def test_check_deadlines_follows_the_policy_adopted_and_spares_commands_that_move_no_deadline(
    store: MemoryStore, sh: Maker, tmp_path: Path
) -> None:
    """Review: adopting a version whose close clock counts working days was checked against the old version
    (calendar days only), so the case was stored with a due its calendar cannot compute; and recording a cause,
    which builds a new intake but selects the same rules, was refused like a new deadline."""
    from adapters.memory import MemoryPolicies
    from adapters.policy_files import PRESETS, preset_versions
    from complaint_core import CalendarNotCovered, CaseKind, Limit, TimeUnit

    presets = [p for name in PRESETS for p in preset_versions(name)]
    latest = max((p for p in presets if p.policy_id == "manufacturing"), key=lambda p: p.version)
    assert not latest.deadlines_need_calendar  # 13/17 calendar days (P1-DL-01)
    counted = attrs.evolve(
        latest,
        version=latest.version + 1,
        clocks=tuple(
            attrs.evolve(r, limit=Limit(5, TimeUnit.WORKING_DAYS)) if r.name == "close" else r for r in latest.clocks
        ),
    )
    clock = FixedClock(sh(2026, 12, 30, 9))
    before = bootstrap(uow=MemoryUnitOfWork(store), policies=MemoryPolicies(presets), clock=clock)
    case = before.register(before.receive(INTAKE, actor="s", policy_id="manufacturing").case_id, actor="g")
    service = bootstrap(uow=MemoryUnitOfWork(store), policies=MemoryPolicies([*presets, counted]), clock=clock)
    with pytest.raises(CalendarNotCovered):  # 12-30 + 5 working days needs 2027
        service.adopt_policy(case.case_id, actor="g", version=counted.version)
    assert store.cases[case.case_id] is case

    cal = tmp_path / "cn-2027.toml"
    cal.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "utf-8")
    loaded = bootstrap(uow=MemoryUnitOfWork(store), calendar_files=[cal], clock=FixedClock(sh(2026, 12, 31, 9)))
    ticket = Intake(customer="Q", channel=Channel.LETTER, category="quality", kind=CaseKind.INTERNAL)
    opened = loaded.receive(ticket, actor="cs", policy_id="service")  # its clocks run into 2027
    bundled = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 31, 10)))
    assert bundled.record_cause(opened.case_id, actor="qa", cause_code="X1").intake.cause_code == "X1"


# -- Found by mutation testing: retry bounds, the borders of a command's time and calendar, numbering.


@pytest.mark.parametrize(("retries", "failures", "commits"), [(0, 0, True), (0, 1, False), (3, 3, True), (3, 4, False)])
def test_a_conflict_is_retried_exactly_conflict_retries_times(
    store: MemoryStore, sh: Maker, retries: int, failures: int, commits: bool
) -> None:
    flaky = FlakyUnitOfWork(store, failures=failures)
    service = bootstrap(uow=flaky, clock=FixedClock(sh(2026, 11, 2)))
    service.conflict_retries = retries
    if commits:
        service.receive(INTAKE, actor="s")
    else:
        with pytest.raises(ConcurrencyConflict):
            service.receive(INTAKE, actor="s")
    assert (len(store.cases), flaky.failures) == (int(commits), 0 if commits else failures - retries - 1)


def test_a_service_retries_three_times_by_default(sh: Maker) -> None:
    assert bootstrap(clock=FixedClock(sh(2026, 11, 2))).conflict_retries == 3


def test_a_read_runs_in_the_unit_of_work_given(service: CaseService, store: MemoryStore) -> None:
    """``within``: a read-only unit of work given by the caller is the one read, the service's own is left alone."""
    case = service.receive(INTAKE, actor="clerk")
    other = MemoryUnitOfWork(MemoryStore())
    with within(service.uow, other) as reading:
        assert reading is other
    with within(service.uow, None) as reading:
        assert reading is service.uow and reading.cases.get(case.case_id) == case


def test_a_command_may_be_dated_exactly_max_ahead(service: CaseService, sh: Maker) -> None:
    service.max_ahead = timedelta(minutes=10)
    edge = sh(2026, 11, 2) + timedelta(minutes=10)
    assert service.recorded_at(edge) == edge
    with pytest.raises(RuleViolation, match="later than now"):
        service.recorded_at(edge + timedelta(microseconds=1))


def test_the_calendars_first_and_last_days_are_covered(service: CaseService) -> None:
    policy = service.policies.get("manufacturing")
    calendar = service.calendar_for(policy)
    tz = policy.tz
    for day in (calendar.first, calendar.last):
        service.check_covered(policy, datetime(day.year, day.month, day.day, 12, tzinfo=tz))
    for day in (calendar.first - timedelta(days=1), calendar.last + timedelta(days=1)):
        with pytest.raises(CalendarNotCovered):
            service.check_covered(policy, datetime(day.year, day.month, day.day, 12, tzinfo=tz))


def test_a_second_complaint_without_a_description_keeps_the_first_ones(service: CaseService) -> None:
    first = service.receive(attrs.evolve(INTAKE, description="划伤"), actor="clerk")
    service.register(first.case_id, actor="g")
    service.find_not_established(first.case_id, actor="q", reason="使用不当")
    service.reply(first.case_id, actor="s", message="说明")
    service.close(first.case_id, actor="g")
    assert service.open_second_complaint(first.case_id, actor="clerk").intake.description == "划伤"
    assert (
        service.open_second_complaint(first.case_id, actor="clerk", description="仍划伤").intake.description == "仍划伤"
    )


def test_p2_num_03_registering_a_case_numbered_at_intake_takes_no_second_number(service: CaseService) -> None:
    intake = attrs.evolve(INTAKE, category="product_quality")
    first = service.receive(intake, actor="clerk", policy_id="furniture")
    service.register(first.case_id, actor="gm_office")
    assert service.get(first.case_id).number == first.number
    second = service.receive(intake, actor="clerk", policy_id="furniture")
    assert int(second.number or "0") == int(first.number or "0") + 1  # no serial was spent on the registration


def test_p1_num_a_number_taken_by_another_policy_with_the_same_template_is_skipped(sh: Maker) -> None:
    """Two policies number alike (a copy of a preset): each has its serials, and the second's first case skips
    the number the first one's took (a case number is unique in the store)."""
    copy = attrs.evolve(load_preset("manufacturing"), policy_id="manufacturing-copy")
    service = bootstrap(clock=FixedClock(sh(2026, 11, 2)), extra_policies=[copy])
    taken = service.register(service.receive(INTAKE, actor="clerk").case_id, actor="gm_office").number
    other = service.receive(INTAKE, actor="clerk", policy_id="manufacturing-copy")
    number = service.register(other.case_id, actor="gm_office").number
    assert taken is not None and number is not None and number != taken
    assert int(number) == int(taken) + 1


def test_a_case_settles_after_its_penalties_last_step(service: CaseService, sh: Maker) -> None:
    """CASE-TIME-ORDER: a settlement dated before its assessment's approval would say it settled first."""
    from complaint_core.organisation import Department, DepartmentKind, Organisation, Person
    from complaint_core.penalty_orders import LossOrder, PenaltyOrder
    from complaint_core.penalty_service import PenaltyService

    org = Organisation(
        departments=(Department("sales", "业务部", DepartmentKind.SALES),),
        people=(Person(id="S1", name="销售甲", department="sales"),),
    )
    penalties = PenaltyService(service, organisation=type("Org", (), {"get": lambda _: org})())
    ref = service.receive(INTAKE, actor="clerk", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))
    service.start_investigation(ref, actor="quality", at=sh(2026, 11, 2, 11))
    causer = Responsibility.sole(Party(PartyKind.PERSON, "S1"))
    service.attribute(ref, actor="quality", causer=causer, at=sh(2026, 11, 2, 12))
    service.propose(ref, actor="sales", kind=RemedyKind.EXPLANATION, amount=Decimal("0"), at=sh(2026, 11, 2, 13))
    service.approve(ref, actor="m", role="sales_manager", at=sh(2026, 11, 2, 14))
    service.reply(ref, actor="sales", message="ok", reaction="accepted", at=sh(2026, 11, 2, 15))
    service.close(ref, actor="gm_office", at=sh(2026, 11, 2, 16))
    proposal = penalties.assess(
        ref, PenaltyOrder(loss=LossOrder(actual_loss=Decimal("100.00"))), actor="qa", at=sh(2026, 11, 2, 17)
    )
    penalties.approve(proposal.assessment_id, role="gm", actor="gm", at=sh(2026, 11, 3, 9))
    with pytest.raises(RuleViolation, match="settles after its returns, allowances and penalties") as err:
        service.settle(ref, actor="finance", at=sh(2026, 11, 3, 8))
    assert err.value.rule == "CASE-TIME-ORDER" and service.get(ref).status is CaseStatus.CLOSED
    assert service.settle(ref, actor="finance", at=sh(2026, 11, 3, 9)).status is CaseStatus.SETTLED


def test_a_second_complaint_with_new_product_lines_is_checked_against_the_bounds(service: CaseService) -> None:
    """Lines carried from the parent are not new (they may predate the bounds); lines the second complaint brings
    are, like any complaint's."""
    from complaint_core.intake import MAX_QUANTITY, ProductLine

    first = service.receive(INTAKE, actor="clerk")
    service.register(first.case_id, actor="g")
    service.find_not_established(first.case_id, actor="q", reason="使用不当")
    service.reply(first.case_id, actor="s", message="说明")
    service.close(first.case_id, actor="g")
    huge = attrs.evolve(INTAKE, lines=(ProductLine(part_no="P1", quantity=Decimal(MAX_QUANTITY) + 1),))
    with pytest.raises(RuleViolation, match=r"lines\[0\]\.quantity must be at most") as err:
        service.receive(huge, actor="clerk", parent=first.case_id)
    assert err.value.rule == "INTAKE"


def test_without_a_policy_a_complaint_is_refused_by_name(store: MemoryStore, sh: Maker) -> None:
    bare = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 11, 2)), default_policy=None)
    with pytest.raises(NotFound, match="no policy given and the service has no default policy"):
        bare.receive(INTAKE, actor="clerk")
    assert bare.receive(INTAKE, actor="clerk", policy_id="manufacturing").policy_id == "manufacturing"


def test_check_deadlines_computes_the_clocks_a_command_starts_or_reselects_and_spares_the_rest(
    store: MemoryStore, sh: Maker, tmp_path: Path
) -> None:
    """An internal ticket opened on 12-31 where 2027 was loaded has running clocks due in 2027. Where it is not
    loaded, a step that only stops a clock or records a cause goes ahead; one that starts a clock due in 2027, a
    new severity or category (their rules are selected again), another policy version, or no ``before`` (a new
    case) computes every running clock and is refused."""
    from complaint_core import CaseKind
    from complaint_core.clocks import ClockState

    cal = tmp_path / "cn-2027.toml"
    cal.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "utf-8")
    loaded = bootstrap(uow=MemoryUnitOfWork(store), calendar_files=[cal], clock=FixedClock(sh(2026, 12, 31)))
    bundled = bootstrap(uow=MemoryUnitOfWork(store), clock=FixedClock(sh(2026, 12, 31, 12)))
    ticket = Intake(customer="前台", channel=Channel.PHONE, category="attitude", kind=CaseKind.INTERNAL)
    received = loaded.receive(ticket, actor="cs", at=sh(2026, 12, 31), policy_id="service")
    forwarded = loaded.reach_milestone(received.case_id, "forwarded_to_head", actor="cs", at=sh(2026, 12, 31, 10))
    replied = loaded.reach_milestone(received.case_id, "head_replied", actor="head", at=sh(2026, 12, 31, 11))
    policy = bundled.policy_of(received)
    caused = attrs.evolve(replied, intake=attrs.evolve(replied.intake, cause_code="X1"))
    # a clock started again earlier in December (due in 2026) is computed, the close clock beside it is not
    again = ClockState(name="first_investigation", started_at=sh(2026, 12, 1, 9))
    restarted = attrs.evolve(replied, clocks=(*(c for c in replied.clocks if c.name != again.name), again))
    for new, before in ((replied, forwarded), (caused, replied), (restarted, replied)):
        bundled.check_deadlines(new, policy, before)
    for new, before in (
        (replied, None),
        (forwarded, received),  # head_reply starts
        (attrs.evolve(replied, severity="severe"), replied),
        (attrs.evolve(replied, intake=attrs.evolve(replied.intake, category="delay")), replied),
        (replied, attrs.evolve(replied, policy_version=replied.policy_version + 1)),
        (replied, attrs.evolve(replied, policy_id="other")),
    ):
        with pytest.raises(CalendarNotCovered):
            bundled.check_deadlines(new, policy, before)
    with pytest.raises(SweepIncomplete, match=r"1 case\(s\) not swept .*; 0 action\(s\) recorded for the others"):
        bundled.sweep(now=sh(2027, 1, 6))
    with pytest.raises(SweepIncomplete, match=r"0 action\(s\) due \(a dry run: nothing recorded\)"):
        bundled.preview_sweep(bundled.uow, now=sh(2027, 1, 6))


def test_a_case_whose_last_step_is_after_the_sweeps_now_waits_for_a_later_sweep(
    service: CaseService, sh: Maker
) -> None:
    """No event may be dated before the case's last one: a sweep at an earlier ``now`` leaves the case alone, one
    at the very instant of its last step records its overdue levels."""
    ref = service.receive(INTAKE, actor="sales", at=sh(2026, 11, 2, 9)).case_id
    service.register(ref, actor="gm_office", at=sh(2026, 11, 2, 10))  # close due at the end of 11-15 (P1-DL-01)
    service.start_investigation(ref, actor="quality", at=sh(2026, 11, 20, 10))
    assert service.preview_sweep(service.uow, now=sh(2026, 11, 20, 9)) == ()
    assert service.sweep(now=sh(2026, 11, 20, 9)) == ()
    swept = service.sweep(now=sh(2026, 11, 20, 10))
    assert [(a.case_id, a.clock) for a in swept] and {a.case_id for a in swept} == {ref}
