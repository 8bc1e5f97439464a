"""Rules a case holds once, under racing writers: one return or allowance (P1-RET-01), one decided penalty
(PEN-APPROVE). The services read before they write; on PostgreSQL (READ COMMITTED) two writers could both pass
that read, so the database holds the rules (migration 0004) and the loser retries and is refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from adapters.sql import documents as docs
from complaint_core import Channel, DomainError, Intake, Party, PartyKind, RemedyKind, Responsibility
from complaint_core.penalty import Sanction
from complaint_core.penalty_orders import LossOrder, PenaltyOrder, SanctionOrder
from entrypoints.app import App, open_app

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 4


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SH)


M06 = Party(PartyKind.PERSON, "M06")


def closed_allowance(app: App, causer: Party | Responsibility = M06) -> UUID:
    source = (ROOT / "examples" / "organisation.toml").read_text(encoding="utf-8")
    if not docs.latest(app.database.engine, "organisation"):
        docs.store(app.database.engine, kind="organisation", name="organisation", source=source, fmt="toml", at=at(1))
    s = app.cases
    ref = s.receive(
        Intake(customer="华东电子", channel=Channel.PHONE, category="quality"), actor="S02", at=at(2)
    ).case_id
    s.register(ref, actor="gm_office", at=at(2, 10))
    s.start_investigation(ref, actor="Q02", at=at(2, 11))
    s.attribute(
        ref,
        actor="Q01",
        at=at(3),
        causer=causer if isinstance(causer, Responsibility) else Responsibility.sole(causer),
        cause_code="shipping_error",
    )  # P1-CLS-08
    s.propose(ref, actor="S01", kind=RemedyKind.ALLOWANCE, amount=Decimal("800.00"), at=at(3, 10))
    s.approve(ref, actor="S01", role="sales_manager", at=at(3, 11))
    s.reply(ref, actor="S02", message="同意折让", at=at(4))
    s.close(ref, actor="gm_office", at=at(4, 10))
    return ref


def race(url: str, calls: list[Callable[[App], object]]) -> list[str]:
    """Each call on its own App (its own connections), all released together; 'ok' or the refusal's rule."""
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list[str] = [""] * len(calls)

    def run(i: int) -> None:
        try:
            app = open_app(url)
        except Exception as error:  # the others must not wait at the barrier for ever
            barrier.abort()
            outcomes[i] = f"{type(error).__name__}: {error}"
            return
        try:
            barrier.wait()
            calls[i](app)
            outcomes[i] = "ok"
        except DomainError as error:
            outcomes[i] = error.rule
        except Exception as error:
            outcomes[i] = f"{type(error).__name__}: {error}"
        finally:
            app.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def init_counted(url: str, tmp_path: Path) -> None:
    """The database's default policy: the manufacturing preset with a count tier (F4-PN-01: 2 complaints, 100)."""
    from entrypoints.cli.main import main

    text = (ROOT / "src" / "adapters" / "presets" / "manufacturing.toml").read_text(encoding="utf-8")
    policy = tmp_path / "counted.toml"
    policy.write_text(
        text.replace('policy_id = "manufacturing"', 'policy_id = "counted"', 1)
        + '\n[[penalties.count_tiers]]\nat_least = 2\namount = "100.00"\n',
        encoding="utf-8",
    )
    try:
        main(["--db", url, "--json", "init", "--policy", str(policy)])
    except SystemExit as done:
        assert not done.code


def count(url: str, sql: str, **params: object) -> int:
    app = open_app(url)
    try:
        with app.database.engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        app.close()


def test_two_authorisations_of_one_case_make_one_return(sql_url: str) -> None:
    for _ in range(ROUNDS):
        app = open_app(sql_url)
        try:
            ref = closed_allowance(app)
        finally:
            app.close()
        outcomes = race(sql_url, [lambda a, ref=ref: a.returns.authorise(ref, actor="S02", at=at(5))] * 2)
        assert sorted(outcomes) == ["P1-RET-01", "ok"], outcomes
        assert count(sql_url, "SELECT count(*) FROM returns WHERE case_id = :c", c=str(ref)) == 1


