"""The in-memory unit of work keeps the SQL stores' promises for the aggregates beside cases: a write is seen by
its own transaction at once and by others only after commit, a lost update or a second insert is refused at commit
with ``ConcurrencyConflict``, and a refused or abandoned transaction writes nothing at all.

Two units of work over one ``MemoryStore`` stand for two processes on one database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from adapters.memory import MemoryAggregates, MemoryStore, MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core import Case, Channel, Intake
from complaint_core.duties import DutyRecord
from complaint_core.errors import ConcurrencyConflict, NotFound
from complaint_core.ledger import Posting
from complaint_core.ledger_journal import LedgerPost

AT = datetime(2026, 11, 2, 1, tzinfo=UTC)
CASE = UUID(int=7)
MANUFACTURING = load_preset("manufacturing")


@attrs.frozen
class Item:
    """An aggregate as the memory repositories see one: an id, its case and a version."""

    item_id: UUID
    case_id: UUID = CASE
    version: int = 1
    note: str = ""

    @property
    def return_id(self) -> UUID:  # the keys of the unit of work's returns and follow-ups
        return self.item_id

    @property
    def followup_id(self) -> UUID:
        return self.item_id


def repository(items: dict[UUID, Item] | None = None) -> MemoryAggregates[Item]:
    return MemoryAggregates({} if items is None else items, lambda i: i.item_id, [])


def committed(repo: MemoryAggregates[Item]) -> None:
    repo.check()
    repo.apply()
    repo.clear()


def test_an_added_item_is_read_back_in_its_transaction_and_stored_on_commit() -> None:
    items: dict[UUID, Item] = {}
    repo = repository(items)
    item = Item(UUID(int=1))
    repo.add(item)
    assert repo.get(item.item_id) is item and repo.all() == (item,) and repo.for_case(CASE) == (item,)
    assert items == {}
    committed(repo)
    assert items == {item.item_id: item}
    assert (repo.staged, repo.seen, repo.added) == ({}, {}, set())


def test_an_item_is_added_once() -> None:
    item = Item(UUID(int=1))
    repo = repository({item.item_id: item})
    with pytest.raises(ConcurrencyConflict, match="exists already"):
        repo.add(item)
    fresh = repository()
    fresh.add(item)
    with pytest.raises(ConcurrencyConflict, match="exists already"):
        fresh.add(attrs.evolve(item, note="again"))


def test_an_item_added_by_another_transaction_meanwhile_is_refused_at_commit() -> None:
    items: dict[UUID, Item] = {}
    first, second = repository(items), repository(items)
    first.add(Item(UUID(int=1), note="first"))
    second.add(Item(UUID(int=1), note="second"))
    committed(second)
    with pytest.raises(ConcurrencyConflict, match="exists already"):
        first.check()
    assert items[UUID(int=1)].note == "second"


def test_a_save_needs_a_read_or_an_add_in_the_same_transaction() -> None:
    item = Item(UUID(int=1))
    repo = repository({item.item_id: item})
    with pytest.raises(NotFound, match="was not loaded in this unit of work"):
        repo.save(attrs.evolve(item, version=2))
    repo.get(item.item_id)
    repo.save(attrs.evolve(item, version=2))
    assert repo.get(item.item_id).version == 2  # its own write, first-hand


def test_a_lost_update_is_refused_at_commit() -> None:
    item = Item(UUID(int=1))
    items = {item.item_id: item}
    first, second = repository(items), repository(items)
    first.get(item.item_id)
    second.get(item.item_id)
    second.save(attrs.evolve(item, version=2, note="second"))
    committed(second)
    first.save(attrs.evolve(item, version=2, note="first"))
    with pytest.raises(ConcurrencyConflict, match="changed since it was loaded"):
        first.check()
    assert items[item.item_id].note == "second"


def test_an_unknown_item_is_not_found() -> None:
    with pytest.raises(NotFound):
        repository().get(UUID(int=9))


def test_a_case_s_items_are_its_own() -> None:
    mine, other = Item(UUID(int=1)), Item(UUID(int=2), case_id=UUID(int=8))
    repo = repository({mine.item_id: mine, other.item_id: other})
    staged = Item(UUID(int=3))
    repo.add(staged)
    assert repo.for_case(CASE) == (mine, staged)
    assert repo.all() == (mine, other, staged)


# --- through the unit of work -----------------------------------------------------------------------------


def duty(period: str = "2026-11", note: str = "") -> DutyRecord:
    return DutyRecord(
        policy_id="manufacturing", name="monthly_review", period=period, done_at=AT, actor="qa", note=note
    )


def posting(case: int = 7, amount: str = "100.00") -> Posting:
    return Posting(person_id="p-wang", case_id=UUID(int=case), line_id="0", rule_id="P1-PEN-10", amount=Decimal(amount))


def test_a_duty_is_recorded_once_per_period() -> None:
    store = MemoryStore()
    with MemoryUnitOfWork(store) as uow:
        uow.duties.record(duty())
        with pytest.raises(ConcurrencyConflict, match="is recorded already"):
            uow.duties.record(duty(note="twice in one transaction"))
        assert uow.duties.done("manufacturing") == frozenset({("monthly_review", "2026-11")})
        assert uow.duties.done("service") == frozenset()
        uow.commit()
    with MemoryUnitOfWork(store) as uow:
        with pytest.raises(ConcurrencyConflict, match="is recorded already"):
            uow.duties.record(duty(note="again"))
        uow.duties.record(duty("2026-12"))
        uow.commit()
    assert sorted(store.duties) == [
        ("manufacturing", "monthly_review", "2026-11"),
        ("manufacturing", "monthly_review", "2026-12"),
    ]


def test_a_duty_recorded_meanwhile_refuses_the_whole_commit() -> None:
    store = MemoryStore()
    first, second = MemoryUnitOfWork(store), MemoryUnitOfWork(store)
    with first:
        first.duties.record(duty(note="first"))
        first.followups.add(Item(UUID(int=1)))  # type: ignore[arg-type]  # written only if the commit is
        with second:
            second.duties.record(duty(note="second"))
            second.commit()
        with pytest.raises(ConcurrencyConflict, match="monthly_review for 2026-11 was recorded meanwhile"):
            first.commit()
    assert store.duties[("manufacturing", "monthly_review", "2026-11")].note == "second"
    assert store.followups == {}


def test_the_ledger_takes_one_writer_at_a_time() -> None:
    store = MemoryStore()
    first, second = MemoryUnitOfWork(store), MemoryUnitOfWork(store)
    with first, second:
        first.ledger.append(LedgerPost(month="2026-11", postings=(posting(7),)), ())
        second.ledger.append(LedgerPost(month="2026-11", postings=(posting(8),)), ())
        assert len(first.ledger.load().entries) == 1  # its own write, first-hand
        second.commit()
        with pytest.raises(ConcurrencyConflict, match="the ledger changed since it was loaded"):
            first.commit()
    assert [op.postings[0].case_id for op in store.ledger_ops] == [UUID(int=8)]  # type: ignore[union-attr]
    assert [e.case_id for e in store.ledger.entries] == [UUID(int=8)]
    with MemoryUnitOfWork(store) as uow:  # a reader that writes nothing never conflicts
        assert len(uow.ledger.load().entries) == 1
        with MemoryUnitOfWork(store) as writer:
            writer.ledger.append(LedgerPost(month="2026-11", postings=(posting(9),)), ())
            writer.commit()
        uow.commit()
    assert len(store.ledger.entries) == 2 and len(store.ledger_ops) == 2


def test_leaving_without_commit_writes_nothing_and_starts_the_next_transaction_clean() -> None:
    store = MemoryStore()
    uow = MemoryUnitOfWork(store)
    with uow:
        uow.duties.record(duty())
        uow.ledger.append(LedgerPost(month="2026-11", postings=(posting(),)), ())
        uow.returns.add(Item(UUID(int=1)))  # type: ignore[arg-type]
        uow.serials.next_serial("manufacturing", "2611")
    assert (store.duties, store.ledger_ops, store.returns, store.serials) == ({}, [], {}, {})
    assert len(store.ledger.entries) == 0
    with uow:
        assert uow.serials.next_serial("manufacturing", "2611") == 1  # the abandoned serial is not kept
        assert uow.duties.done("manufacturing") == frozenset()
        assert len(uow.ledger.load().entries) == 0
        with pytest.raises(NotFound):
            uow.returns.get(UUID(int=1))
        uow.duties.record(duty())
        uow.ledger.append(LedgerPost(month="2026-11", postings=(posting(8),)), ())
        uow.commit()
    assert list(store.duties) == [("manufacturing", "monthly_review", "2026-11")]
    assert store.serials == {("manufacturing", "2611"): 1}
    assert [op.postings[0].case_id for op in store.ledger_ops] == [UUID(int=8)]  # type: ignore[union-attr]


def test_a_transaction_s_reads_end_with_it() -> None:
    """A unit of work is used for one transaction after another: what one read does not let the next one save."""
    item = Item(UUID(int=1))
    store = MemoryStore()
    store.returns[item.item_id] = item  # type: ignore[assignment]
    uow = MemoryUnitOfWork(store)
    with uow:
        uow.returns.get(item.item_id)  # read only, no commit
    with uow, pytest.raises(NotFound, match="was not loaded in this unit of work"):
        uow.returns.save(attrs.evolve(item, version=2))  # type: ignore[arg-type]
    with uow:
        uow.returns.add(Item(UUID(int=2)))  # type: ignore[arg-type]
        uow.returns.save(Item(UUID(int=2), note="changed before the commit"))  # type: ignore[arg-type]
        uow.commit()
    assert store.returns[UUID(int=2)].note == "changed before the commit"  # type: ignore[attr-defined]


def test_a_transaction_reads_the_ledger_as_committed_when_it_starts() -> None:
    store = MemoryStore()
    reader, writer = MemoryUnitOfWork(store), MemoryUnitOfWork(store)
    with reader:
        assert len(reader.ledger.load().entries) == 0
    with writer:
        writer.ledger.append(LedgerPost(month="2026-11", postings=(posting(),)), ())
        writer.commit()
    with reader:  # the same unit of work, a new transaction: it sees the commit, and may write after it
        assert len(reader.ledger.load().entries) == 1
        reader.ledger.append(LedgerPost(month="2026-11", postings=(posting(8),)), ())
        reader.commit()
    assert len(store.ledger.entries) == 2


@attrs.frozen
class Due(Item):
    next_due: datetime | None = None


def test_follow_ups_due_are_those_due_strictly_before_the_instant() -> None:
    store = MemoryStore()
    before, at, later, done = (
        Due(UUID(int=1), next_due=datetime(2026, 11, 1, tzinfo=UTC)),
        Due(UUID(int=2), next_due=AT),
        Due(UUID(int=3), next_due=datetime(2026, 12, 1, tzinfo=UTC)),
        Due(UUID(int=4)),  # every visit made
    )
    for item in (before, at, later, done):
        store.followups[item.item_id] = item  # type: ignore[assignment]
    with MemoryUnitOfWork(store) as uow:
        staged = Due(UUID(int=5), next_due=datetime(2026, 10, 1, tzinfo=UTC))
        uow.followups.add(staged)  # type: ignore[arg-type]
        assert uow.followups.open_due_before(AT) == (before, staged)  # type: ignore[comparison-overlap]


# --- cases ----------------------------------------------------------------------------------------------------


def registered(n: int, number: str) -> Case:
    intake = Intake(customer=f"c{n}", channel=Channel.PHONE, category="quality")
    case, _ = Case.receive(MANUFACTURING, case_id=UUID(int=n), intake=intake, at=AT, actor="sales")
    case, _ = case.register(MANUFACTURING, at=AT, actor="gm_office", number=number)
    return case


def test_cases_added_in_a_transaction_are_listed_and_found_by_number_in_it() -> None:
    store = MemoryStore()
    with MemoryUnitOfWork(store) as uow:
        kept = registered(1, "261101")
        uow.cases.add(kept)
        uow.commit()
    with MemoryUnitOfWork(store) as uow:
        added = registered(2, "261102")
        uow.cases.add(added)
        assert [c.case_id for c in uow.cases.all()] == [kept.case_id, added.case_id]
        assert uow.cases.find_by_number("261102") is added
        assert uow.cases.find_by_number("261101") == kept
        assert uow.cases.find_by_number("261199") is None


def test_a_number_taken_meanwhile_refuses_the_commit() -> None:
    store = MemoryStore()
    first, second = MemoryUnitOfWork(store), MemoryUnitOfWork(store)
    with first, second:
        first.cases.add(registered(1, "261101"))
        second.cases.add(registered(2, "261101"))
        second.commit()
        with pytest.raises(ConcurrencyConflict, match="case number 261101 is taken"):
            first.commit()
    assert list(store.cases) == [UUID(int=2)] and store.numbers == {"261101": UUID(int=2)}


def test_a_case_added_by_two_transactions_is_stored_once() -> None:
    store = MemoryStore()
    first, second = MemoryUnitOfWork(store), MemoryUnitOfWork(store)
    with first, second:
        first.cases.add(registered(1, "261101"))
        second.cases.add(attrs.evolve(registered(1, "261101"), severity=None))
        second.commit()
        with pytest.raises(ConcurrencyConflict, match=f"case {UUID(int=1)} exists already"):
            first.commit()
    assert len(store.cases) == 1
