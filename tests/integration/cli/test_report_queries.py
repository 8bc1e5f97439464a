"""The monthly report, the sanction list and `case list` read the database a fixed number of times, not once per
case (they ran 2 queries per case: 10,719 statements for the 5,355 cases of the demo database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from complaint_core import Channel, Intake
from entrypoints.app import App, open_app
from entrypoints.cli.ledger_cmd import approved_in
from entrypoints.cli.report_cmd import build_monthly

SH = ZoneInfo("Asia/Shanghai")


def add_closed_cases(app: App, n: int) -> None:
    for i in range(n):
        at = datetime(2026, 11, 2 + i % 20, 9, tzinfo=SH)
        case = app.cases.receive(Intake(customer=f"c{i}", channel=Channel.PHONE, category="quality"), actor="a", at=at)
        app.cases.find_not_established(case.case_id, actor="q", reason="不成立", at=at.replace(hour=10))


def statements(app: App, work: Callable[[], Any]) -> int:
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    event.listen(app.database.engine, "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(app.database.engine, "before_cursor_execute", counted)
    return count


def test_reads_do_not_grow_with_the_number_of_cases(tmp_path: Path) -> None:
    app = open_app(str(tmp_path / "c.db"))
    try:
        add_closed_cases(app, 3)
        few = [
            statements(app, lambda: build_monthly(app, "2026-11")),
            statements(app, lambda: approved_in(app, "2026-11")),
        ]
        add_closed_cases(app, 40)
        many = [
            statements(app, lambda: build_monthly(app, "2026-11")),
            statements(app, lambda: approved_in(app, "2026-11")),
        ]
        assert build_monthly(app, "2026-11").total == 43  # "not established" cases close in the month
    finally:
        app.close()
    assert many == few
