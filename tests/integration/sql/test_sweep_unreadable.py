"""A stored case that does not load no longer holds back every other case's reminders (SQL audit, noticed since).

A row edited by hand stopped the whole sweep: the first candidate that did not load raised, and nothing was
recorded for anyone. The store now passes over it and names it after the others (``CasesUnreadable``), and the
sweep records the others' actions first, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlkit import AT, INTAKE, database, service_on, sql_uow

from complaint_core import CasesUnreadable


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (('"market":"domestic"', '"market":"mars"'), "'mars' is not a valid Market"),  # no such value
        (('"customer":"华东电子"', '"customer":"  "'), "[INTAKE] customer is required"),  # a value the domain refuses
    ],
)
def test_the_sweep_records_the_others_and_names_the_case_that_does_not_load(
    sql_url: str, edit: tuple[str, str], says: str
) -> None:
    with database(sql_url) as db:
        service = service_on(sql_uow(db))
        broken, fine = (service.register(service.receive(INTAKE, actor="cs").case_id, actor="gm") for _ in range(2))
        with db.engine.begin() as conn:  # as a hand edit would leave it
            (body,) = conn.execute(text("SELECT body FROM cases WHERE id = :id"), {"id": str(broken.case_id)}).one()
            edited = body.replace(*edit)
            assert edited != body
            conn.execute(
                text("UPDATE cases SET body = :body WHERE id = :id"), {"body": edited, "id": str(broken.case_id)}
            )
        later = AT + timedelta(days=30)  # past the close clock (13 days) and its ladder

        with pytest.raises(CasesUnreadable) as previewed:
            service.preview_sweep(sql_uow(db).read_only(), now=later)
        assert [ident for ident, _ in previewed.value.unreadable] == [str(broken.case_id)]
        assert (
            f"case {broken.case_id}: " in previewed.value.unreadable[0][1] and says in previewed.value.unreadable[0][1]
        )
        assert "action(s) due (a dry run: nothing recorded) for the others" in previewed.value.message
        due = previewed.value.recorded
        assert due and {action.case_id for action in due} == {fine.case_id}  # type: ignore[attr-defined]

        with pytest.raises(CasesUnreadable) as swept:
            service.sweep(now=later)
        assert swept.value.rule == "DOCUMENT" and str(broken.case_id) in swept.value.message
        assert f"{len(due)} action(s) recorded for the others" in swept.value.message
        assert swept.value.recorded == due
        assert service.get(fine.case_id).clock("close").level == max(a.level for a in due)  # type: ignore[attr-defined]
        with pytest.raises(CasesUnreadable):  # named again until it is mended; the others have nothing left
            service.sweep(now=later)


def test_a_calendar_import_tells_its_progress_to_the_end_past_a_case_that_does_not_load(tmp_path: Path) -> None:
    """Review: the progress of the due times computed again stopped short of the total when the last rows did not
    load (the bar never reached 100%)."""
    from entrypoints.app import open_app

    app = open_app(str(tmp_path / "c.db"))
    try:
        refs = [
            app.cases.register(app.cases.receive(INTAKE, actor="cs", at=AT).case_id, actor="gm", at=AT) for _ in "ab"
        ]
        last = max(refs, key=lambda case: str(case.case_id))  # read in id order: the last row
        with app.database.engine.begin() as conn:
            conn.execute(text("UPDATE cases SET body = '{}' WHERE id = :id"), {"id": str(last.case_id)})
        told: list[tuple[int, int]] = []
        calendar = 'name = "cn"\n[years.2027]\nholidays = ["2027-01-01"]\n'
        _, refreshed, unreadable = app.import_calendar(
            name="cn", source=calendar, fmt="toml", progress=lambda *p: told.append(p)
        )
        assert (refreshed, unreadable) == (1, (str(last.case_id),))
        assert told[-1] == (2, 2)
    finally:
        app.close()