def test_two_approvals_of_one_case_decide_it_once(sql_url: str) -> None:
    """Two proposals for one case, approved at once: a loss charged to a supplier (reported, nothing posted) and
    a warning (posted). Only the ledger's sequence serialised approvals, and the loss posts nothing."""
    for _ in range(ROUNDS):
        app = open_app(sql_url)
        try:
            ref = closed_allowance(app, Party(PartyKind.SUPPLIER, "acme"))
            loss = app.penalties.assess(ref, PenaltyOrder(loss=LossOrder(actual_loss=Decimal("100.00"))), actor="Q01",
                                        at=at(6))  # fmt: skip
            warning = app.penalties.assess(
                ref, PenaltyOrder(sanctions=(SanctionOrder(person_id="M03", sanction=Sanction.WARNING),)),
                actor="Q01", at=at(6, 10),
            )  # fmt: skip
            app.penalties.endorse(warning.assessment_id, role="supervisor", actor="M01", at=at(6, 11))  # P1-APR-04
        finally:
            app.close()
        outcomes = race(
            sql_url,
            [
                lambda a, x=x: a.penalties.approve(x.assessment_id, role="gm", actor="GM01", at=at(7))
                for x in (loss, warning)
            ],
        )
        assert sorted(outcomes) == ["PEN-APPROVE", "ok"], outcomes
        decided = "SELECT count(*) FROM assessments WHERE case_id = :c AND status <> 'proposed'"
        assert count(sql_url, decided, c=str(ref)) == 1


def test_a_long_lived_app_closes_on_the_bonuses_of_the_day_and_journals_one_close(sql_url: str) -> None:
    """An App kept the organisation and its bonuses from its first read for ever: a worker closed the month on
    the bonuses it saw at start, not on the payroll imported since. And every repeated close appended another
    'close' row to the ledger journal."""
    from adapters.sql.documents import store_bonuses

    app = open_app(sql_url)
    try:
        ref = closed_allowance(app)
        warning = app.penalties.assess(
            ref,
            PenaltyOrder(sanctions=(SanctionOrder(person_id="M03", sanction=Sanction.WARNING),)),
            actor="Q01",
            at=at(6),
        )  # fmt: skip  (reads and used to keep the organisation)
        app.penalties.endorse(warning.assessment_id, role="supervisor", actor="M01", at=at(6, 9))  # P1-APR-04
        app.penalties.approve(warning.assessment_id, role="gm", actor="GM01", at=at(6, 10))
        payroll = open_app(sql_url)
        try:
            store_bonuses(payroll.database.engine, [("M03", "2026-11", Decimal("100.00"))])
        finally:
            payroll.close()
        row = next(r for r in app.penalties.close_month("2026-11").people if r.person_id == "M03")
        assert (row.bonus, row.cap, row.deducted) == (Decimal("100.00"), Decimal("50.00"), Decimal("50.00"))
        again = app.penalties.close_month("2026-11")
        assert next(r for r in again.people if r.person_id == "M03") == row
    finally:
        app.close()
    assert count(sql_url, "SELECT count(*) FROM ledger_ops WHERE kind = 'close'") == 1


