"""P2-ROLE-03 / P2-PEN-05 through the CLI: the findings' liability ratio splits the repair budget between factory
and customer. The split existed only as a library function; `penalty assess --loss` instead charged the factory's
part to the staff's bonuses (P1-PEN-13)."""

from __future__ import annotations

from pathlib import Path

import typer

from .cli_cases_support import as_json, count, invoke, make_app


def test_p2_role_03_repair_budget_split_by_the_findings(tmp_path: Path) -> None:
    app: typer.Typer = make_app()
    db = tmp_path / "c.db"
    as_json(app, db, "init", "--policy", "furniture")
    ref = as_json(
        app, db, "case", "open", "--customer", "甲", "--category", "product_quality", "--channel", "letter",
        "--at", "2026-11-02T09:00",
    )["id"]  # fmt: skip
    early = invoke(app, db, "penalty", "repair-split", ref, "--budget", "3000")
    assert early.exit_code == 4 and "[P2-ROLE-03]" in early.stderr and "attribute the case first" in early.stderr
    as_json(app, db, "case", "register", ref, "--at", "2026-11-02T10:00")
    as_json(app, db, "case", "investigate", ref, "--at", "2026-11-02T10:00")
    as_json(app, db, "case", "attribute", ref, "--party", "department:production=0.6", "--party", "customer:甲=0.4",
            "--at", "2026-11-02T11:00")  # fmt: skip
    history = count(db, "history")
    split = as_json(app, db, "penalty", "repair-split", ref, "--budget", "3000.01")
    assert (split["factory_ratio"], split["factory"], split["customer"]) == ("0.6", "1800.01", "1200.00")
    assert split["budget"] == "3000.01" and split["case_id"] == ref
    assert count(db, "history") == history  # computed, never posted
    words = invoke(app, db, "--lang", "en", "penalty", "repair-split", ref, "--budget", "3000")
    assert words.exit_code == 0 and "factory 1800.00 (0.6), customer 1200.00" in words.stdout
    bad = invoke(app, db, "penalty", "repair-split", ref, "--budget", "-1")
    assert bad.exit_code == 2 and "'--budget'" in bad.stderr
