"""periodic duties done

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

DOMAIN §4's periodic duties (P1-DL-05..07 by the 10th, P5-DL-03 daily): one row per policy, duty and period.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import adapters.sql.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_records",
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("duty", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("done_at", adapters.sql.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "duty", "period", name=op.f("pk_duty_records")),
    )


def downgrade() -> None:
    op.drop_table("duty_records")
