"""The repositories beside cases (returns, follow-ups, penalty assessments) and the ledger journal keep the same
promises on every store: an unknown id is ``NotFound``, a save needs a load in its transaction, a second insert
and a lost update are ``ConcurrencyConflict``s. On SQL, the query tables beside the documents (``penalty_lines``,
``ledger_entries``) hold exactly what the documents say, and saving an aggregate as it was loaded writes nothing.
The in-memory store's own tests are ``tests/unit/test_memory_transactions.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event, insert, select, update
from sqlkit import AT, SH, Backend, add_committed, closed_service_case, new_case, policies, sql_backend

from adapters import serialization
from adapters.sql import tables as t
from complaint_core import ConcurrencyConflict, NotFound
from complaint_core.assessment import Assessment, AssessmentStatus
from complaint_core.followup_service import FollowUpService
from complaint_core.ledger import Posting
from complaint_core.ledger_journal import LedgerPost, apply_op
from complaint_core.money import to_fen
from complaint_core.organisation import Person
from complaint_core.penalty import Sanction, sanction_line

POLICY = policies().get("manufacturing")


def proposal(case_id: UUID, *people: str) -> tuple[Assessment, tuple[Any, ...]]:
    lines = [
        sanction_line(Person(id=p, name=p, department="qa"), Sanction.WARNING, rules=POLICY.penalties)
        for p in people or ("A1",)
    ]
    return Assessment.propose(POLICY, assessment_id=uuid4(), case_id=case_id, lines=lines, at=AT, actor="qa")


def endorsed(assessment: Assessment) -> Assessment:
    role = sorted(POLICY.penalties.endorser_roles)[0]
    return assessment.endorse(POLICY, role=role, at=AT + timedelta(minutes=1), actor="supervisor")[0]


def proposed_on(backend: Backend, *people: str) -> Assessment:
    """A case of the manufacturing preset and one committed proposal of warnings to ``people``."""
    case, events = new_case("manufacturing")
    add_committed(backend, case, events)
    assessment, proposed = proposal(case.case_id, *people)
    uow = backend.uow()
    with uow:
        uow.assessments.add(assessment)
        uow.outbox.add(proposed)
        uow.commit()
    return assessment


def stored(backend: Backend, assessment_id: UUID) -> Assessment:
    uow = backend.uow()
    with uow:
        found: Assessment = uow.assessments.get(assessment_id)
        return found


def post(case: int, amount: str = "100.00") -> LedgerPost:
    posting = Posting(
        person_id="p-wang", case_id=UUID(int=case), line_id="0", rule_id="P1-PEN-10", amount=Decimal(amount)
    )
    return LedgerPost(month="2026-11", postings=(posting,))


@pytest.fixture
def store(sql_url: str) -> Iterator[Backend]:
    backend = sql_backend(sql_url)
    yield backend
    backend.close()


def test_an_unknown_return_follow_up_or_assessment_is_not_found(backend: Backend) -> None:
    missing = uuid4()
    uow = backend.uow()
    with uow:
        for repository in (uow.returns, uow.followups, uow.assessments):
            with pytest.raises(NotFound, match=str(missing)):
                repository.get(missing)


def test_an_assessment_is_saved_only_after_a_load_in_the_same_transaction(backend: Backend) -> None:
    """As for cases: a writer that did not read what it overwrites could lose an update."""
    assessment = proposed_on(backend)
    uow = backend.uow()
    with uow, pytest.raises(NotFound, match="was not loaded in this unit of work"):
        uow.assessments.save(endorsed(assessment))
    with uow:
        uow.assessments.get(assessment.assessment_id)
    with uow, pytest.raises(NotFound, match="was not loaded"):  # loaded by a transaction that ended
        uow.assessments.save(endorsed(assessment))
    assert stored(backend, assessment.assessment_id) == assessment
    with uow:
        uow.assessments.save(endorsed(uow.assessments.get(assessment.assessment_id)))
        uow.commit()
    assert stored(backend, assessment.assessment_id).version == 2


def test_an_assessment_is_added_once(backend: Backend) -> None:
    assessment = proposed_on(backend)
    uow = backend.uow()
    with uow, pytest.raises(ConcurrencyConflict, match=f"{assessment.assessment_id} exists already"):
        uow.assessments.add(endorsed(assessment))
    assert stored(backend, assessment.assessment_id) == assessment


def test_an_assessment_added_or_saved_in_a_transaction_may_be_saved_again_in_it(backend: Backend) -> None:
    """Each save is checked against the version the transaction last wrote, not the one it first read."""
    case, events = new_case("manufacturing")
    add_committed(backend, case, events)
    assessment, _ = proposal(case.case_id)
    first = endorsed(assessment)
    role = sorted(POLICY.penalties.approver_roles)[0]
    second = first.approve(POLICY, role=role, at=AT + timedelta(minutes=2), actor="gm")[0]
    uow = backend.uow()
    with uow:
        uow.assessments.add(assessment)
        uow.assessments.save(first)
        uow.assessments.save(second)
        uow.commit()
    final = stored(backend, assessment.assessment_id)
    assert (final.version, final.status) == (3, AssessmentStatus.APPROVED) and final == second


def test_every_store_lists_all_assessments_and_a_case_s_own(backend: Backend) -> None:
    one, two = proposed_on(backend, "A1"), proposed_on(backend, "B2")
    uow = backend.uow()
    with uow:
        assert sorted(a.assessment_id for a in uow.assessments.all()) == sorted([one.assessment_id, two.assessment_id])
        assert uow.assessments.for_case(two.case_id) == (two,)
        assert uow.returns.all() == () and uow.followups.all() == ()


def test_a_follow_up_is_due_strictly_before_the_instant_and_saved_on_every_store(backend: Backend) -> None:
    """The follow-ups' SQL index answers as the memory store's scan: a visit due at the instant is not yet due;
    a recorded visit is saved, and moves the follow-up to its next visit."""
    case_id = closed_service_case(backend, datetime(2026, 3, 2, 9, tzinfo=SH), "回访客户")
    followups = FollowUpService(backend.service())
    scheduled = followups.get(case_id)
    due = scheduled.next_due
    assert due is not None
    uow = backend.uow()
    with uow:
        assert uow.followups.open_due_before(due) == ()
        assert uow.followups.open_due_before(due + timedelta(microseconds=1)) == (scheduled,)
        assert uow.followups.all() == (scheduled,)
    first = scheduled.open_visits[0].number
    visited = followups.record(
        case_id, visit=first, reached=True, satisfaction="satisfied", actor="cs", at=due - timedelta(hours=1)
    )
    assert visited.version == scheduled.version + 1 and visited.next_due != due
    with uow:
        assert uow.followups.get(scheduled.followup_id) == visited
        assert uow.followups.open_due_before(due + timedelta(microseconds=1)) == ()


def test_sql_penalty_lines_are_the_assessment_s_lines_after_every_save(store: Backend) -> None:
    """``penalty_lines`` (one row per line, for queries by person) is rewritten with its document, not added to."""
    assessment = proposed_on(store, "A1", "B2")

    def rows() -> list[tuple[Any, ...]]:
        assert store.database is not None
        p = t.penalty_lines.c
        query = select(p.line, p.person_id, p.rule_id, p.amount_fen, p.points).where(
            p.assessment_id == str(assessment.assessment_id)
        )
        with store.database.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query.order_by(p.line))]

    expected = [
        (i, line.party.id, line.rule_id, to_fen(line.amount), line.points) for i, line in enumerate(assessment.lines)
    ]
    assert [row[1] for row in expected] == ["A1", "B2"] and rows() == expected
    uow = store.uow()
    with uow:
        uow.assessments.save(endorsed(uow.assessments.get(assessment.assessment_id)))
        uow.commit()
    assert rows() == expected


def test_sql_saving_an_aggregate_as_loaded_writes_nothing(store: Backend) -> None:
    """No UPDATE, so no row lock: a flow that loads and saves unchanged does not hold up the other writers."""
    assessment = proposed_on(store)
    assert store.database is not None
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(store.database.engine, "before_cursor_execute", seen)
    try:
        uow = store.uow()
        with uow:
            loaded = uow.assessments.get(assessment.assessment_id)
            statements.clear()
            uow.assessments.save(loaded)
            assert statements == []
            uow.assessments.save(endorsed(loaded))
            assert "UPDATE" in statements
            uow.commit()
    finally:
        event.remove(store.database.engine, "before_cursor_execute", seen)
    assert stored(store, assessment.assessment_id).version == 2


def test_sql_an_assessment_changed_under_the_transaction_is_not_overwritten(store: Backend) -> None:
    """The save's ``WHERE version = :seen`` finds no row when another writer changed it since the load: on
    PostgreSQL a second transaction, on SQLite (whose writers take turns) a change on the same connection."""
    assessment = proposed_on(store)
    uow = store.uow()
    with uow:
        loaded = uow.assessments.get(assessment.assessment_id)
        if store.serialises_writers:
            meanwhile = endorsed(loaded)
            uow.connection.execute(  # type: ignore[attr-defined]
                update(t.assessments)
                .where(t.assessments.c.id == str(assessment.assessment_id))
                .values(version=meanwhile.version, body=serialization.dumps(meanwhile))
            )
        else:
            other = store.uow()
            with other:
                other.assessments.save(endorsed(other.assessments.get(assessment.assessment_id)))
                other.commit()
        withdrawn, _ = loaded.withdraw(reason="corrected", at=AT + timedelta(minutes=2), actor="qa")
        with pytest.raises(ConcurrencyConflict, match=r"changed since it was loaded \(version 1\)"):
            uow.assessments.save(withdrawn)
        if store.serialises_writers:
            uow.commit()
    final = stored(store, assessment.assessment_id)
    assert (final.version, final.status, final.endorsed_by) == (2, AssessmentStatus.PROPOSED, "supervisor")


def test_sql_the_ledger_journal_and_entries_are_what_was_appended(store: Backend) -> None:
    """Each operation is one ``ledger_ops`` row at the next sequence number, its entries ``ledger_entries`` rows
    that name it; a new transaction replays the same ledger; an abandoned append leaves nothing."""
    uow = store.uow()
    for case in (7, 8):
        with uow:
            op = post(case, f"{case}0.00")
            _, entries, _ = apply_op(uow.ledger.load(), op)
            uow.ledger.append(op, entries)
            uow.commit()
    with uow:  # not committed
        op = post(9)
        uow.ledger.append(op, apply_op(uow.ledger.load(), op)[1])
    with uow:
        ledger = uow.ledger.load()
    assert [(e.case_id, e.amount) for e in ledger.entries] == [
        (UUID(int=7), Decimal("70.00")),
        (UUID(int=8), Decimal("80.00")),
    ]
    assert store.database is not None
    o, e = t.ledger_ops.c, t.ledger_entries.c
    with store.database.engine.connect() as conn:
        ops = [tuple(r) for r in conn.execute(select(o.seq, o.kind, o.month).order_by(o.seq))]
        rows = [
            tuple(r)
            for r in conn.execute(select(e.seq, e.op_seq, e.person_id, e.case_id, e.amount_fen).order_by(e.seq))
        ]
    assert ops == [(1, "post", "2026-11"), (2, "post", "2026-11")]
    assert rows == [(x.seq, n, x.person_id, str(x.case_id), to_fen(x.amount)) for n, x in enumerate(ledger.entries, 1)]


def test_sql_a_ledger_operation_taken_by_another_writer_is_a_conflict(store: Backend) -> None:
    """The ledger's writers take turns (a lock when it is loaded); an operation at the sequence number this
    transaction would take, written by something that skipped the lock, still refuses the append."""
    uow = store.uow()
    with uow:
        ledger = uow.ledger.load()
        taken = post(8)
        uow.connection.execute(  # type: ignore[attr-defined]
            insert(t.ledger_ops), {"seq": 1, "kind": "post", "month": "2026-11", "body": serialization.dumps(taken)}
        )
        op = post(7)
        with pytest.raises(ConcurrencyConflict, match="the ledger changed since it was loaded"):
            uow.ledger.append(op, apply_op(ledger, op)[1])
    with uow:
        assert uow.ledger.load().entries == ()


def test_a_transaction_may_append_several_ledger_operations(backend: Backend) -> None:
    """The port takes several operations in one transaction (no service appends two yet): each one is numbered
    after the one before, not at the sequence the transaction loaded."""
    uow = backend.uow()
    with uow:
        for case in (7, 8):
            op = post(case)
            uow.ledger.append(op, apply_op(uow.ledger.load(), op)[1])
        assert [e.case_id for e in uow.ledger.load().entries] == [UUID(int=7), UUID(int=8)]  # first-hand
        uow.commit()
    with uow:
        assert [e.case_id for e in uow.ledger.load().entries] == [UUID(int=7), UUID(int=8)]