def test_two_decisions_counting_one_person_charge_the_months_tier_once(sql_url: str, tmp_path: Path) -> None:
    """F4-PN-01..03: two cases against one person, their proposals (100.00 each: a proposal charges nothing until
    approved) approved at once. Each approval checks the month still owes what its line holds; on PostgreSQL (READ
    COMMITTED) both read no approval and each charged the whole tier, unless the second waits for the first (a
    turn per person) and then reads its charge, and is refused as out of date."""
    init_counted(sql_url, tmp_path)
    for person in ("M03", "M04", "M05", "M06")[:ROUNDS]:  # a person of their own each round: a count of 2
        app = open_app(sql_url)
        try:
            causer = Party(PartyKind.PERSON, person)
            refs = [closed_allowance(app, causer), closed_allowance(app, causer)]
            order = PenaltyOrder(count_tiers=(person,))
            proposals = [app.penalties.assess(ref, order, actor="Q01", at=at(6)) for ref in refs]
        finally:
            app.close()
        outcomes = race(
            sql_url,
            [lambda a, p=p: a.penalties.approve(p.assessment_id, role="gm", actor="GM01", at=at(7)) for p in proposals],
        )
        assert sorted(outcomes) == ["F4-PN-01", "ok"], outcomes
        approved = "SELECT count(*) FROM assessments WHERE status = 'approved' AND case_id IN (:a, :b)"
        assert count(sql_url, approved, a=str(refs[0]), b=str(refs[1])) == 1


def test_a_bonus_import_and_the_months_close_at_once_agree(sql_url: str) -> None:
    """Concurrency audit: ``bonus import`` checked the ledger in one transaction and stored in another, and the
    close read the bonuses before its own; at once, both succeeded and the month closed on a bonus that payroll no
    longer had (its bonuses are final once closed). Now either the import is refused as too late, or the close
    uses the imported bonus."""
    from adapters import serialization
    from complaint_core.ledger_journal import LedgerClose

    app = open_app(sql_url)
    try:
        closed_allowance(app)  # stores the example organisation
        before = {m: app.organisation.get().bonus("S02", m) for m in ("2026-07", "2026-08", "2026-09", "2026-10")}
    finally:
        app.close()
    for number, month in enumerate(sorted(before)[:ROUNDS]):
        amount = Decimal(5000 + number)
        outcomes = race(
            sql_url,
            [
                lambda a, m=month, x=amount: a.import_bonuses([("race", ("S02", m, x))]),
                lambda a, m=month: a.penalties.close_month(m),
            ],
        )
        assert outcomes[1] == "ok" and outcomes[0] in ("ok", "ORG"), outcomes
        app = open_app(sql_url)
        try:
            stored = app.organisation.get().bonus("S02", month)
            with app.database.engine.connect() as conn:
                body = conn.execute(
                    text("SELECT body FROM ledger_ops WHERE kind = 'close' AND month = :m"), {"m": month}
                ).scalar_one()
        finally:
            app.close()
        used = dict(serialization.loads(body, LedgerClose).bonuses).get("S02", Decimal("0.00"))  # none: 0.00
        assert used == stored, (outcomes, used, stored)
        assert stored == (amount if outcomes[0] == "ok" else before[month])


def test_approvals_of_many_cases_at_once_take_turns_on_the_ledger(sql_url: str) -> None:
    """Concurrency audit: eight approvals at once on PostgreSQL each loaded the ledger, and those whose append came
    second ran out of retries (exit 5, "the ledger changed since it was loaded"). The ledger's writers take turns
    now, each loading what the one before it posted."""
    app = open_app(sql_url)
    try:
        proposals = []
        for _ in range(6):
            ref = closed_allowance(app)
            order = PenaltyOrder(loss=LossOrder(actual_loss=Decimal("300.00")))
            proposals.append(app.penalties.assess(ref, order, actor="Q01", at=at(6)))
    finally:
        app.close()
    outcomes = race(
        sql_url,
        [lambda a, p=p: a.penalties.approve(p.assessment_id, role="gm", actor="GM01", at=at(7)) for p in proposals],
    )
    assert outcomes == ["ok"] * 6, outcomes
    assert count(sql_url, "SELECT count(*) FROM ledger_ops") == 6


