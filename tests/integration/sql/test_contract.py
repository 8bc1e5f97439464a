"""One contract for the case repository, the serials and the unit of work, on every store.

The same tests run on the in-memory fakes, on a SQLite file and on a real PostgreSQL: what the service layer relies
on must hold whichever store the composition root picks.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest
from sqlkit import AT, INTAKE, Backend, add_committed, classify, new_case, policies, sh

from adapters.memory import MemoryPolicies
from complaint_core import Case, CaseStatus, ConcurrencyConflict, Market, NotFound
from complaint_core.clocks import Limit
from complaint_core.policy import TimeUnit


def stored(backend: Backend, case: Case) -> Case:
    uow = backend.uow()
    with uow:
        return uow.cases.get(case.case_id)


# ----- add / get / find_by_number ----------------------------------------------------------------------------------
def test_add_then_get_and_find_by_number(backend: Backend) -> None:
    case, events = new_case("furniture", number="261102001")
    add_committed(backend, case, events)
    uow = backend.uow()
    with uow:
        assert uow.cases.get(case.case_id) == case
        assert uow.cases.find_by_number("261102001") == case
        assert uow.cases.find_by_number("nope") is None
        with pytest.raises(NotFound):
            uow.cases.get(uuid4())
        assert [c.case_id for c in uow.cases.all()] == [case.case_id]


def test_commit_makes_case_history_and_outbox_visible(backend: Backend) -> None:
    service = backend.service()
    case = service.receive(INTAKE, actor="sales", at=AT, policy_id="manufacturing")
    case = service.register(case.case_id, actor="gm_office", at=AT)
    assert stored(backend, case) == case and case.number == "261101"
    assert [(e.EVENT_TYPE, e.version) for e in backend.history(case.case_id)] == [
        ("case.received", 1),
        ("case.registered", 2),
    ]
    assert backend.outbox_count() == 2
    assert backend.serial("manufacturing", "2026-11") == 1


def test_leaving_without_commit_rolls_everything_back(backend: Backend) -> None:
    policy = policies().get("manufacturing")
    received, first = Case.receive(policy, case_id=uuid4(), intake=INTAKE, at=AT, actor="sales")
    uow = backend.uow()
    with uow:
        uow.cases.add(received)
        serial = uow.serials.next_serial("manufacturing", "2026-11")
        _registered, second = received.register(policy, at=AT, actor="gm", number=f"2611{serial:02}")
        uow.outbox.add(first + second)
        # inside the transaction the writes are visible to itself
        assert uow.cases.get(received.case_id) == received
    with uow, pytest.raises(NotFound):
        uow.cases.get(received.case_id)
    assert backend.history(received.case_id) == []
    assert backend.outbox_count() == 0
    assert backend.serial("manufacturing", "2026-11") is None


def test_an_exception_in_the_block_rolls_back(backend: Backend) -> None:
    case, events = new_case()
    uow = backend.uow()
    with pytest.raises(RuntimeError), uow:
        uow.cases.add(case)
        uow.outbox.add(events)
        raise RuntimeError("boom")
    with uow, pytest.raises(NotFound):
        uow.cases.get(case.case_id)
    assert backend.outbox_count() == 0


def test_explicit_rollback_then_reuse(backend: Backend) -> None:
    case, events = new_case()
    uow = backend.uow()
    with uow:
        uow.cases.add(case)
        uow.rollback()
        with pytest.raises(NotFound):
            uow.cases.get(case.case_id)
        uow.cases.add(case)
        uow.outbox.add(events)
        uow.commit()
    assert stored(backend, case) == case
    assert backend.outbox_count() == 1


# ----- save --------------------------------------------------------------------------------------------------------
def test_save_bumps_the_stored_version(backend: Backend) -> None:
    case, events = new_case()
    add_committed(backend, case, events)
    for expected in (2, 3, 4):
        uow = backend.uow()
        with uow:
            new, more = classify(uow.cases.get(case.case_id))
            uow.cases.save(new)
            uow.outbox.add(more)
            uow.commit()
        again = stored(backend, case)
        assert again.version == expected and again == new and again.severity == "light"
    assert [e.version for e in backend.history(case.case_id)] == [1, 2, 3, 4]


def test_save_needs_a_load_in_the_same_unit_of_work(backend: Backend) -> None:
    case, events = new_case()
    add_committed(backend, case, events)
    new, _ = classify(case)
    uow = backend.uow()
    with uow, pytest.raises(NotFound):
        uow.cases.save(new)
    with uow:
        uow.cases.get(case.case_id)
    with uow, pytest.raises(NotFound):  # what was loaded in an earlier block does not count
        uow.cases.save(new)


def test_stale_save_is_refused(backend: Backend) -> None:
    """Two units of work load the same version and both save: the second one must not win (no lost update)."""
    case, events = new_case()
    add_committed(backend, case, events)
    uow_a, uow_b = backend.uow(), backend.uow()
    if backend.serialises_writers:
        # SQLite takes the write lock when the transaction begins (BEGIN IMMEDIATE), so B cannot even load the
        # version A loaded: B waits for A, then loads A's result. Prove B waited and nothing was lost.
        b_saw: list[int] = []

        def b() -> None:
            with uow_b:
                loaded = uow_b.cases.get(case.case_id)
                b_saw.append(loaded.version)
                uow_b.cases.save(classify(loaded, "severe")[0])
                uow_b.commit()

        with uow_a:
            a = uow_a.cases.get(case.case_id)
            thread = threading.Thread(target=b)
            thread.start()
            thread.join(0.5)
            assert thread.is_alive() and b_saw == [], "B loaded while A's write transaction was open"
            uow_a.cases.save(classify(a, "medium")[0])
            uow_a.commit()
        thread.join(30)
        assert not thread.is_alive()
        assert b_saw == [2]
        final = stored(backend, case)
        assert (final.version, final.severity) == (3, "severe")
        return
    with uow_a, uow_b:
        a = uow_a.cases.get(case.case_id)
        b = uow_b.cases.get(case.case_id)
        assert a.version == b.version == 1
        new_a, events_a = classify(a, "medium")
        uow_a.cases.save(new_a)
        uow_a.outbox.add(events_a)
        uow_a.commit()
        new_b, events_b = classify(b, "severe")
        with pytest.raises(ConcurrencyConflict):
            uow_b.cases.save(new_b)
            uow_b.outbox.add(events_b)
            uow_b.commit()
    final = stored(backend, case)
    assert (final.version, final.severity) == (2, "medium")
    assert [(e.version, e.actor) for e in backend.history(case.case_id)] == [(1, "sales"), (2, "qa")]
    assert backend.outbox_count() == 2


# ----- serials -----------------------------------------------------------------------------------------------------
def test_serials_strictly_increase_per_policy_and_period(backend: Backend) -> None:
    got: dict[tuple[str, str], list[int]] = {}
    keys = [
        ("manufacturing", "2026-11"),
        ("manufacturing", "2026-12"),
        ("furniture", "2026"),
        ("manufacturing", "2026-11"),
    ]
    for key in keys * 3:
        uow = backend.uow()
        with uow:
            got.setdefault(key, []).append(uow.serials.next_serial(*key))
            uow.commit()
    assert got == {
        ("manufacturing", "2026-11"): [1, 2, 3, 4, 5, 6],
        ("manufacturing", "2026-12"): [1, 2, 3],
        ("furniture", "2026"): [1, 2, 3],
    }
    uow = backend.uow()
    with uow:  # several in one transaction
        assert [uow.serials.next_serial("manufacturing", "2026-12") for _ in range(3)] == [4, 5, 6]
        uow.commit()
    assert backend.serial("manufacturing", "2026-12") == 6


def test_a_rolled_back_serial_may_be_reused_a_committed_one_never(backend: Backend) -> None:
    uow = backend.uow()
    with uow:
        assert uow.serials.next_serial("p", "2026") == 1
        uow.commit()
    with uow:
        rolled_back = uow.serials.next_serial("p", "2026")
        assert rolled_back == 2
    with uow:
        assert uow.serials.next_serial("p", "2026") <= rolled_back  # may be reused ...
        uow.commit()
    with uow:
        assert uow.serials.next_serial("p", "2026") == 3  # ... but committed ones never
        uow.rollback()
        assert uow.serials.next_serial("p", "2026") == 3
        uow.commit()
    assert backend.serial("p", "2026") == 3


# ----- numbers -----------------------------------------------------------------------------------------------------
def test_duplicate_number_refused_on_add(backend: Backend) -> None:
    first, events = new_case("furniture", number="261102001")
    add_committed(backend, first, events)
    second, more = new_case("furniture", number="261102001")
    uow = backend.uow()
    with uow, pytest.raises(ConcurrencyConflict):
        uow.cases.add(second)
        uow.outbox.add(more)
        uow.commit()
    uow = backend.uow()
    with uow:
        assert uow.cases.find_by_number("261102001") == first
        with pytest.raises(NotFound):
            uow.cases.get(second.case_id)


def test_duplicate_case_id_refused(backend: Backend) -> None:
    case, events = new_case()
    add_committed(backend, case, events)
    uow = backend.uow()
    with uow, pytest.raises(ConcurrencyConflict):
        uow.cases.add(attrs.evolve(case, intake=attrs.evolve(INTAKE, customer="another")))
        uow.commit()
    assert stored(backend, case) == case


def test_duplicate_number_refused_on_save(backend: Backend) -> None:
    """A number given at registration that another case holds already is refused, not silently shared."""
    policy = policies().get("manufacturing")
    cases = [new_case("manufacturing") for _ in range(2)]
    for case, events in cases:
        add_committed(backend, case, events)
    (a, _), (b, _) = cases
    uow = backend.uow()
    with uow:
        uow.cases.save(uow.cases.get(a.case_id).register(policy, at=AT, actor="gm", number="261101")[0])
        uow.commit()
    with uow, pytest.raises(ConcurrencyConflict):
        uow.cases.save(uow.cases.get(b.case_id).register(policy, at=AT, actor="gm", number="261101")[0])
        uow.commit()
    assert stored(backend, b).number is None
    holder = stored(backend, a)
    with uow:
        assert uow.cases.find_by_number("261101") == holder


# ----- sweep candidates --------------------------------------------------------------------------------------------
def due_at(case: Case, as_of) -> bool:
    """Has the case a running clock due at or before ``as_of``? (the domain's own deadline computation)"""
    from sqlkit import calendars

    policy = policies().get(case.policy_id, case.policy_version)
    deadlines = case.deadlines(policy, calendars().get(policy.calendar))
    return any(d.stopped_at is None and d.due is not None and d.due <= as_of for d in deadlines)


def test_sweep_candidates_contain_every_case_due(backend: Backend) -> None:
    service = backend.service()
    mk = lambda at, market=Market.DOMESTIC: service.receive(  # noqa: E731
        attrs.evolve(INTAKE, market=market), actor="s", at=at, policy_id="manufacturing"
    )
    early = service.register(mk(sh(2026, 11, 2)).case_id, actor="g", at=sh(2026, 11, 2))  # close due ~11-15
    late = service.register(mk(sh(2026, 11, 16)).case_id, actor="g", at=sh(2026, 11, 16))  # due ~11-29
    foreign = service.register(mk(sh(2026, 11, 2), Market.FOREIGN).case_id, actor="g", at=sh(2026, 11, 2))  # due 11-19
    unregistered = mk(sh(2026, 11, 1))  # no clock yet
    closed = service.register(mk(sh(2026, 10, 20)).case_id, actor="g", at=sh(2026, 10, 20))
    closed = service.find_not_established(closed.case_id, actor="q", reason="使用不当", at=sh(2026, 10, 21))
    closed = service.reply(closed.case_id, actor="s", message="说明", at=sh(2026, 10, 21))
    closed = service.close(closed.case_id, actor="g", at=sh(2026, 10, 22))
    assert closed.status is CaseStatus.CLOSED
    everything = [early, late, foreign, unregistered, closed]
    for as_of in (sh(2026, 11, 10), sh(2026, 11, 17), sh(2026, 11, 20), sh(2026, 12, 31)):
        uow = backend.uow()
        with uow:
            found = {c.case_id for c in uow.cases.sweep_candidates(as_of)}
        due = {c.case_id for c in everything if due_at(c, as_of)}
        assert due <= found, f"missing at {as_of}: {due - found}"
        if backend.indexed:  # the index picks exactly the due ones (none of these has an inquiry pending)
            assert found == due
    assert {c.case_id for c in everything if due_at(c, sh(2026, 11, 17))} == {early.case_id}


def test_sweep_candidates_follow_a_policy_change(backend: Backend) -> None:
    """Adopting a newer policy version can move a deadline: the sweep must see the new one."""
    manufacturing = policies().get("manufacturing")
    faster = attrs.evolve(
        manufacturing,
        version=manufacturing.version + 1,
        clocks=tuple(
            attrs.evolve(rule, limit=Limit(1, TimeUnit.CALENDAR_DAYS)) if rule.name == "close" else rule
            for rule in manufacturing.clocks
        ),
    )
    both = MemoryPolicies([*(policies().get(p) for p in ("manufacturing", "service")), faster])
    from sqlkit import calendars

    from entrypoints.bootstrap import bootstrap

    case = backend.service().receive(INTAKE, actor="s", at=sh(2026, 11, 2), policy_id="manufacturing")
    case = backend.service().register(case.case_id, actor="g", at=sh(2026, 11, 2))
    assert case.policy_version == manufacturing.version
    if backend.database is not None:
        from adapters.sql.indexing import clock_indexer

        uow = backend.database.unit_of_work(clock_indexer(both, calendars()))
    else:
        uow = backend.uow()
    service = bootstrap(uow=uow, policies=both, calendars=calendars())
    case = service.adopt_policy(case.case_id, actor="g", version=faster.version, at=sh(2026, 11, 2, 10))
    as_of = sh(2026, 11, 5)
    deadlines = case.deadlines(faster, calendars().get(faster.calendar))
    assert any(d.due is not None and d.due <= as_of for d in deadlines)
    with uow:
        assert case.case_id in {c.case_id for c in uow.cases.sweep_candidates(as_of)}


def test_sweep_after_due_records_and_is_idempotent(backend: Backend) -> None:
    service = backend.service()
    case = service.receive(INTAKE, actor="s", at=sh(2026, 11, 2), policy_id="manufacturing")
    service.register(case.case_id, actor="g", at=sh(2026, 11, 2))
    first = service.sweep(now=sh(2026, 11, 30))
    assert first, "the close clock is overdue: the sweep must escalate"
    assert service.sweep(now=sh(2026, 11, 30)) == ()
    history = backend.history(case.case_id)
    assert stored(backend, case).version == len(history) >= 3
    assert [e.version for e in history] == list(range(1, len(history) + 1))


def test_sweep_candidates_contain_a_closed_case_awaiting_its_inquiry(backend: Backend) -> None:
    """P1-ESC-02: a case closed after one of its clocks stopped late awaits an inquiry: the sweep must see it.

    bank-branch: the reply clock (3 calendar days) stops at ``replied``; the case is replied late, then closed.
    Closing changes no clock, only the status.
    """
    service = backend.service()
    intake = attrs.evolve(INTAKE, category="service")
    case = service.receive(intake, actor="s", at=sh(2026, 11, 2), policy_id="bank-branch")
    case = service.register(case.case_id, actor="g", at=sh(2026, 11, 2))
    case = service.find_not_established(case.case_id, actor="q", reason="误解", at=sh(2026, 11, 3))
    case = service.reply(case.case_id, actor="s", message="说明", at=sh(2026, 11, 10))  # day 8 of 3: late
    case = service.close(case.case_id, actor="g", at=sh(2026, 11, 11))
    assert case.status is CaseStatus.CLOSED and all(c.stopped_at is not None for c in case.clocks)
    from sqlkit import calendars

    from complaint_core.escalation import case_inquiries

    policy = policies().get("bank-branch")
    assert case_inquiries(case, policy, calendars().get(policy.calendar)), "the domain says an inquiry is due"
    uow = backend.uow()
    with uow:
        assert case.case_id in {c.case_id for c in uow.cases.sweep_candidates(sh(2026, 11, 12))}
    swept = service.sweep(now=sh(2026, 11, 12))
    assert swept == () and [e.EVENT_TYPE for e in backend.history(case.case_id)][-1] == "case.inquiry_issued"


def test_of_customer_finds_the_repeats_on_every_store(backend: Backend) -> None:
    """P4-CLS-04: the service counts a customer's earlier complaints on the same issue through ``of_customer``."""
    service = backend.service()
    other = attrs.evolve(INTAKE, customer="南方电器")
    first = service.receive(INTAKE, actor="cs", at=AT, policy_id="service")
    service.receive(other, actor="cs", at=AT + timedelta(hours=1), policy_id="service")
    second = service.receive(INTAKE, actor="cs", at=AT + timedelta(days=3), policy_id="service")
    third = service.receive(INTAKE, actor="cs", at=AT + timedelta(days=5), policy_id="service")
    blanks = attrs.evolve(INTAKE, customer=f" {INTAKE.customer}\u3000")  # the same customer (repeats.same_issue)
    fourth = service.receive(blanks, actor="cs", at=AT + timedelta(days=6), policy_id="service")
    assert [c.repeat_count for c in (first, second, third, fourth)] == [0, 1, 2, 3]
    uow = backend.uow()
    with uow:
        found = list(uow.cases.of_customer(INTAKE.customer))
        assert [c.case_id for c in found] == [c.case_id for c in (first, second, third, fourth)]
        assert [c.case_id for c in uow.cases.of_customer(blanks.customer)] == [c.case_id for c in found]
        assert list(uow.cases.of_customer("nobody")) == []


def test_attributed_to_finds_a_persons_complaints_of_a_month_on_every_store(backend: Backend) -> None:
    """F4-PN-01: the count tier counts the complaints whose fault attribution names the person, received in the
    month; a person who only handles a case, is late on it, or shares a department's fault is not counted."""
    from complaint_core.responsibility import FaultShare, Party, PartyKind, Responsibility
    from complaint_core.timeutil import month_span

    service = backend.service()
    s1, s2 = Party(PartyKind.PERSON, "S1"), Party(PartyKind.PERSON, "S2")

    def attributed(at, **slots) -> Case:
        ref = service.receive(INTAKE, actor="cs", at=at, policy_id="manufacturing").case_id
        service.register(ref, actor="gm", at=at + timedelta(minutes=1))
        service.start_investigation(ref, actor="qa", at=at + timedelta(minutes=2))
        return service.attribute(ref, actor="qa", at=at + timedelta(minutes=3), **slots)

    halves = Responsibility((FaultShare(s2, Decimal("0.5")), FaultShare(s1, Decimal("0.5"))))
    later = attributed(sh(2026, 11, 30, 23, 55), causer=Responsibility.sole(s1))
    early = attributed(sh(2026, 11, 1, 0, 0), causer=halves)
    attributed(sh(2026, 10, 31, 23, 59), causer=Responsibility.sole(s1))  # October
    attributed(sh(2026, 12, 1, 0, 0), causer=Responsibility.sole(s1))  # December
    attributed(sh(2026, 11, 5), handler=s1, causer=Responsibility.sole(s2))  # handles it only
    attributed(sh(2026, 11, 6), causer=Responsibility.sole(s2), delay=Responsibility.sole(s1))  # late only
    attributed(sh(2026, 11, 7), causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "S1")))  # a department S1
    start, end = month_span("2026-11", AT.tzinfo)
    uow = backend.uow()
    with uow:
        assert [c.case_id for c in uow.cases.attributed_to("S1", start, end)] == [early.case_id, later.case_id]
        assert [c.case_id for c in uow.cases.attributed_to("S9", start, end)] == []


