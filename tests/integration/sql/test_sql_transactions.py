"""The SQL unit of work's own promises, on SQLite and PostgreSQL: it works inside ``with`` only, a save needs a
load in the same transaction (and what a transaction loaded is forgotten when it ends), and a second insert, a
taken number, a recorded event or a lost update is a ``ConcurrencyConflict`` that names it. The in-memory store
keeps the same promises (``tests/unit/test_memory_transactions.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import update
from sqlkit import AT, Backend, add_committed, classify, new_case, policies, sql_backend

from adapters.serialization import DocumentInvalid
from adapters.sql import tables as t
from complaint_core import ConcurrencyConflict, NotFound


@pytest.fixture
def store(sql_url: str) -> Iterator[Backend]:
    backend = sql_backend(sql_url)
    yield backend
    backend.close()


def test_the_unit_of_work_works_inside_with_only(store: Backend) -> None:
    uow = store.uow()
    with pytest.raises(RuntimeError, match="not open: use it in a with block"):
        uow.cases.get(uuid4())
    with uow:
        with pytest.raises(RuntimeError, match="open already"), uow:
            pass
        assert uow.cases.find_by_number("none") is None  # the refused second entry left the first one open
    with pytest.raises(RuntimeError, match="not open"):
        uow.commit()


def test_a_save_needs_a_load_in_the_same_transaction(store: Backend) -> None:
    case, events = new_case()
    add_committed(store, case, events)
    uow = store.uow()
    with uow, pytest.raises(NotFound, match="was not loaded in this unit of work"):
        uow.cases.save(classify(case)[0])
    with uow:
        loaded = uow.cases.get(case.case_id)
    with uow, pytest.raises(NotFound, match="was not loaded"):  # loaded by a transaction that ended
        uow.cases.save(classify(loaded)[0])
    with uow:
        loaded = uow.cases.get(case.case_id)
        saved = classify(loaded)[0]
        uow.cases.save(saved)
        uow.commit()
        with pytest.raises(NotFound, match="was not loaded"):  # the commit ended what it loaded too
            uow.cases.save(classify(saved, "severe")[0])
    with uow:
        assert uow.cases.get(case.case_id) == saved


def test_a_case_added_in_a_transaction_may_be_saved_in_it(store: Backend) -> None:
    case, _ = new_case()
    saved = classify(case)[0]
    uow = store.uow()
    with uow:
        uow.cases.add(case)
        uow.cases.save(saved)
        uow.outbox.add(())  # no events: nothing to record
        uow.commit()
    with uow:
        assert uow.cases.get(case.case_id) == saved
    assert store.outbox_count() == 0


def test_a_case_saved_twice_in_a_transaction_keeps_the_second(store: Backend) -> None:
    case, events = new_case()
    add_committed(store, case, events)
    uow = store.uow()
    with uow:
        first = classify(uow.cases.get(case.case_id), "medium")[0]
        second = classify(first, "severe")[0]
        uow.cases.save(first)
        uow.cases.save(second)
        uow.commit()
    with uow:
        assert uow.cases.get(case.case_id) == second


def test_saving_the_case_as_loaded_changes_nothing(store: Backend) -> None:
    case, events = new_case()
    add_committed(store, case, events)
    uow = store.uow()
    with uow:
        loaded = uow.cases.get(case.case_id)
        uow.cases.save(loaded)
        uow.commit()
    with uow:
        assert uow.cases.get(case.case_id) == case


def test_a_second_insert_of_a_case_or_of_its_number_is_refused(store: Backend) -> None:
    case, events = new_case("furniture", number="261102001")
    add_committed(store, case, events)
    uow = store.uow()
    with uow, pytest.raises(ConcurrencyConflict, match=f"case {case.case_id} or its number 261102001 exists"):
        uow.cases.add(case)
    other, _ = new_case("furniture", number="261102001")
    with uow, pytest.raises(ConcurrencyConflict, match="or its number 261102001 exists already"):
        uow.cases.add(other)
    assert store.outbox_count() == len(events)


def test_a_number_another_case_holds_is_refused_on_save(store: Backend) -> None:
    holder, events = new_case("furniture", number="261102001")
    add_committed(store, holder, events)
    case, events = new_case()
    add_committed(store, case, events)
    policy = policies().get(case.policy_id, case.policy_version)
    uow = store.uow()
    with uow:
        loaded = uow.cases.get(case.case_id)
        numbered = loaded.register(policy, at=AT, actor="gm", number="261102001")[0]
        with pytest.raises(ConcurrencyConflict, match="case number 261102001 is taken"):
            uow.cases.save(numbered)


def test_an_event_recorded_already_is_refused(store: Backend) -> None:
    case, events = new_case()
    add_committed(store, case, events)
    uow = store.uow()
    with uow, pytest.raises(ConcurrencyConflict, match="an event with this version was recorded already"):
        uow.outbox.add(events)
    assert store.outbox_count() == len(events)


def test_a_row_whose_version_is_not_its_body_s_does_not_load(store: Backend) -> None:
    case, events = new_case()
    add_committed(store, case, events)
    assert store.database is not None
    with store.database.engine.begin() as conn:
        conn.execute(update(t.cases).where(t.cases.c.id == str(case.case_id)).values(version=5))
    uow = store.uow()
    with uow, pytest.raises(DocumentInvalid, match=f"case {case.case_id}: body version 1 != 5"):
        uow.cases.get(case.case_id)


def test_postgres_a_lost_update_is_refused_by_the_save_itself(pg_url: str) -> None:
    """Two transactions load version 1 without a lock and both save; the second save finds no row at version 1.
    (SQLite serialises writers, so there the second transaction loads the first one's result.) No events are
    added, so the refusal comes from the case row, not from the history's unique versions."""
    backend = sql_backend(pg_url)
    try:
        case, events = new_case()
        add_committed(backend, case, events)
        first, second = backend.uow(), backend.uow()
        with first, second:
            a, b = first.cases.get(case.case_id), second.cases.get(case.case_id)
            first.cases.save(classify(a, "medium")[0])
            first.commit()
            with pytest.raises(ConcurrencyConflict, match=r"changed since it was loaded \(version 1\)"):
                second.cases.save(classify(b, "severe")[0])
        with first:
            assert first.cases.get(case.case_id).severity == "medium"
    finally:
        backend.close()