def test_two_decisions_naming_two_people_in_opposite_orders_both_go_through(
    sql_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review: each person's count takes its turn, and a decision took the turns in the order its order named the
    people: ``--count-tier S02 --count-tier S03`` and ``--count-tier S03 --count-tier S02`` at once deadlocked on
    PostgreSQL (a raw OperationalError). They are taken in one order now. (A pause after each turn is taken makes
    the race certain.)"""
    import time

    import adapters.sql.uow as sql_uow
    from complaint_core.responsibility import FaultShare

    init_counted(sql_url, tmp_path)
    both = Responsibility(
        (
            FaultShare(Party(PartyKind.PERSON, "S02"), Decimal("0.5")),
            FaultShare(Party(PartyKind.PERSON, "S03"), Decimal("0.5")),
        )
    )
    app = open_app(sql_url)
    try:
        refs = [closed_allowance(app, both), closed_allowance(app, both)]
    finally:
        app.close()
    take_turn = sql_uow.serialise_writers

    def slow_turn(conn: object, what: str) -> None:
        take_turn(conn, what)  # type: ignore[arg-type]
        if what.startswith("person "):
            time.sleep(0.3)

    monkeypatch.setattr(sql_uow, "serialise_writers", slow_turn)
    orders = [PenaltyOrder(count_tiers=("S02", "S03")), PenaltyOrder(count_tiers=("S03", "S02"))]
    outcomes = race(
        sql_url,
        [
            lambda a, r=r, o=o: a.penalties.assess(r, o, actor="Q01", at=at(6))
            for r, o in zip(refs, orders, strict=True)
        ],
    )
    assert outcomes == ["ok", "ok"], outcomes


def test_many_writers_of_one_case_at_once_all_go_through(sql_url: str) -> None:
    """Eight commands on one case at once on PostgreSQL: each loaded the same version, and all but the first to
    commit met a changed case, re-ran, met it again, and after three retries one ran out (exit 5 in the CLI). A
    writer now takes its turn on the case it loads, so each reads what the one before it wrote."""
    app = open_app(sql_url)
    try:
        ref = closed_allowance(app)
        before = app.cases.get(ref).version
    finally:
        app.close()
    writers = 8
    outcomes = race(
        sql_url,
        [
            lambda a, i=i: a.cases.plan_improvement(ref, actor="Q01", measures=f"measure {i}", owner="Q02", at=at(6))
            for i in range(writers)
        ],
    )
    assert outcomes == ["ok"] * writers, outcomes
    app = open_app(sql_url)
    try:
        case = app.cases.get(ref)
    finally:
        app.close()
    assert case.version == before + writers
    assert sorted(i.measures for i in case.improvements) == sorted(f"measure {i}" for i in range(writers))


def test_a_case_command_and_a_calendar_import_at_once_both_go_through(sql_url: str) -> None:
    """Review: a command loaded its case FOR UPDATE, which conflicts with the key-share lock PostgreSQL takes on a
    case when a row pointing at it is inserted; a calendar import rewriting the case's clock rows meanwhile then
    deadlocked with the command's own clock rows, and the loser failed as an unexpected error, not retried. The
    command takes FOR NO KEY UPDATE (writers of one case still take turns), and a deadlock is a conflict."""
    import time

    calendar = 'name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\n'
    app = open_app(sql_url)
    try:
        case = app.cases.receive(
            Intake(customer="甲", channel=Channel.PHONE, category="quality"), actor="S02", at=at(2)
        )
        app.cases.register(case.case_id, actor="gm_office", at=at(2, 10))
        app.cases.start_investigation(case.case_id, actor="Q02", at=at(2, 11))
    finally:
        app.close()

    def slowly(found, policy, when, uow):  # type: ignore[no-untyped-def]  # holds the case a moment, then its clocks
        time.sleep(1.0)
        return found.reach_milestone(policy, at=when, actor="Q02", milestone="investigation_done")

    def command(a: App) -> object:
        return a.cases._run(case.case_id, at(3), slowly)

    def importing(a: App) -> object:
        time.sleep(0.3)  # the command holds the case by now
        return a.import_calendar(name="cn", source=calendar, fmt="toml")

    assert race(sql_url, [command, importing]) == ["ok", "ok"]
    app = open_app(sql_url)
    try:
        assert "report" in {c.name for c in app.cases.get(case.case_id).clocks}
    finally:
        app.close()
