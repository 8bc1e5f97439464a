"""``complaint demo``: a realistic month of complaints on a fresh SQLite file, ending in the HTML monthly report.

Under the ``manufacturing`` preset with ``examples/organisation.toml`` as the organisation,
about ``--cases`` complaints arrive over November 2026 by phone, letter and on site; they are
registered, investigated, attributed, given a remedy approved within authority (a few first
refused beyond a sales manager's authority), replied to and closed, or found not established.
Some run late: the daily sweep issues reminders and escalations, and inquiries for steps
finished late. Returns are received against the tolerance (some above it, booked by an
approver), allowances are signed and booked, penalties are assessed and approved by the GM.
The month is closed in the ledger and the monthly report is written as HTML.

Everything is drawn from ``random.Random(seed)`` and every command is back-dated with ``at=``,
so one seed gives the same cases, numbers, ids and figures. P1, and so the manufacturing
preset, schedules no follow-up visit; the demo stores the preset as its next version with one visit a
week after the reply (``DEMO_FOLLOWUPS``), so customer service calls the customers and a
dissatisfied one opens a linked second complaint (P1-LC-10), as the summary counts.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .context import settings_of
from .output import Texts, emit

if TYPE_CHECKING:
    from rich.console import Console

    from entrypoints.app import App

MONTH = "2026-11"
TEXT = Texts(
    {
        "summary": (
            "演示:{month} 共收到 {received} 件投诉(电话 {phone}、书面 {letter}、现场 {on_site}),"
            "结案 {closed} 件,不成立 {not_established} 件,月末未结 {open} 件;\n"
            "超期完成 {late} 件,巡检发出催办/升级 {reminders} 次;核决越权被拒 {refused} 次;\n"
            "退货 {returns} 件(超容许需核准 {over_tolerance} 件),折让 {allowances} 件,入账 {booked} 件;\n"
            "处罚 {assessments} 件已核准,{month} 结账 {people} 人,扣款 {deducted} 元,结转 {carried} 元;\n"
            "{followups}\n月报:{report}\n数据库:{db}",
            "Demo: {received} complaints received in {month} (phone {phone}, letter {letter}, on site {on_site}); "
            "{closed} closed, {not_established} not established, {open} still open at month end;\n"
            "{late} finished late, the sweep issued {reminders} reminders/escalations; "
            "{refused} approvals refused beyond authority;\n"
            "{returns} returns ({over_tolerance} above tolerance, booked by an approver), {allowances} allowances, "
            "{booked} booked;\n"
            "{assessments} penalty assessments approved; {month} closed for {people} people, {deducted} deducted, "
            "{carried} carried;\n{followups}\nReport: {report}\nDatabase: {db}",
        ),
        "no_followups": (
            "制造业预设不安排回访(followups 为空),因此没有因回访不满意而产生的二次投诉。",
            "The manufacturing preset schedules no follow-up visits (empty [followups]), "
            "so no dissatisfied visit opens a second complaint.",
        ),
        "followups": (
            "安排回访 {scheduled} 件,不满意转二次投诉 {second} 件。",
            "{scheduled} follow-ups scheduled, {second} dissatisfied visits became second complaints.",
        ),
        "progress": ("生成演示数据", "Simulating the month"),
    }
)

CUSTOMERS = (
    "华东电子有限公司", "南方电器股份", "北方机械集团", "深圳迅达科技", "苏州精密组件", "宁波海通电气",
    "Acme GmbH", "Nordic Controls AB", "Pacific Devices Inc.", "东莞宏远电子", "天津恒泰仪表", "成都锐思通信",
)  # fmt: skip
CAUSES = {
    "quality": ("warp", "solder", "short", "plating", "mould"),
    # causes of the preset's P1-CLS-08 list: these alone may draw an administrative sanction
    "non_quality": ("labelling_off_spec", "storage_transport", "shipping_error", "late_delivery"),
}
NOT_ESTABLISHED = ("客户使用不当", "超出质保期", "复检合格,非本公司责任")


@dataclass
class Tally:
    received: int = 0
    channels: dict[str, int] = field(default_factory=lambda: {"phone": 0, "letter": 0, "on_site": 0})
    closed: int = 0
    not_established: int = 0
    late: int = 0
    reminders: int = 0
    refused: int = 0
    returns: int = 0
    over_tolerance: int = 0
    allowances: int = 0
    booked: int = 0
    assessments: int = 0
    followups_scheduled: int = 0
    second_complaints: int = 0
    followups_supported: bool = False


@dataclass
class DemoResult:
    db: Path
    report: Path
    month: str
    tally: Tally
    people: int
    deducted: str
    carried: str

    def as_json(self) -> dict[str, Any]:
        t = self.tally
        return {
            "month": self.month,
            "db": str(self.db),
            "report": str(self.report),
            "received": t.received,
            "channels": dict(t.channels),
            "closed": t.closed,
            "not_established": t.not_established,
            "open": t.received - t.closed - t.not_established,
            "late": t.late,
            "sweep_actions": t.reminders,
            "refused_approvals": t.refused,
            "returns": t.returns,
            "over_tolerance": t.over_tolerance,
            "allowances": t.allowances,
            "booked": t.booked,
            "assessments_approved": t.assessments,
            "followups_supported": t.followups_supported,
            "followups_scheduled": t.followups_scheduled,
            "second_complaints": t.second_complaints,
            "ledger": {"people": self.people, "deducted": self.deducted, "carried_out": self.carried},
        }


DEMO_FOLLOWUPS = """[followups]
# Demo addition (the preset's next version): P1 itself schedules no visit. Like many companies, the demo's
# adds one a week after the reply (compare P2-DL-06's 15 days), so dissatisfied customers reopen cases.
after_reply = "7 calendar_days"
retry_after = "1 working_days"
"""


def demo_policy_text() -> str:
    """The ``manufacturing`` preset as its next version with a follow-up visit after the reply (see
    ``DEMO_FOLLOWUPS``)."""
    import re

    from adapters.policy_files import preset_text

    text = preset_text("manufacturing")
    version = re.search(r"^version = (\d+)$", text, re.MULTILINE)
    if version is None or "\n[followups]\n" not in text:
        raise RuntimeError("the manufacturing preset changed shape: update the demo policy")
    text = f"{text[: version.start()]}version = {int(version.group(1)) + 1}{text[version.end() :]}"
    return text.replace("\n[followups]\n", "\n" + DEMO_FOLLOWUPS, 1)


def organisation_text() -> str:
    """The demo's organisation, shipped with the package (an installed demo has no source tree); the source
    tree's ``examples/organisation.toml`` is a link to it."""
    from importlib.resources import files

    return files("entrypoints.cli").joinpath("demo_organisation.toml").read_text(encoding="utf-8")


