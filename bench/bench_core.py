"""Benchmark: full case lifecycles through ``CaseService`` on the in-memory adapters.

One lifecycle is receive -> register -> start_investigation -> attribute ->
propose -> approve -> reply -> close: 8 commands, each its own unit of work
(load, check, emit one event, save, outbox, commit), on ``MemoryUnitOfWork``,
``MemoryPolicies([load_preset("manufacturing")])``, a calendar source that
returns the bundled China calendar, and a ``FixedClock``.

The baseline, measured in the same run, makes the same state changes on plain
mutable objects (a class holding a dict of fields and a status string, in a
dict store): no checks, no events, no immutability, no transactions. Its
final states are compared with ours; a mismatch is a wrong result (exit 1).
Timing never fails the script.

Usage (from the project root):

    .venv/bin/python bench/bench_core.py             # 2,000 lifecycles
    .venv/bin/python bench/bench_core.py --n 500     # scale down
    .venv/bin/python bench/bench_core.py --profile   # also cProfile ours, top functions

Targets: ours/baseline <= 10x per lifecycle, and >= 5,000 lifecycles per second.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import timing
from adapters.calendars import china_calendar
from adapters.clock import FixedClock
from adapters.memory import MemoryPolicies, MemoryStore, MemoryUnitOfWork
from adapters.policy_files import load_preset
from complaint_core.calendar import WorkingCalendar
from complaint_core.case import Case, CaseStatus, RemedyKind
from complaint_core.intake import Intake
from complaint_core.policy import CalendarSettings, Channel
from complaint_core.responsibility import Party, PartyKind, Responsibility
from complaint_core.services import CaseService

REPEATS = 5
TARGET_RATIO = 10.0
TARGET_RATE = 5_000.0
NOW = datetime(2026, 3, 16, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai, a Monday
AMOUNT = Decimal("1200.00")  # within sales_manager's 5000.00 in the manufacturing preset
ROLE = "sales_manager"
ACTOR = "clerk"
STEPS = ("received", "registered", "investigating", "attributed", "proposed", "approved", "replied", "closed")


class FixedCalendars:
    """A ``CalendarSource`` returning one prebuilt calendar."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar

    def get(self, settings: CalendarSettings) -> WorkingCalendar:
        return self._calendar


def id_factory() -> Callable[[], UUID]:
    """Deterministic ids (both sides use the same generator, so id cost is equal)."""
    counter = iter(range(1, 1 << 62))
    return lambda: UUID(int=next(counter))


# ----- ours --------------------------------------------------------------------------------
def run_ours(n: int, calendar: WorkingCalendar) -> tuple[MemoryUnitOfWork, list[UUID]]:
    uow = MemoryUnitOfWork(MemoryStore())
    svc = CaseService(
        uow=uow,
        policies=MemoryPolicies([load_preset("manufacturing")]),
        calendars=FixedCalendars(calendar),
        clock=FixedClock(NOW),
        default_policy="manufacturing",
        new_id=id_factory(),
    )
    ids = []
    for i in range(n):
        intake = Intake(
            customer=f"customer-{i % 97}",
            channel=Channel.PHONE,
            category="quality",
            description="boards delaminate after reflow",
        )
        case = svc.receive(intake, actor=ACTOR)
        ref = case.case_id
        svc.register(ref, actor="gm_office")
        svc.start_investigation(ref, actor="quality")
        causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, "production"))
        svc.attribute(ref, actor="quality", causer=causer)
        svc.propose(ref, actor="sales", kind=RemedyKind.COMPENSATION, amount=AMOUNT, note="credit note")
        svc.approve(ref, actor="manager", role=ROLE)
        svc.reply(ref, actor="sales", message="we credit 1200.00", reaction="accepted")
        svc.close(ref, actor="gm_office")
        ids.append(ref)
    return uow, ids


def run_domain(n: int) -> dict[UUID, Case]:
    """The same commands on the ``Case`` aggregate directly: no service, no unit of work, no outbox."""
    policy = load_preset("manufacturing")
    new_id = id_factory()
    clock = FixedClock(NOW)
    out: dict[UUID, Case] = {}
    for i in range(n):
        intake = Intake(
            customer=f"customer-{i % 97}",
            channel=Channel.PHONE,
            category="quality",
            description="boards delaminate after reflow",
        )
        case, _ = Case.receive(policy, case_id=new_id(), intake=intake, at=clock.now(), actor=ACTOR)
        case, _ = case.register(policy, at=clock.now(), actor="gm_office", number=f"2603{i + 1:02}")
        case, _ = case.start_investigation(policy, at=clock.now(), actor="quality")
        causer = Responsibility.sole(Party(PartyKind.DEPARTMENT, "production"))
        case, _ = case.attribute(policy, at=clock.now(), actor="quality", causer=causer)
        case, _ = case.propose(
            policy, at=clock.now(), actor="sales", kind=RemedyKind.COMPENSATION, amount=AMOUNT, note="credit note"
        )
        case, _ = case.approve(policy, at=clock.now(), actor="manager", role=ROLE)
        case, _ = case.reply_to_customer(
            policy, at=clock.now(), actor="sales", message="we credit 1200.00", reaction="accepted"
        )
        case, _ = case.close(policy, at=clock.now(), actor="gm_office")
        out[case.case_id] = case
    return out


