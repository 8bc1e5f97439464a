"""customer names stored without surrounding blanks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The ``customer`` column is what a repeat complaint (P4-CLS-04, E4-CL-01) and ``case list --customer`` look a
customer up by. It now holds ``intake.customer_key``, the name without surrounding blanks; rows written before that
held the name as typed, so "华东电子 " was found only once a command saved its case again. This rewrites those rows.
Python's ``str.strip`` is the rule (it also takes the ideographic space U+3000, which SQL's ``trim`` does not), so
the names are read and compared here, not in SQL. The case documents keep the name as given.

Downgrade changes nothing: older code reads the column only to look customers up, and the names as typed are still
in each case's document.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from complaint_core.intake import customer_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1_000


def upgrade() -> None:
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.String), sa.column("customer", sa.String))
    result = bind.execute(sa.select(cases.c.id, cases.c.customer))
    changed = [
        {"case_id": case_id, "name": customer_key(customer)}
        for rows in result.partitions(BATCH)
        for case_id, customer in rows
        if customer_key(customer) != customer
    ]
    update = cases.update().where(cases.c.id == sa.bindparam("case_id")).values(customer=sa.bindparam("name"))
    for start in range(0, len(changed), BATCH):
        bind.execute(update, changed[start : start + BATCH])


def downgrade() -> None:
    pass
