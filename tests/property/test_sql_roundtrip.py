"""Round trips: every aggregate and event the service produces survives JSON and a SQLite unit of work unchanged.

Cases are built by running random command sequences through ``CaseService`` on the in-memory store (refused
commands are simply skipped), so they reach every state with handlers, shares, remedies, petitions, promises,
escalations and second complaints. Each case is then compared after ``dumps``/``loads`` and after a save and a
load through SQLite; each event after ``dump_event``/``load_event`` and through the SQL history.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event as note
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from adapters import serialization
from adapters.calendars import CalendarRegistry
from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies, MemoryStore, MemoryUnitOfWork
from adapters.policy_files import PRESETS, load_preset
from adapters.sql import Database, open_database
from adapters.sql.indexing import clock_indexer
from adapters.sql.rows import event_rows
from complaint_core import Case, DomainError, Intake, RemedyKind
from complaint_core.clocks import compute_deadline
from complaint_core.errors import CalendarNotCovered
from complaint_core.intake import ProductLine
from complaint_core.policy import CaseKind, Market
from complaint_core.responsibility import FaultShare, Party, PartyKind, Responsibility
from complaint_core.validity import Validity
from entrypoints.bootstrap import bootstrap

SH = ZoneInfo("Asia/Shanghai")
POLICIES = MemoryPolicies([load_preset(name) for name in PRESETS])
CALENDARS = CalendarRegistry(())
PEOPLE = [
    Party(PartyKind.PERSON, "p1", "张三"),
    Party(PartyKind.DEPARTMENT, "sales", "业务部"),
    Party(PartyKind.SUPPLIER, "s1", "供应商"),
]
MILESTONES = [
    "investigation_done",
    "report_submitted",
    "negotiation_received",
    "consolidated",
    "forwarded_to_head",
    "head_replied",
    "pm_received",
    "memo_done",
    "transferred",
    "alert_acknowledged",
]


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A new SQLite database per example: a copy of one migrated once (numbers repeat across examples)."""
    folder = tmp_path_factory.mktemp("roundtrip")
    template = folder / "template.db"
    open_database(str(template)).dispose()
    count = itertools.count()

    @contextmanager
    def make() -> Iterator[Database]:
        path = folder / f"example-{next(count)}.db"
        shutil.copyfile(template, path)
        database = open_database(str(path))
        try:
            yield database
        finally:
            database.dispose()
            path.unlink()

    return make


responsibilities = st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3, unique=True).map(
    lambda parties: Responsibility(
        tuple(
            FaultShare(p, Decimal(1) / len(parties) if len(parties) != 3 else Decimal(s))
            for p, s in zip(parties, ("0.5", "0.25", "0.25"), strict=False)
        )
    )
)


lines = st.builds(
    ProductLine,
    order_no=st.sampled_from(["", "SO-1"]),
    part_no=st.sampled_from(["", "P-9"]),
    shipped_on=st.none() | st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 10, 31)),
    quantity=st.integers(10, 100).map(Decimal),
    defective_quantity=st.none() | st.integers(0, 5).map(Decimal),
    requested_quantity=st.none() | st.integers(0, 5).map(Decimal),
)


@st.composite
def intakes(draw: st.DrawFn, policy_id: str, kinds: Sequence[CaseKind] = (CaseKind.EXTERNAL,)) -> Intake:
    policy = POLICIES.get(policy_id)
    return Intake(
        kind=draw(st.sampled_from(kinds)),
        customer=draw(st.sampled_from(["华东电子", "ACME Ltd.", '客户 "引号" \\ 斜杠'])),
        channel=draw(st.sampled_from(policy.channels)),
        category=draw(st.sampled_from([c.code for c in policy.categories])),
        description=draw(st.text(max_size=20)),
        market=draw(st.sampled_from(Market)),
        claimed_amount=draw(st.none() | st.integers(0, 10**9).map(lambda f: Decimal(f).scaleb(-2))),
        lines=tuple(draw(st.lists(lines, max_size=2))),
        flags=frozenset(),
    )


PATH = ["register", "start_investigation", "attribute", "propose", "approve", "reply", "close", "settle", "second"]


def command(draw: st.DrawFn, step: int) -> tuple[str, dict[str, Any]]:
    """Half the time the next step along the lifecycle (so deep states are reached), else any command."""
    name = (
        PATH[step % len(PATH)]
        if draw(st.booleans())
        else draw(
            st.sampled_from(
                [
                    "register",
                    "start_investigation",
                    "attribute",
                    "propose",
                    "approve",
                    "reply",
                    "close",
                    "settle",
                    "find_not_established",
                    "petition",
                    "reach_milestone",
                    "classify",
                    "flag_major",
                    "record_emergency_meeting",
                    "declare_special_circumstance",
                    "record_promise",
                    "sweep",
                    "second",
                ]
            )
        )
    )
    args: dict[str, Any] = {}
    if name == "attribute":
        args = {
            "handler": draw(st.sampled_from(PEOPLE)),
            "causer": draw(st.none() | responsibilities),
            "delay": draw(st.none() | responsibilities),
        }
        args["no_fault"] = args["causer"] is None
        args["validity"] = draw(
            st.none() | st.builds(Validity, reason_sufficient=st.just(True), request_reasonable=st.booleans())
        )
    elif name == "propose":
        args = {
            "kind": draw(st.sampled_from(RemedyKind)),
            "amount": draw(st.integers(0, 10**7).map(lambda f: Decimal(f).scaleb(-2))),
        }
    elif name == "approve":
        args = {"role": draw(st.sampled_from(["sales_manager", "gm", "general_manager", "manager", "director"]))}
    elif name in ("reply",):
        args = {
            "message": draw(st.sampled_from(["说明", "explained"])),
            "reaction": draw(st.sampled_from(["", "满意"])),
        }
    elif name == "settle":
        args = {"open_items": tuple(draw(st.lists(st.sampled_from(["退货", "补偿"]), max_size=2, unique=True)))}
    elif name == "find_not_established":
        args = {
            "reason": "使用不当",
            "validity": draw(
                st.none() | st.builds(Validity, reason_sufficient=st.just(False), request_reasonable=st.booleans())
            ),
        }
    elif name == "petition":
        args = {"department": "quality", "reason": "不同意"}
    elif name == "reach_milestone":
        args = {"milestone": draw(st.sampled_from(MILESTONES))}
    elif name == "classify":
        args = {
            "severity": draw(st.sampled_from(["general", "major", "light", "medium", "severe"])),
            "delay_days": draw(st.integers(0, 20)),
        }
    elif name == "flag_major":
        args = {"reason": "媒体曝光"}
    elif name == "record_emergency_meeting":
        args = {"attendees": ("gm", "qa"), "minutes": "会议纪要"}
    elif name == "declare_special_circumstance":
        args = {"reason": "停产", "approver": "gm"}
    return name, args