# ----- baseline: plain mutable objects ------------------------------------------------------
class PlainCase:
    __slots__ = ("fields", "status", "steps")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.status = "received"
        self.steps: list[tuple[str, datetime, str]] = []


def run_plain(n: int) -> dict[UUID, PlainCase]:
    store: dict[UUID, PlainCase] = {}
    serials: dict[tuple[str, str], int] = {}
    clock = FixedClock(NOW)
    new_id = id_factory()
    for i in range(n):
        at = clock.now()
        case = PlainCase(
            {
                "case_id": new_id(),
                "policy_id": "manufacturing",
                "customer": f"customer-{i % 97}",
                "channel": "phone",
                "category": "quality",
                "description": "boards delaminate after reflow",
                "received_at": at,
                "clocks": {},
            }
        )
        case.steps.append(("received", at, ACTOR))
        ref = case.fields["case_id"]
        store[ref] = case

        c = store[ref]  # register: number + the close clock starts
        at = clock.now()
        key = ("manufacturing", f"{at.year:04d}-{at.month:02d}")
        serials[key] = serial = serials.get(key, 0) + 1
        c.fields["number"] = f"{at.year % 100:02d}{at.month:02d}{serial:02}"
        c.fields["clocks"]["close"] = [at, None]
        c.status = "registered"
        c.steps.append(("registered", at, "gm_office"))

        c = store[ref]
        at = clock.now()
        c.status = "investigating"
        c.steps.append(("investigating", at, "quality"))

        c = store[ref]
        at = clock.now()
        c.fields["causer"] = (("department", "production", Decimal(1)),)
        c.fields["handler"] = None
        c.status = "attributed"
        c.steps.append(("attributed", at, "quality"))

        c = store[ref]
        at = clock.now()
        c.fields["remedy"] = ("compensation", AMOUNT, "credit note")
        c.status = "proposed"
        c.steps.append(("proposed", at, "sales"))

        c = store[ref]
        at = clock.now()
        c.fields["approval"] = (ROLE, "manager", at)
        c.status = "approved"
        c.steps.append(("approved", at, "manager"))

        c = store[ref]
        at = clock.now()
        c.fields["reply"] = ("we credit 1200.00", "accepted", at)
        c.status = "replied"
        c.steps.append(("replied", at, "sales"))

        c = store[ref]
        at = clock.now()
        c.fields["clocks"]["close"][1] = at
        c.status = "closed"
        c.steps.append(("closed", at, "gm_office"))
    return store


# ----- checks ------------------------------------------------------------------------------
def check(n: int, uow: MemoryUnitOfWork, ids: list[UUID], plain: dict[UUID, PlainCase]) -> list[str]:
    problems: list[str] = []
    store = uow.store
    if len(store.cases) != n or len(plain) != n:
        problems.append(f"case count: ours {len(store.cases)}, baseline {len(plain)}, expected {n}")
    if len(store.outbox) != 8 * n:
        problems.append(f"outbox holds {len(store.outbox)} events, expected {8 * n}")
    for case_id in ids:
        ours = store.cases.get(case_id)
        base = plain.get(case_id)
        if ours is None or base is None:
            problems.append(f"case {case_id}: missing (ours {ours is not None}, baseline {base is not None})")
            continue
        f = base.fields
        close = ours.clock("close") if any(c.name == "close" for c in ours.clocks) else None
        mismatches = {
            "status": (ours.status.value, base.status),
            "version": (ours.version, 8),
            "number": (ours.number, f.get("number")),
            "steps": (tuple(s.status.value for s in ours.steps), tuple(s[0] for s in base.steps)),
            "remedy": (
                (ours.remedy.kind.value, ours.remedy.amount) if ours.remedy else None,
                (f["remedy"][0], f["remedy"][1]),
            ),
            "approval role": (ours.approval.role if ours.approval else None, f["approval"][0]),
            "reply": (ours.reply.message if ours.reply else None, f["reply"][0]),
            "causer": (
                tuple((s.party.kind.value, s.party.id, s.share) for s in ours.causer.shares) if ours.causer else None,
                f["causer"],
            ),
            "close clock": (
                (close.started_at, close.stopped_at) if close else None,
                tuple(f["clocks"]["close"]),
            ),
        }
        for what, (a, b) in mismatches.items():
            if a != b:
                problems.append(f"case {case_id}: {what}: ours {a!r}, baseline {b!r}")
        if ours.status is not CaseStatus.CLOSED or tuple(s.status.value for s in ours.steps) != STEPS:
            problems.append(f"case {case_id}: did not run the full lifecycle: {ours.status.value}")
        if len(problems) > 20:
            break
    return problems


