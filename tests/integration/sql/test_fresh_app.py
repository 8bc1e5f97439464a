"""Every command on a freshly opened ``App``, as an embedding system would run them (one App per request).

The first command of an App loads the case's policy, calendar and organisation from the stored documents while
its unit of work is open. On SQLite that read must not wait for the unit of work's own write lock: it used to
take ``BEGIN IMMEDIATE`` too, wait out the 30 s busy timeout and fail with "database is locked".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from complaint_core import Channel, Intake, Market, Party, PartyKind, RemedyKind, Responsibility, Sanction
from complaint_core.penalty_orders import PenaltyOrder, SanctionOrder
from entrypoints.app import App, open_app

SH = ZoneInfo("Asia/Shanghai")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SH)


@contextmanager
def fresh(url: str) -> Iterator[App]:
    app = open_app(url)
    try:
        yield app
    finally:
        app.close()


def test_each_command_on_a_fresh_app(sql_url: str) -> None:
    """The organisation comes in through ``App.import_organisation``, as ``org import`` stores it (API audit: an
    embedder could only store one with the CLI or an undocumented document store)."""
    from adapters.organisation_files import dumps_organisation, load_organisation
    from complaint_core import Organisation, OrganisationInvalid

    with fresh(sql_url) as app:
        with pytest.raises(OrganisationInvalid, match="no departments"):
            app.import_organisation(Organisation(departments=(), people=()))
        org = load_organisation(EXAMPLES / "organisation.toml")
        renamed = attrs.evolve(org.departments[0], name="另一个部门")
        other = dumps_organisation(attrs.evolve(org, departments=(renamed, *org.departments[1:])))
        with pytest.raises(OrganisationInvalid, match="not this organisation"):
            app.import_organisation(org, text=other)
        assert app.import_organisation(org) == 1
        intake = Intake(customer="华东电子", channel=Channel.PHONE, category="quality", market=Market.DOMESTIC)
        case_id = app.cases.receive(intake, actor="S02", at=at(2)).case_id
    steps = [
        lambda app: app.cases.register(case_id, actor="gm_office", at=at(2, 10)),
        lambda app: app.cases.start_investigation(case_id, actor="Q02", at=at(2, 11)),
        lambda app: app.cases.attribute(
            case_id,
            actor="Q01",
            at=at(4),
            causer=Responsibility.sole(Party(PartyKind.PERSON, "M06", "吴芳")),
            cause_code="order_entry_error",  # a cause that may draw the warning below (P1-CLS-08)
        ),
        lambda app: app.cases.propose(
            case_id, actor="S01", kind=RemedyKind.ALLOWANCE, amount=Decimal(800), at=at(4, 11)
        ),
        lambda app: app.cases.approve(case_id, actor="S01", role="sales_manager", at=at(4, 12)),
        lambda app: app.cases.reply(case_id, actor="S02", message="同意折让", at=at(5)),
        lambda app: app.cases.close(case_id, actor="gm_office", at=at(5, 10)),
    ]
    for step in steps:
        with fresh(sql_url) as app:
            step(app)
    with fresh(sql_url) as app:
        order = PenaltyOrder(sanctions=(SanctionOrder(person_id="M06", sanction=Sanction.WARNING),))
        assessment = app.penalties.assess(case_id, order, actor="Q01", at=at(6))
        assert assessment.case_id == case_id
    with fresh(sql_url) as app:
        allowance = app.returns.authorise(case_id, actor="S02", at=at(6, 10))
        assert allowance.case_id == case_id
    with fresh(sql_url) as app:
        assert app.cases.get(case_id).status.value == "closed"
