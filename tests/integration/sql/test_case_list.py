"""``SqlCaseRepository.list`` (what ``complaint case list`` reads) on SQLite and PostgreSQL, filter by filter and
at its borders, against a scan of every stored case in Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from sqlkit import INTAKE, Backend, sh, sql_backend

from complaint_core import Case, CaseStatus
from complaint_core.responsibility import FaultShare, Party, PartyKind, Responsibility

S1, S2, S3 = (Party(PartyKind.PERSON, name) for name in ("S1", "S2", "S3"))
SALES = Party(PartyKind.DEPARTMENT, "sales")


def _fill(backend: Backend) -> None:
    service = backend.service(sh(2026, 12, 1))

    def received(at: datetime, customer: str = "华东电子") -> Case:
        return service.receive(attrs.evolve(INTAKE, customer=customer), actor="cs", at=at, policy_id="manufacturing")

    def attributed(at: datetime, **slots: Any) -> Case:
        ref = received(at).case_id
        service.register(ref, actor="gm", at=at + timedelta(minutes=1))
        service.start_investigation(ref, actor="qa", at=at + timedelta(minutes=2))
        return service.attribute(ref, actor="qa", at=at + timedelta(minutes=3), **slots)

    received(sh(2026, 10, 31, 23, 59), customer="华南五金")
    received(sh(2026, 11, 1, 0, 0), customer="  华东电子 ")  # the same customer, given with blanks
    registered = received(sh(2026, 11, 2))
    service.register(registered.case_id, actor="gm", at=sh(2026, 11, 2, 10))
    attributed(sh(2026, 11, 3), causer=Responsibility.sole(S1))
    attributed(sh(2026, 11, 4), handler=S2, causer=Responsibility.sole(SALES))
    attributed(sh(2026, 11, 5), causer=Responsibility.sole(S3), delay=Responsibility.sole(S1))
    halves = Responsibility((FaultShare(S2, Decimal("0.5")), FaultShare(S3, Decimal("0.5"))))
    attributed(sh(2026, 11, 30, 23, 59), causer=halves)
    received(sh(2026, 12, 1, 0, 0), customer="华南五金")
    twin = received(sh(2026, 11, 3))  # received at the same minute as another: the id orders them
    service.assign(twin.case_id, S3, actor="gm", at=sh(2026, 11, 3, 10))
    service.assign(twin.case_id, SALES, actor="gm", at=sh(2026, 11, 3, 11))  # S3 handles it no longer


def _everything(backend: Backend) -> list[Case]:
    uow = backend.uow()
    with uow:
        return list(uow.cases.all())


def _parties(case: Case) -> set[str]:
    named = {case.handler.id} if case.handler is not None else set()
    for slot in (case.causer, case.delay):
        named |= {share.party.id for share in slot.shares} if slot is not None else set()
    return named


def _scan(
    cases: list[Case],
    *,
    status: tuple[CaseStatus, ...] = (),
    customer: str | None = None,
    party: str | None = None,
    received_from: datetime | None = None,
    received_before: datetime | None = None,
) -> list[str]:
    found = [
        c
        for c in cases
        if (not status or c.status in status)
        and (customer is None or c.intake.customer.strip() == customer.strip())
        and (party is None or party in _parties(c))
        and (received_from is None or c.received_at >= received_from)
        and (received_before is None or c.received_at < received_before)
    ]
    return [str(c.case_id) for c in sorted(found, key=lambda c: (c.received_at, str(c.case_id)))]


FILTERS: list[dict[str, Any]] = [
    {},
    {"status": (CaseStatus.RECEIVED,)},
    {"status": (CaseStatus.REGISTERED, CaseStatus.ATTRIBUTED)},
    {"status": (CaseStatus.CLOSED,)},
    {"customer": "华东电子"},
    {"customer": " 华东电子  "},  # a key, as repeats are found
    {"customer": "华南五金"},
    {"customer": "华"},
    {"party": "S1"},  # causer of one case, delayer of another
    {"party": "S2"},  # handler of one case, half the causer of another
    {"party": "sales"},  # a department: the causer of one case, the handler of another
    {"party": "S9"},
    {"received_from": sh(2026, 11, 1, 0, 0)},  # exactly a case's receipt: included
    {"received_before": sh(2026, 11, 1, 0, 0)},  # exactly a case's receipt: excluded
    {"received_from": sh(2026, 11, 1, 0, 0), "received_before": sh(2026, 12, 1, 0, 0)},  # November
    {"received_from": sh(2026, 11, 3), "received_before": sh(2026, 11, 3)},  # empty
    {"received_from": sh(2026, 11, 3), "received_before": sh(2026, 11, 3, 9, 1)},  # the two of one minute
    {"status": (CaseStatus.ATTRIBUTED,), "party": "S3", "received_before": sh(2026, 11, 30)},
    {"customer": "华东电子", "status": (CaseStatus.RECEIVED,), "received_from": sh(2026, 11, 2)},
    {"party": "S3"},  # a causer twice; the handler of a third case until it was reassigned
]


def test_each_filter_keeps_exactly_the_cases_a_scan_keeps_oldest_first(sql_url: str) -> None:
    backend = sql_backend(sql_url)
    try:
        _fill(backend)
        everything = _everything(backend)
        uow = backend.uow()
        with uow:
            listed = {repr(f): [str(c.case_id) for c in uow.cases.list(**f)] for f in FILTERS}  # type: ignore[attr-defined]
    finally:
        backend.close()
    assert len(everything) == 9
    assert listed == {repr(f): _scan(everything, **f) for f in FILTERS}
    # the scan tells the rows apart, and the borders fall where the comments say
    assert [len(found) for found in listed.values()] == [9, 4, 5, 0, 7, 7, 2, 0, 2, 2, 2, 0, 8, 1, 7, 0, 2, 1, 1, 2]
