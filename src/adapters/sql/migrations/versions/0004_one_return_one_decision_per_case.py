"""one return and one decided assessment per case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

The services checked both rules by reading first, which two writers on PostgreSQL (READ COMMITTED) could both
pass: a case ended with two returns, or two approved assessments. The database now holds the rules.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DECIDED = "status <> 'proposed'"


def _refuse_duplicates() -> None:
    """The unique indexes cannot be built while older code's duplicates are there; creating them failed with
    "UNIQUE constraint failed" and the database could never be upgraded. Name the cases instead, and what to do."""
    from adapters.sql.errors import StorageError

    bind = op.get_bind()
    found = []
    for what, query in (
        ("two or more returns", "SELECT case_id FROM returns GROUP BY case_id HAVING count(*) > 1"),
        (
            "two or more decided penalty assessments",
            f"SELECT case_id FROM assessments WHERE {DECIDED} GROUP BY case_id HAVING count(*) > 1",
        ),
    ):
        cases = sorted(str(c) for c in bind.execute(sa.text(query)).scalars())
        if cases:
            found.append(f"{what}: {', '.join(cases)}")
    if found:
        raise StorageError(
            "cannot upgrade to schema revision 0004, which allows one return and one decided assessment per case; "
            f"cases with {'; '.join(found)}. Keep one per case (delete or merge the others), then run "
            "`complaint db upgrade` again"
        )


def upgrade() -> None:
    _refuse_duplicates()
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_case_id"))
        batch_op.create_index(batch_op.f("ix_returns_case_id"), ["case_id"], unique=True)
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            "uq_assessments_decided_case_id",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text(DECIDED),
            postgresql_where=sa.text(DECIDED),
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("uq_assessments_decided_case_id")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_case_id"))
        batch_op.create_index(batch_op.f("ix_returns_case_id"), ["case_id"], unique=False)
