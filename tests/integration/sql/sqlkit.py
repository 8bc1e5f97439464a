"""Helpers of the SQL storage tests, and the worker functions run in spawned processes.

Not a test module (pytest collects ``test_*.py`` only); imported by name, also in ``multiprocessing`` children.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import attrs
from sqlalchemy import select

from adapters.calendars import CalendarRegistry
from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies, MemoryStore, MemoryUnitOfWork
from adapters.policy_files import PRESETS, load_preset
from adapters.sql import Database, open_database
from adapters.sql import tables as t
from adapters.sql.indexing import clock_indexer
from complaint_core import (
    Case,
    CaseService,
    Channel,
    ConcurrencyConflict,
    Intake,
    Market,
    Party,
    PartyKind,
    RemedyKind,
    Responsibility,
)
from complaint_core.events import DomainEvent
from complaint_core.ports import UnitOfWork
from entrypoints.bootstrap import bootstrap

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 2, 9, tzinfo=SH)
INTAKE = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", market=Market.DOMESTIC)
SECRET = "s3cr3t-Pa55word"


def sh(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@cache
def policies() -> MemoryPolicies:
    return MemoryPolicies([load_preset(name) for name in PRESETS])


@cache
def calendars() -> CalendarRegistry:
    return CalendarRegistry(())


def sql_uow(db: Database) -> Any:
    return db.unit_of_work(clock_indexer(policies(), calendars()))


def service_on(uow: UnitOfWork, at: datetime = AT) -> CaseService:
    return bootstrap(uow=uow, policies=policies(), calendars=calendars(), clock=FixedClock(at))


def new_case(policy_id: str = "service", number: str | None = None, at: datetime = AT) -> tuple[Case, tuple[Any, ...]]:
    """A case just received under ``policy_id`` (furniture's category for the furniture preset), not stored."""
    policy = policies().get(policy_id)
    intake = attrs.evolve(INTAKE, category="product_quality") if policy_id == "furniture" else INTAKE
    return Case.receive(policy, case_id=uuid4(), intake=intake, at=at, actor="sales", number=number)


def classify(case: Case, severity: str = "light") -> tuple[Case, tuple[Any, ...]]:
    return case.classify(policies().get(case.policy_id, case.policy_version), at=AT, actor="qa", severity=severity)


SOLE_CAUSER = Responsibility.sole(Party(PartyKind.DEPARTMENT, "front_desk"))


def closed_service_case(backend: Backend, start: datetime, customer: str) -> UUID:
    """A ``service``-preset case taken to closure, one command an hour from ``start``."""
    policy = policies().get("service")
    steps = [start + timedelta(hours=h) for h in range(8)]
    svc = service_on(backend.uow(), start)
    intake = Intake(customer=customer, channel=Channel.PHONE, category=policy.categories[0].code)
    ref = svc.receive(intake, actor="cs", policy_id="service", at=steps[0]).case_id
    svc.register(ref, actor="cs", at=steps[1])
    svc.start_investigation(ref, actor="cs", at=steps[2])
    svc.attribute(ref, actor="cs", causer=SOLE_CAUSER, at=steps[3])
    svc.propose(ref, actor="cs", kind=RemedyKind.EXPLANATION, amount=Decimal("0.00"), at=steps[4])
    svc.approve(ref, actor="head", role=policy.approval[-1].role, at=steps[5])
    svc.reply(ref, actor="cs", message="已处理", at=steps[6])
    svc.close(ref, actor="cs", at=steps[7])
    return ref


@attrs.define
class Backend:
    """One store and what a test needs to look inside it, the same way for every kind."""

    name: str
    make_uow: Callable[[], UnitOfWork]
    database: Database | None = None
    store: MemoryStore | None = None

    @property
    def indexed(self) -> bool:
        """The SQL stores pick sweep candidates by index; memory returns every case."""
        return self.database is not None

    @property
    def serialises_writers(self) -> bool:
        """SQLite (BEGIN IMMEDIATE): a second writing transaction waits for the first to finish."""
        return self.database is not None and self.database.dialect == "sqlite"

    def uow(self) -> UnitOfWork:
        return self.make_uow()

    def service(self, at: datetime = AT) -> CaseService:
        return service_on(self.uow(), at)

    def history(self, case_id: UUID) -> list[DomainEvent]:
        if self.store is not None:
            return [e for e in self.store.outbox if e.aggregate_id == case_id]
        uow = self.uow()
        with uow:
            return list(uow.history(case_id))  # type: ignore[attr-defined]

    def outbox_count(self) -> int:
        if self.store is not None:
            return len(self.store.outbox)
        uow = self.uow()
        with uow:
            return int(uow.count("outbox"))  # type: ignore[attr-defined]

    def serial(self, policy_id: str, period: str) -> int | None:
        """The last committed serial of (policy, period), None when none was ever committed."""
        if self.store is not None:
            return self.store.serials.get((policy_id, period))
        assert self.database is not None
        s = t.serials.c
        with self.database.engine.connect() as conn:
            query = select(s.last).where(s.policy_id == policy_id, s.period == period)
            return conn.execute(query).scalar_one_or_none()

    def close(self) -> None:
        if self.database is not None:
            self.database.dispose()


def add_committed(backend: Backend, case: Case, events: tuple[Any, ...] = ()) -> None:
    uow = backend.uow()
    with uow:
        uow.cases.add(case)
        uow.outbox.add(events)
        uow.commit()


def memory_backend() -> Backend:
    store = MemoryStore()
    return Backend("memory", lambda: MemoryUnitOfWork(store), store=store)


def sql_backend(url: str) -> Backend:
    db = open_database(url)
    return Backend(db.dialect, lambda: sql_uow(db), database=db)


@contextmanager
def database(url: str) -> Iterator[Database]:
    db = open_database(url)
    try:
        yield db
    finally:
        db.dispose()


def history_versions(db: Database, case_id: UUID) -> list[int]:
    h = t.history.c
    with db.engine.connect() as conn:
        query = select(h.version).where(h.aggregate_id == str(case_id)).order_by(h.version)
        return [int(v) for v in conn.execute(query).scalars()]


def outbox_versions(db: Database, case_id: UUID) -> list[int]:
    """The event versions of the outbox rows of one case (from their stable message ids ``msg_<hex>_<version>``)."""
    o = t.outbox.c
    with db.engine.connect() as conn:
        ids = conn.execute(select(o.message_id).where(o.aggregate_id == str(case_id))).scalars()
        return sorted(int(i.rsplit("_", 1)[1]) for i in ids)


def stored_version(db: Database, case_id: UUID) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(t.cases.c.version).where(t.cases.c.id == str(case_id))).scalar_one())


