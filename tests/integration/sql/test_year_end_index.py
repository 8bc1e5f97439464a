"""A case whose due time needs a calendar year the store's calendar does not cover (DOMAIN §4, §5; calendar audit).

The service now refuses such writes, but a case stored before (or under a calendar since replaced) was indexed
with no due time at all on the SQL stores, so their sweep passed over it in silence while the memory store's named
it. Its due is now indexed at the end of the calendar's coverage, so every store's sweep names it
(``SweepIncomplete``) until the year is loaded, and ``refresh_index`` computes the real due times then.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlkit import SH, Backend, policies, service_on

from adapters.calendars import CalendarRegistry
from adapters.clock import FixedClock
from adapters.memory import MemoryUnitOfWork
from adapters.sql.indexing import clock_indexer
from complaint_core import CaseKind, Channel, Intake, SweepIncomplete
from entrypoints.bootstrap import bootstrap

TICKET = Intake(customer="Q", channel=Channel.LETTER, category="quality", kind=CaseKind.INTERNAL)


def calendar_2027(tmp_path: Path) -> Path:
    path = tmp_path / "cn-2027.toml"
    path.write_text('name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "utf-8")
    return path


def test_a_stored_case_due_in_a_year_not_loaded_is_named_by_every_sweep(backend: Backend, tmp_path: Path) -> None:
    cal = calendar_2027(tmp_path)
    # made where 2027 is loaded: an internal ticket registered on 12-31 (P4-DL-01: close within 2 working days)
    maker = bootstrap(
        uow=MemoryUnitOfWork(),
        policies=policies(),
        calendar_files=[cal],
        clock=FixedClock(datetime(2026, 12, 31, 10, tzinfo=SH)),
    )
    ref = maker.receive(TICKET, actor="cs", policy_id="service").case_id
    case = maker.register(ref, actor="cs")
    assert maker.deadlines(ref)[-1].due == datetime(2027, 1, 5, 23, 59, 59, 999999, tzinfo=SH)

    uow = backend.make_uow()  # stored where the calendar ends with 2026
    with uow:
        uow.cases.add(case)
        uow.commit()
    with pytest.raises(SweepIncomplete) as left_out:
        service_on(backend.make_uow()).sweep(now=datetime(2027, 1, 1, 10, tzinfo=SH))
    assert [reference for reference, _ in left_out.value.skipped] == [case.reference]
    assert "0 action(s) recorded for the others" in left_out.value.message
    with pytest.raises(SweepIncomplete, match=r"0 action\(s\) due \(a dry run: nothing recorded\)"):
        service_on(backend.make_uow()).preview_sweep(backend.make_uow(), now=datetime(2027, 1, 1, 10, tzinfo=SH))

    if backend.database is None:
        return  # the memory store keeps no index
    loaded = backend.database.unit_of_work(clock_indexer(policies(), CalendarRegistry([cal])))
    with loaded:
        assert loaded.cases.refresh_index() == (1, ())
        loaded.commit()
    with loaded:
        assert loaded.cases.overdue(datetime(2027, 1, 6, tzinfo=SH)) == [  # 12-31 + 1 and 2 working days
            (str(ref), "first_investigation", datetime(2027, 1, 4, 23, 59, 59, 999999, tzinfo=SH)),
            (str(ref), "close", datetime(2027, 1, 5, 23, 59, 59, 999999, tzinfo=SH)),
        ]