@st.composite
def histories(
    draw: st.DrawFn,
    start: datetime = datetime(2026, 11, 2, 9, tzinfo=SH),
    days: int = 55,
    presets: Sequence[str] = PRESETS,
    kinds: Sequence[CaseKind] = (CaseKind.EXTERNAL,),
) -> tuple[MemoryStore, list[Case]]:
    """A case received within ``days`` of ``start`` and taken through up to 16 random commands, a few days apart at
    most, on the memory store; a history whose first intake is refused (its deadline needs 2027) is rejected."""
    store = MemoryStore()
    now = start + timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
    clock = FixedClock(now)
    service = bootstrap(uow=MemoryUnitOfWork(store), policies=POLICIES, calendars=CALENDARS, clock=clock)
    policy_id = draw(st.sampled_from(presets))
    try:
        case = service.receive(draw(intakes(policy_id, kinds)), actor="cs", policy_id=policy_id)
    except CalendarNotCovered:
        reject()
    step = 0
    for _ in range(draw(st.integers(0, 16))):
        clock.advance_to(clock.now() + timedelta(minutes=draw(st.sampled_from([0, 30, 60 * 20, 60 * 24 * 4]))))
        name, args = command(draw, step)
        ref = case.case_id
        version = case.version
        try:
            if name == "sweep":
                service.sweep(now=clock.now())
            elif name == "second":
                case = service.open_second_complaint(ref, actor="cs", description="再次投诉")
            elif name in ("declare_special_circumstance", "record_promise"):
                clocks = [c.name for c in service.get(ref).clocks if c.running]
                if not clocks:
                    continue
                target = draw(st.sampled_from(clocks))
                if name == "record_promise":
                    service.record_promise(ref, target, actor="cs", due=clock.now() + timedelta(days=2))
                else:
                    service.declare_special_circumstance(ref, target, actor="cs", **args)
            else:
                getattr(service, name)(ref, actor="x", **args)
            case = store.cases[case.case_id] if name != "second" else case
        except DomainError:
            pass
        if name == PATH[step % len(PATH)] and (case.version != version or name == "second"):
            step += 1
    return store, list(store.cases.values())


# a quarter of the profile's count (ci: 25, dev: 6): each example builds a SQLite database
@settings(max_examples=max(5, settings().max_examples // 4))
@given(histories())
def test_every_aggregate_and_event_round_trips(fresh_db: Any, history: tuple[MemoryStore, list[Case]]) -> None:
    store, cases = history
    assert cases
    for case in cases:
        assert serialization.loads(serialization.dumps(case), Case) == case
    for event in store.outbox:
        note(event.EVENT_TYPE)
        assert serialization.load_event(serialization.dump_event(event)) == event
        assert serialization.load_event(event_rows(event)[1]["payload"]) == event  # the message the outbox sends

    with fresh_db() as db:
        uow = db.unit_of_work(clock_indexer(POLICIES, CALENDARS))
        parents_first = sorted(cases, key=lambda c: c.repeat_count)
        with uow:
            for case in parents_first:
                uow.cases.add(case)
            uow.outbox.add(store.outbox)
            uow.commit()
        with uow:
            for case in cases:
                assert uow.cases.get(case.case_id) == case
                assert uow.history(case.case_id) == [e for e in store.outbox if e.aggregate_id == case.case_id]
        # saved again after a change, still itself
        with uow:
            for case in cases:
                loaded = uow.cases.get(case.case_id)
                uow.cases.save(loaded)
            uow.commit()
        with uow:
            assert {c.case_id: c for c in uow.cases.all() if c.case_id in store.cases} == store.cases


@given(histories(datetime(2026, 12, 21, 9, tzinfo=SH), 10, ("service", "bank-branch"), tuple(CaseKind)))
def test_every_running_deadline_of_a_stored_case_can_be_computed(history: tuple[MemoryStore, list[Case]]) -> None:
    """Histories run into 2027, which the bundled calendar does not cover: whatever the commands, a case is never
    stored with a running clock whose deadline cannot be computed (``CaseService.check_deadlines``), which the SQL
    index would keep without a due time and no sweep would find."""
    _, cases = history
    for case in cases:
        policy = POLICIES.get(case.policy_id, case.policy_version)
        calendar = CALENDARS.get(policy.calendar)
        for state, rule in case.clock_rules(policy):
            if rule is not None and state.stopped_at is None:
                note(f"running {rule.limit.unit.value if rule.limit else 'no limit'}")
                compute_deadline(rule, state, calendar=calendar, tz=policy.tz)
