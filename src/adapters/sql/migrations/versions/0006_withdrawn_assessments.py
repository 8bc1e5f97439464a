"""withdrawn penalty assessments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A proposal that will not be approved is withdrawn (status ``withdrawn``): it decides nothing, so the index that
allows one decided assessment per case now looks at approved and reversed ones only (it looked at every status
but ``proposed``, which would have let a case withdraw one proposal at most).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BEFORE = "status <> 'proposed'"
DECIDED = "status IN ('approved', 'reversed')"
STATUSES = ("proposed", "approved", "reversed")


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _rebuild(statuses: tuple[str, ...], decided: str) -> None:
    """On SQLite, dropping the check rebuilds the table (copy, DROP TABLE, rename), and with foreign keys on, the
    drop deletes every penalty line through ``ON DELETE CASCADE``: they are kept aside and put back."""
    bind = op.get_bind()
    lines = []
    if bind.dialect.name == "sqlite":
        lines = [dict(row._mapping) for row in bind.execute(sa.text("SELECT * FROM penalty_lines"))]
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("uq_assessments_decided_case_id")
        batch_op.drop_constraint(batch_op.f("ck_assessments_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_assessments_status"), sa.text(_statuses(statuses)))
        batch_op.create_index(
            "uq_assessments_decided_case_id",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text(decided),
            postgresql_where=sa.text(decided),
        )
    if lines:
        bind.execute(sa.text("DELETE FROM penalty_lines"))  # what the cascade left, if anything
        columns = list(lines[0])
        bind.execute(
            sa.text(f"INSERT INTO penalty_lines ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"),
            lines,
        )


def upgrade() -> None:
    _rebuild((*STATUSES, "withdrawn"), DECIDED)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM assessments WHERE status = 'withdrawn'")).scalar():
        from adapters.sql.errors import StorageError

        raise StorageError(
            "cannot downgrade below schema revision 0006: the database holds withdrawn penalty assessments, "
            "which older versions cannot read"
        )
    _rebuild(STATUSES, BEFORE)
