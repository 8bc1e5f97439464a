"""``SqlCaseRepository.overdue`` (the index ``report overdue`` and ``case list --overdue`` start from) on SQLite and
PostgreSQL: running clocks due strictly before the instant, the earliest due first, at most ``limit``."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlkit import INTAKE, Backend, sh, sql_backend

from complaint_core import Case
from complaint_core.case import RemedyKind
from complaint_core.responsibility import Party, PartyKind, Responsibility


def test_a_clock_is_overdue_from_the_instant_after_its_due_time(sql_url: str) -> None:
    backend = sql_backend(sql_url)
    try:
        service = backend.service(sh(2026, 11, 2))
        early = service.receive(INTAKE, actor="cs", at=sh(2026, 11, 2), policy_id="manufacturing")
        early = service.register(early.case_id, actor="gm", at=sh(2026, 11, 2, 10))
        later = service.receive(INTAKE, actor="cs", at=sh(2026, 11, 9), policy_id="manufacturing")
        later = service.register(later.case_id, actor="gm", at=sh(2026, 11, 9, 10))
        stopped = service.receive(INTAKE, actor="cs", at=sh(2026, 11, 2), policy_id="manufacturing")
        stopped = service.register(stopped.case_id, actor="gm", at=sh(2026, 11, 2, 10))
        ref, at = stopped.case_id, sh(2026, 11, 3)
        service.start_investigation(ref, actor="qa", at=at)
        service.attribute(ref, actor="qa", at=at, causer=Responsibility.sole(Party(PartyKind.DEPARTMENT, "production")))
        service.propose(ref, actor="sales", at=at, kind=RemedyKind.COMPENSATION, amount=Decimal("100.00"), note="-")
        service.approve(ref, actor="manager", at=at, role="sales_manager")
        service.reply(ref, actor="sales", at=at, message="credited", reaction="accepted")
        service.close(ref, actor="gm", at=at)
        due = {case.case_id: _dues(backend, case) for case in (early, later)}
        assert len(due[early.case_id]) == len(due[later.case_id]) == 1
        ((_, first),), ((_, second),) = due[early.case_id], due[later.case_id]
        assert first is not None and second is not None and first < second

        uow = backend.uow()
        with uow:
            overdue = uow.cases.overdue  # type: ignore[attr-defined]
            assert overdue(first) == []  # due at that instant: not yet overdue
            assert overdue(first + timedelta(microseconds=1)) == [(str(early.case_id), "close", first)]
            assert overdue(second) == [(str(early.case_id), "close", first)]
            both = [(str(early.case_id), "close", first), (str(later.case_id), "close", second)]
            assert overdue(second + timedelta(days=1)) == both  # the stopped clock is never listed
            assert overdue(second + timedelta(days=1), limit=1) == both[:1]
            assert overdue(second + timedelta(days=1), limit=0) == []
            assert all(found.utcoffset() == timedelta(0) for _, _, found in overdue(second + timedelta(days=1)))
    finally:
        backend.close()


def _dues(backend: Backend, case: Case) -> list[tuple[str, datetime | None]]:
    """The case's running clocks and their due times, as the service computes them."""
    return [(d.clock, d.due) for d in backend.service().deadlines(case.case_id) if d.stopped_at is None]