def best_of(fns: dict[str, Callable[[], Any]], repeats: int = REPEATS) -> dict[str, tuple[float, Any]]:
    return timing.best_of(fns, repeats)


def profile_ours(n: int, calendar: WorkingCalendar, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours(n, calendar)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2_000, help="number of lifecycles per timed run (default 2000)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timed rounds, best kept (default {REPEATS})")
    parser.add_argument("--profile", action="store_true", help="also run ours under cProfile and print hot spots")
    parser.add_argument("--top", type=int, default=10, help="functions to show with --profile (default 10)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.repeats < 1:
        parser.error("--n and --repeats must be >= 1")

    calendar = china_calendar()
    print("bench_core: case lifecycles through CaseService (memory adapters)")
    print(f"  python {platform.python_version()}, {platform.machine()}")
    print(
        f"  {args.n:,} lifecycles per run, 8 commands each "
        "(receive, register, start_investigation, attribute, propose, approve, reply, close)"
    )
    print(f"  policy manufacturing preset, approve as {ROLE} for {AMOUNT}; FixedClock {NOW.isoformat()}")
    print(f"  timings: warm-up + best of {args.repeats} interleaved rounds, perf_counter, fresh store per run, GC on")
    print()

    timed = best_of(
        {
            "plain": lambda: run_plain(args.n),
            "ours": lambda: run_ours(args.n, calendar),
            "domain": lambda: run_domain(args.n),
        },
        args.repeats,
    )
    t_plain, plain = timed["plain"]
    t_ours, (uow, ids) = timed["ours"]
    t_domain, domain = timed["domain"]

    us_plain = t_plain / args.n * 1e6
    us_ours = t_ours / args.n * 1e6
    ratio = us_ours / us_plain
    rate = args.n / t_ours

    widths = (44, 16, 14, 16, 10)
    header = ("variant", "us/lifecycle", "us/command", "lifecycles/s", "x base")

    def row(cols: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cols, widths, strict=True))
        )

    print(row(header))
    print(row(tuple("-" * w for w in widths)))
    print(
        row(
            (
                "baseline: plain mutable objects, dict store",
                f"{us_plain:.1f}",
                f"{us_plain / 8:.2f}",
                f"{args.n / t_plain:,.0f}",
                "1.00",
            )
        )
    )
    print(
        row(
            (
                "ours: CaseService + MemoryUnitOfWork",
                f"{us_ours:.1f}",
                f"{us_ours / 8:.2f}",
                f"{rate:,.0f}",
                f"{ratio:.2f}",
            )
        )
    )
    us_domain = t_domain / args.n * 1e6
    print(
        row(
            (
                "  of which: Case commands alone (no service)",
                f"{us_domain:.1f}",
                f"{us_domain / 8:.2f}",
                f"{args.n / t_domain:,.0f}",
                f"{us_domain / us_plain:.2f}",
            )
        )
    )
    print(
        row(
            (
                "  of which: service + unit of work + outbox",
                f"{us_ours - us_domain:.1f}",
                f"{(us_ours - us_domain) / 8:.2f}",
                "-",
                "-",
            )
        )
    )
    print()

    problems = check(args.n, uow, ids, plain)
    for case_id in ids:
        d, o = domain.get(case_id), uow.store.cases.get(case_id)
        if (
            d is None
            or o is None
            or (d.status, d.version, d.steps, d.remedy) != (o.status, o.version, o.steps, o.remedy)
        ):
            problems.append(f"case {case_id}: the domain-only run ends differently from the service run")
            break
    if problems:
        print(f"WRONG RESULTS: {len(problems)} problem(s); first few:")
        for p in problems[:20]:
            print(f"  {p}")
    else:
        print(f"final states agree: {args.n:,} cases closed, version 8, {8 * args.n:,} events in the outbox")
    print()

    if args.profile:
        print(f"cProfile of ours ({args.n:,} lifecycles; profiling inflates times, compare shares only):")
        print(profile_ours(args.n, calendar, args.top))

    ok_ratio = ratio <= TARGET_RATIO
    ok_rate = rate >= TARGET_RATE
    print(
        f"target ours/baseline <= {TARGET_RATIO:.0f}x: {ratio:.2f}x {'MET' if ok_ratio else 'MISSED'}; "
        f"target >= {TARGET_RATE:,.0f} lifecycles/s: {rate:,.0f} {'MET' if ok_rate else 'MISSED'}"
    )
    if not (ok_ratio and ok_rate) and not args.profile:
        print("  (run with --profile to see the hot spots)")
    if problems:
        print(
            f"RESULT: WRONG RESULTS ({len(problems)} problems); targets {'met' if ok_ratio and ok_rate else 'missed'}"
        )
        return 1
    verdict = "TARGET MET" if ok_ratio and ok_rate else "TARGET MISSED"
    print(f"RESULT: {verdict}: {us_ours:.1f} us/lifecycle, {rate:,.0f} lifecycles/s, {ratio:.1f}x the plain baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
