"""The case repository reuses a decoded case only for exactly the text it decoded or wrote."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from sqlkit import INTAKE, service_on, sh, sql_uow

from adapters import serialization
from adapters.sql import open_database
from adapters.sql import tables as t
from complaint_core import Case


def test_a_case_just_saved_loads_without_parsing_and_a_changed_body_is_parsed(tmp_path: Path) -> None:
    db = open_database(str(tmp_path / "c.db"))
    try:
        uow = sql_uow(db)
        service = service_on(uow)
        saved = service.register(service.receive(INTAKE, actor="s", at=sh(2026, 11, 2)).case_id, actor="g")
        assert service.get(saved.case_id) is saved  # the text in the database is the text it wrote

        # someone else writes the same version with different content (e.g. a restored backup): parsed afresh
        changed = serialization.loads(serialization.dumps(saved).replace("华东电子", "华南机电"), Case)
        with db.engine.begin() as conn:
            conn.execute(
                update(t.cases).where(t.cases.c.id == str(saved.case_id)).values(body=serialization.dumps(changed))
            )
        loaded = service.get(saved.case_id)
        assert loaded is not saved and loaded == changed and loaded.intake.customer == "华南机电"
        assert service.get(saved.case_id) is loaded  # and remembered in turn
    finally:
        db.dispose()
