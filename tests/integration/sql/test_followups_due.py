"""DOMAIN §9: "which visits are due" reads the follow-ups due by then, not every case, on every store.

The answer must equal a scan of every follow-up of every case, on memory, SQLite and
PostgreSQL (the SQL stores answer through the index on the earliest open due).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlkit import SH, Backend, closed_service_case, policies

from complaint_core.followup import FollowUp
from complaint_core.followup_service import FollowUpService


def scan(backend: Backend, on: date) -> list[tuple[datetime, str, int]]:
    """Every open visit due by ``on`` in its policy's zone, found by reading every case."""
    out: list[tuple[datetime, str, int]] = []
    uow = backend.uow()
    with uow:
        for case in list(uow.cases.all()):
            for followup in uow.followups.for_case(case.case_id):
                tz = policies().get(followup.policy_id, followup.policy_version).tz
                out.extend((v.due, str(case.case_id), v.number) for v in followup.open_visits if v.due_on(tz) <= on)
    return sorted(out)


def test_due_visits_equal_a_scan_of_every_case_and_come_earliest_first(backend: Backend) -> None:
    followups = FollowUpService(backend.service())
    scheduled: list[FollowUp] = []
    for i, start in enumerate((datetime(2026, 1, 5, 9, tzinfo=SH), datetime(2026, 2, 27, 23, tzinfo=SH))):
        ref = closed_service_case(backend, start, f"客户{i}")
        scheduled.append(followups.get(ref))  # scheduled by the closure (P4-FU-04)
    dues = sorted({v.due.astimezone(SH).date() for f in scheduled for v in f.visits})
    assert len(dues) >= 4
    probes = {
        dues[0] - timedelta(days=1),
        *dues,
        *(d - timedelta(days=1) for d in dues),
        dues[-1] + timedelta(days=400),
    }
    for on in sorted(probes):
        found = followups.due(on)
        got = [(f.visit(n).due, str(f.case_id), n) for f, n in found]
        assert got == scan(backend, on), on
    assert followups.due(dues[0] - timedelta(days=1)) == ()
    everything = followups.due(dues[-1] + timedelta(days=400))
    assert len(everything) == sum(len(f.open_visits) for f in scheduled)
    assert followups.due(date.max) == everything  # the last day of the calendar is a day like any other