def test_a_cases_assessments_are_listed_oldest_first_on_every_store(backend: Backend) -> None:
    """Differential audit: SQL listed a case's aggregates by their random id, the memory store in the order they
    were added, so ``penalty show`` listed proposals in any order and refusals named them differently per store."""
    from uuid import UUID

    from complaint_core.assessment import Assessment
    from complaint_core.organisation import Person
    from complaint_core.penalty import Sanction, sanction_line

    case, events = new_case("manufacturing")
    add_committed(backend, case, events)
    policy = policies().get("manufacturing")
    line = sanction_line(Person(id="A1", name="张三", department="qa"), Sanction.WARNING, rules=policy.penalties)
    ids = [UUID(int=(1 << 128) - 1), UUID(int=1), UUID(int=1 << 127)]  # not in id order
    for minutes, assessment_id in enumerate(ids):
        proposal, proposed = Assessment.propose(
            policy,
            assessment_id=assessment_id,
            case_id=case.case_id,
            lines=(line,),
            at=AT + timedelta(minutes=minutes),
            actor="qa",
        )
        uow = backend.uow()
        with uow:
            uow.assessments.add(proposal)
            uow.outbox.add(proposed)
            uow.commit()
    uow = backend.uow()
    with uow:
        assert [a.assessment_id for a in uow.assessments.for_case(case.case_id)] == ids
