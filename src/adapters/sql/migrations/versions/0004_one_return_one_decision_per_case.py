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


def upgrade() -> None:
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