class Simulation:
    """The month as an event queue: each case is a generator yielding the instant of its next step."""

    def __init__(self, app: App, rng: Any, tz: Any, end: datetime, tally: Tally) -> None:
        self.app = app
        self.rng = rng
        self.tz = tz
        self.end = end
        self.tally = tally
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.counter = 0

    def add(self, process: Iterator[datetime]) -> None:
        try:
            first = next(process)
        except StopIteration:
            return
        self.push(first, process)

    def push(self, when: datetime, process: Iterator[datetime]) -> None:
        if when < self.end:
            self.counter += 1
            heapq.heappush(self.queue, (when, self.counter, process))

    def run(self, advance: Callable[[], None]) -> None:
        while self.queue:
            _, _, process = heapq.heappop(self.queue)
            try:
                following = next(process)
            except StopIteration:
                advance()
                continue
            self.push(following, process)

    # ----- random helpers ---------------------------------------------------------------------
    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=round(self.rng.uniform(low, high) * 60))

    def days(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=round(self.rng.uniform(low, high) * 24 * 60))

    def money(self, low: int, high: int) -> Any:
        from decimal import Decimal

        return Decimal(self.rng.randint(low, high) * 10).quantize(Decimal("0.01"))

    # ----- the processes ----------------------------------------------------------------------
    def sweeps(self, first: datetime) -> Iterator[datetime]:
        day = first
        while day < self.end:
            yield day
            self.tally.reminders += len(self.app.cases.sweep(now=day, actor="sweep"))
            day += timedelta(days=1)

    def case(self, received: datetime) -> Iterator[datetime]:
        from decimal import Decimal

        from complaint_core import Channel, Intake, Market, PartyKind, RemedyKind, Responsibility
        from complaint_core.errors import AuthorityExceeded

        rng, cases = self.rng, self.app.cases
        channel = rng.choices(("phone", "letter", "on_site"), weights=(5, 2, 3))[0]
        category = rng.choices(("quality", "non_quality"), weights=(7, 3))[0]
        market = Market.FOREIGN if rng.random() < 0.25 else Market.DOMESTIC
        customer = rng.choice(CUSTOMERS)
        tier = rng.random()
        claimed = (
            self.money(20, 480) if tier < 0.7 else self.money(520, 3000) if tier < 0.95 else self.money(5200, 9000)
        )
        late_report = rng.random() < 0.12
        late_close = rng.random() < 0.1
        not_established = rng.random() < 0.12
        cause = rng.choice(CAUSES[category])
        intake = Intake(
            customer=customer,
            channel=Channel(channel),
            category=category,
            cause_code=cause,
            market=market,
            description=f"{cause} — {customer}",
            claimed_amount=claimed,
            flags=frozenset({"caused_loss"}) if rng.random() < 0.4 else frozenset(),
        )
        at = received
        yield at
        case = cases.receive(intake, actor=rng.choice(("S02", "S03", "S01")), at=at)
        self.tally.received += 1
        self.tally.channels[channel] += 1
        at += self.hours(0.5, 6)
        yield at
        ref = cases.register(case.case_id, actor="gm_office", at=at).reference
        registered = at
        at += self.hours(1, 5)
        yield at
        cases.start_investigation(ref, actor="Q02", at=at)
        at += self.days(0.5, 2.5)
        yield at
        cases.reach_milestone(ref, "investigation_done", actor="Q02", at=at)
        at += self.days(3.3, 5.5) if late_report else self.days(0.3, 2.5)
        yield at
        cases.reach_milestone(ref, "report_submitted", actor="Q01", at=at)
        if late_report:
            self.tally.late += 1
        if not_established:
            at += self.hours(2, 20)
            yield at
            cases.find_not_established(ref, actor="Q01", reason=rng.choice(NOT_ESTABLISHED), at=at)
            self.tally.not_established += 1
            return
        causer = self._causer(category)
        at += self.hours(1, 8)
        yield at
        cases.attribute(ref, actor="Q01", at=at, causer=Responsibility.sole(causer))
        kind = self._remedy(category)
        quantity = unit_price = None
        if kind is RemedyKind.RETURN:
            quantity = rng.randint(20, 400)
            unit_price = Decimal(rng.randint(5, 60)).quantize(Decimal("0.01"))
            amount = quantity * unit_price
        elif kind is RemedyKind.EXPLANATION:
            amount = Decimal("0.00")
        else:
            amount = (claimed * Decimal(rng.randint(50, 100)) / 100).quantize(Decimal("0.01"))
        at += self.days(0.3, 1.2)
        yield at
        cases.propose(ref, actor="S01", kind=kind, amount=amount, at=at)
        at += self.hours(2, 10)
        yield at
        role = "sales_manager" if amount <= 5000 else "deputy_gm" if amount <= 50000 else "gm"
        if role != "sales_manager" and rng.random() < 0.5:
            try:
                cases.approve(ref, actor="S01", role="sales_manager", at=at)
            except AuthorityExceeded:
                self.tally.refused += 1
            at += self.hours(1, 6)
            yield at
        cases.approve(ref, actor={"sales_manager": "S01", "deputy_gm": "DGM", "gm": "GM01"}[role], role=role, at=at)
        at += self.days(0.3, 1.5)
        yield at
        cases.reply(ref, actor="S02", message="处理结果已函复客户 / outcome sent to the customer", at=at)
        limit = timedelta(days=17 if market is Market.FOREIGN else 13)
        target = registered + (limit + self.days(1, 5) if late_close else self.days(3, 10))
        at = max(at + self.hours(2, 12), target)
        yield at
        cases.close(ref, actor="gm_office", at=at)
        self.tally.closed += 1
        if at - registered > limit:
            self.tally.late += 1
        if kind is RemedyKind.RETURN:
            assert quantity is not None and unit_price is not None
            self.add(self.goods_return(ref, at, quantity, unit_price))
        elif kind is RemedyKind.ALLOWANCE:
            self.add(self.allowance(ref, at))
        if kind is not RemedyKind.EXPLANATION and causer.kind is not PartyKind.DEPARTMENT and rng.random() < 0.6:
            self.add(self.penalty(ref, at, amount, causer, cause))
        if self.tally.followups_supported or self.tally.closed == 1:
            self._try_followup(ref, at)

    def _causer(self, category: str) -> Any:
        from complaint_core import Party, PartyKind

        rng = self.rng
        if category == "quality":
            pick = rng.random()
            if pick < 0.65:
                code, name = rng.choice((("SMT1", "SMT一班"), ("SMT2", "SMT二班")))
                return Party(PartyKind.GROUP_UNIT, code, name)
            if pick < 0.85:
                return Party(PartyKind.PERSON, *rng.choice((("M03", "赵敏"), ("M04", "孙强"), ("Q02", "何涛"))))
            return Party(PartyKind.DEPARTMENT, "quality", "品质部")
        if rng.random() < 0.7:
            return Party(PartyKind.PERSON, *rng.choice((("S02", "李娜"), ("S03", "陈晨"))))
        return Party(PartyKind.DEPARTMENT, "sales", "销售部")

    def _remedy(self, category: str) -> Any:
        from complaint_core import RemedyKind

        if category == "quality":
            return self.rng.choices(
                (RemedyKind.ALLOWANCE, RemedyKind.RETURN, RemedyKind.EXPLANATION), weights=(5, 3, 2)
            )[0]
        return self.rng.choices((RemedyKind.ALLOWANCE, RemedyKind.EXPLANATION), weights=(6, 4))[0]

    def _try_followup(self, ref: str, at: datetime) -> None:
        from complaint_core.errors import DomainError

        try:
            followup = self.app.followups.schedule(ref, actor="sales", at=at)
        except DomainError:
            return
        self.tally.followups_supported = True
        self.tally.followups_scheduled += 1
        for visit in followup.visits:
            self.add(self.visit(ref, visit.number, max(visit.due - self.hours(2, 48), at + self.hours(1, 4))))

    def visit(self, ref: str, number: int, when: datetime) -> Iterator[datetime]:
        """The customer service call: mostly satisfied; a dissatisfied customer opens a second complaint."""
        yield when
        pick = self.rng.random()
        reached = pick < 0.9
        satisfaction = (
            None if not reached else "dissatisfied" if pick < 0.12 else "neutral" if pick < 0.3 else "satisfied"
        )
        followup = self.app.followups.record(
            ref, visit=number, reached=reached, satisfaction=satisfaction, actor="cs", at=when, notes="回访 / visit"
        )
        if followup.visit(number).second_case_id is not None:
            self.tally.second_complaints += 1

    def goods_return(self, ref: str, closed: datetime, quantity: int, unit_price: Any) -> Iterator[datetime]:
        from decimal import Decimal

        from complaint_core.policy import ProofKind
        from complaint_core.returns import Proof, Signatory

        rng, returns = self.rng, self.app.returns
        tolerance = Decimal("0.1") if rng.random() < 0.3 else None
        effective = tolerance if tolerance is not None else Decimal("0.05")
        pick = rng.random()
        if pick < 0.75:
            received = rng.randint(max(1, quantity * 9 // 10), quantity)
        elif pick < 0.88:
            received = quantity + max(1, int(quantity * effective) // 2)  # above authorised, within tolerance
        else:
            received = quantity + max(2, int(quantity * effective) + 2)  # above the tolerance
        at = closed + self.days(0.5, 1.5)
        yield at
        item = returns.authorise(
            ref, actor="S02", authorised=quantity, unit_price=unit_price, customer_tolerance=tolerance,
            document_number=f"TH-{ref}", at=at,
        )  # fmt: skip
        self.tally.returns += 1
        rid = item.return_id
        at += self.hours(1, 6)
        yield at
        returns.sign(rid, Signatory.MANAGER, signer="王磊", actor="S01", at=at)
        at += self.days(1, 3)
        yield at
        if received > quantity:
            returns.approve_over_receipt(
                rid, up_to=received, approver="S01", reason="客户多退,仓库请示后签收", actor="warehouse", at=at
            )
            at += self.hours(1, 3)
            yield at
        returns.receive(rid, quantity=received, actor="warehouse", batch=f"B{rng.randint(100, 999)}", at=at)
        at += self.hours(4, 20)
        yield at
        rejected = rng.randint(0, max(0, received // 20))
        returns.inspect(rid, accepted=received - rejected, rejected=rejected, actor="Q02", at=at)
        at += self.days(0.5, 2)
        yield at
        proof = Proof(kind=ProofKind.ORIGINAL_INVOICE, reference=f"INV-{rng.randint(10000, 99999)}", buyer_stamped=True)
        policy = self.app.cases.policy_of(self.app.cases.get(ref))
        within = returns.get(rid).reconciliation(policy).within
        if within:
            returns.book(rid, proof=proof, actor="accounting", at=at)
        else:
            self.tally.over_tolerance += 1
            returns.book(rid, proof=proof, actor="accounting", approver="GM01", reason="超容许,总经理核准", at=at)
        self.tally.booked += 1

    def allowance(self, ref: str, closed: datetime) -> Iterator[datetime]:
        from complaint_core.policy import ProofKind
        from complaint_core.returns import Proof, Signatory

        returns = self.app.returns
        at = closed + self.days(0.3, 1)
        yield at
        item = returns.authorise(ref, actor="S02", document_number=f"ZR-{ref}", at=at)
        self.tally.allowances += 1
        rid = item.return_id
        for signatory, signer in (
            (Signatory.MANAGER, "王磊"),
            (Signatory.GENERAL_MANAGER, "周建国"),
            (Signatory.CUSTOMER, "客户盖章"),
        ):
            at += self.hours(2, 30)
            yield at
            returns.sign(rid, signatory, signer=signer, actor="S02", at=at)
        at += self.days(0.5, 2)
        yield at
        proof = Proof(kind=ProofKind.SIGNED_CERTIFICATE, reference=f"ZR-{ref}", buyer_stamped=True)
        returns.book(rid, proof=proof, actor="accounting", at=at)
        self.tally.booked += 1

    def penalty(self, ref: str, closed: datetime, amount: Any, causer: Any, cause: str) -> Iterator[datetime]:
        from complaint_core import PartyKind
        from complaint_core.penalty import Sanction
        from complaint_core.penalty_orders import LossOrder, PenaltyOrder, SanctionOrder

        rng = self.rng
        sanctions: tuple[SanctionOrder, ...] = ()
        sanctionable = self.app.default_policy().penalties.allows_sanction(cause)  # the demo's one policy
        if causer.kind is PartyKind.PERSON and rng.random() < 0.3 and sanctionable:
            kind = Sanction.MINOR_DEMERIT if rng.random() < 0.2 else Sanction.WARNING
            sanctions = (SanctionOrder(person_id=causer.id, sanction=kind),)
        at = closed + self.days(0.5, 2)
        yield at
        order = PenaltyOrder(loss=LossOrder(actual_loss=amount), sanctions=sanctions)
        assessment = self.app.penalties.assess(ref, order, actor="Q01", at=at)
        if assessment.punishes and self.app.default_policy().penalties.endorser_roles:  # P1-APR-04
            at += timedelta(hours=4)  # not drawn: the demo's other random choices stay as they were
            yield at
            supervisor = self.app.penalties.organisation.get().person(causer.id).supervisor or "GM01"
            self.app.penalties.endorse(assessment.assessment_id, role="supervisor", actor=supervisor, at=at)
        at += self.days(0.5, 2)
        yield at
        self.app.penalties.approve(assessment.assessment_id, role="gm", actor="GM01", at=at)
        self.tally.assessments += 1


def run_demo(
    out: Path,
    *,
    seed: int = 2026,
    cases: int = 200,
    lang: str | None = None,
    advance: Callable[[], None] = lambda: None,
) -> DemoResult:
    """Simulate the month in ``out/demo.db`` (replaced if present) and write ``out/report-2026-11.html``."""
    import random
    from decimal import Decimal
    from uuid import UUID

    from adapters.clock import FixedClock
    from adapters.sql import documents as docs
    from entrypoints.app import open_app

    from .report_cmd import Format, build_monthly, render

    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.db"
    for stale in (db, out / "demo.db-wal", out / "demo.db-shm", out / "demo.db-journal"):
        stale.unlink(missing_ok=True)
    rng = random.Random(seed)
    ids = random.Random(f"ids-{seed}")

    def new_id() -> UUID:
        return UUID(int=ids.getrandbits(128), version=4)

    app = open_app(str(db), clock=FixedClock(datetime.fromisoformat("2026-11-01T00:00:00+08:00")))
    try:
        docs.store(
            app.database.engine,
            kind="policy",
            name="manufacturing",
            source=demo_policy_text(),
            fmt="toml",
            at=datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
        )
        policy = app.cases.policies.get("manufacturing")
        tz = policy.tz
        start = datetime(2026, 11, 1, tzinfo=tz)
        end = datetime(2026, 12, 1, tzinfo=tz)
        for service in (app.cases, app.penalties, app.returns, app.followups):
            service.new_id = new_id
        docs.store(
            app.database.engine,
            kind="organisation",
            name="organisation",
            source=organisation_text(),
            fmt="toml",
            at=start,
        )
        tally = Tally()
        sim = Simulation(app, rng, tz, end, tally)
        arrivals = sorted(start + timedelta(days=rng.uniform(0, 28), hours=rng.uniform(8, 18)) for _ in range(cases))
        for received in arrivals:
            sim.add(sim.case(received.replace(second=0, microsecond=0, hour=min(received.hour, 23))))
        sim.add(sim.sweeps(start + timedelta(days=1, hours=9)))
        sim.run(advance)
        close = app.penalties.close_month(MONTH)
        report = build_monthly(app, MONTH)
        path = out / f"report-{MONTH}.html"
        path.write_text(render(report, Format.html, lang or policy.language, tz), encoding="utf-8")
        deducted = sum((row.deducted_total for row in close.people), Decimal("0.00"))
        carried = sum((row.carry_out for row in close.people), Decimal("0.00"))
        return DemoResult(
            db=db, report=path, month=MONTH, tally=tally, people=len(close.people),
            deducted=f"{deducted:.2f}", carried=f"{carried:.2f}",
        )  # fmt: skip
    finally:
        app.close()


def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random month (same seed, same month).")] = 2026,
    cases: Annotated[int, typer.Option("--cases", min=1, max=5000, help="Complaints received in the month.")] = 200,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Directory for demo.db and the HTML report.")
    ] = Path("demo-output"),
) -> None:
    """Simulate a month of complaints on a fresh SQLite file and write the monthly report as HTML."""
    from .output import make_dir, progress

    settings = settings_of(ctx)
    lang = settings.language("zh")
    make_dir(out, "--out")
    with progress(TEXT("progress", lang), total=None) as bar:
        result = run_demo(out, seed=seed, cases=cases, lang=lang, advance=bar.advance)
    t = result.tally
    message = TEXT(
        "summary", lang, month=result.month, received=t.received, phone=t.channels["phone"],
        letter=t.channels["letter"], on_site=t.channels["on_site"], closed=t.closed,
        not_established=t.not_established, open=t.received - t.closed - t.not_established, late=t.late,
        reminders=t.reminders, refused=t.refused, returns=t.returns, over_tolerance=t.over_tolerance,
        allowances=t.allowances, booked=t.booked, assessments=t.assessments, people=result.people,
        deducted=result.deducted, carried=result.carried,
        followups=TEXT("followups", lang, scheduled=t.followups_scheduled, second=t.second_complaints)
        if t.followups_supported else TEXT("no_followups", lang),
        report=result.report, db=result.db,
    )  # fmt: skip

    def human(console: Console) -> None:
        console.print(message, markup=False, highlight=False, soft_wrap=True)

    emit(settings, result.as_json(), human)


def build() -> typer.Typer:
    from .context import single

    return single("demo", "A simulated month ending in the HTML monthly report. | 演示。", demo)
