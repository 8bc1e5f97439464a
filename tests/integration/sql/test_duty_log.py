"""The periodic-duty log on every store (memory, SQLite file, PostgreSQL): recorded once per (policy, duty, period),
visible only after commit, a second record of the same period refused (the unique key on the SQL stores)."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from sqlkit import Backend

from complaint_core import ConcurrencyConflict, DutyRecord

AT = datetime(2026, 12, 8, 2, tzinfo=UTC)


def record(name: str = "monthly_statistics", period: str = "2026-11", policy_id: str = "manufacturing") -> DutyRecord:
    return DutyRecord(policy_id=policy_id, name=name, period=period, done_at=AT, actor="gmo", note="filed")


def done(backend: Backend, policy_id: str = "manufacturing") -> frozenset[tuple[str, str]]:
    uow = backend.uow()
    with uow:
        return uow.duties.done(policy_id)


def test_recorded_once_visible_after_commit_and_per_policy(backend: Backend) -> None:
    uow = backend.uow()
    with uow:
        uow.duties.record(record())
        uow.duties.record(record("loss_summary"))
        # not committed: rolled back
    assert done(backend) == frozenset()
    with uow:
        uow.duties.record(record())
        uow.commit()
    with uow:
        uow.duties.record(record("monthly_statistics", "2026-10"))
        uow.duties.record(record("monthly_statistics", "2026-11", policy_id="furniture"))
        uow.commit()
    assert done(backend) == {("monthly_statistics", "2026-11"), ("monthly_statistics", "2026-10")}
    assert done(backend, "furniture") == {("monthly_statistics", "2026-11")}


def test_the_same_period_twice_is_a_conflict_and_the_first_stays(backend: Backend) -> None:
    uow = backend.uow()
    with uow:
        uow.duties.record(record())
        uow.commit()
    with pytest.raises(ConcurrencyConflict), uow:
        uow.duties.record(attrs.evolve(record(), actor="someone else"))
        uow.commit()
    assert done(backend) == {("monthly_statistics", "2026-11")}