# ----- workers (run in spawned processes) --------------------------------------------------------------------------
def _report(queue: Any, work: Callable[[], Any]) -> None:
    try:
        queue.put(("ok", work()))
    except BaseException:
        queue.put(("error", traceback.format_exc()))


def classify_repeatedly(url: str, case_id: str, count: int, barrier: Any, queue: Any) -> None:
    """``count`` times: load the case, classify it, save, commit, straight on the repository (no service retry).

    Reports (accepted, refused with ConcurrencyConflict, other errors).
    """

    def work() -> tuple[int, int, list[str]]:
        db = open_database(url)
        uow = sql_uow(db)
        policy = policies().get("service")
        cid = UUID(case_id)
        accepted = conflicts = 0
        others: list[str] = []
        barrier.wait(timeout=60)
        for _ in range(count):
            try:
                with uow:
                    case = uow.cases.get(cid)
                    new, events = case.classify(policy, at=AT, actor=f"worker-{os.getpid()}", severity="light")
                    uow.cases.save(new)
                    uow.outbox.add(events)
                    uow.commit()
                accepted += 1
            except ConcurrencyConflict:
                conflicts += 1
            except Exception as error:  # counted, so that the parent's assertion shows them
                others.append(repr(error))
        db.dispose()
        return accepted, conflicts, others

    _report(queue, work)


def register_many(url: str, count: int, barrier: Any, queue: Any) -> None:
    """Receive and register ``count`` manufacturing cases through the service; reports their numbers."""

    def work() -> list[str | None]:
        db = open_database(url)
        service = service_on(sql_uow(db))
        numbers: list[str | None] = []
        barrier.wait(timeout=60)
        for _ in range(count):
            case = service.receive(INTAKE, actor="sales", at=AT, policy_id="manufacturing")
            numbers.append(service.register(case.case_id, actor="gm_office", at=AT).number)
        db.dispose()
        return numbers

    _report(queue, work)


def hold_uncommitted(url: str, case_id: str, pipe: Any) -> None:
    """Run a command up to just before commit (case, history and outbox rows written), tell the parent, then wait."""
    db = open_database(url)
    uow = sql_uow(db)
    policy = policies().get("service")
    with uow:
        case = uow.cases.get(UUID(case_id))
        new, events = case.classify(policy, at=AT, actor="doomed", severity="severe")
        uow.cases.save(new)
        uow.outbox.add(events)
        written = (uow.cases.get(UUID(case_id)).version, len(uow.history(UUID(case_id))), uow.count("outbox"))
        pipe.send(("written", written))
        time.sleep(120)  # the parent kills us here
        uow.commit()


def commit_in_a_loop(url: str, case_id: str, pipe: Any) -> None:
    """Commit commands as fast as possible, reporting each commit: the parent kills us at some point."""
    db = open_database(url)
    uow = sql_uow(db)
    policy = policies().get("service")
    cid = UUID(case_id)
    severities = ("light", "medium")
    for i in range(100_000):
        with uow:
            case = uow.cases.get(cid)
            new, events = case.classify(policy, at=AT, actor="looper", severity=severities[i % 2])
            uow.cases.save(new)
            uow.outbox.add(events)
            uow.commit()
        pipe.send(new.version)


def receive_case(service: CaseService, policy_id: str = "service", at: datetime = AT) -> Case:
    return service.receive(INTAKE, actor="sales", at=at, policy_id=policy_id)


def open_fresh(url: str, barrier: Any, queue: Any) -> None:
    """Open a database nobody has opened yet, together with the other workers: each must find it at HEAD."""

    def work() -> str | None:
        from adapters.sql.migrate import current

        barrier.wait(timeout=60)
        db = open_database(url)
        try:
            return current(db.engine)
        finally:
            db.dispose()

    _report(queue, work)


def store_versions(url: str, count: int, barrier: Any, queue: Any) -> None:
    """``count`` new versions of one document, stored while the other workers store theirs."""

    def work() -> list[int]:
        from adapters.sql import documents

        db = open_database(url)
        barrier.wait(timeout=60)
        try:
            return [
                documents.store(db.engine, kind="organisation", name="organisation", source="", fmt="toml", at=AT)
                for _ in range(count)
            ]
        finally:
            db.dispose()

    _report(queue, work)
