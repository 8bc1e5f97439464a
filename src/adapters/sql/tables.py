"""The schema: SQLAlchemy Core tables on one ``MetaData`` with a naming convention.

Each aggregate is one row holding its JSON document (``body``, loaded back
through the domain constructors) plus the columns queries filter on; child
tables (clocks, parties, penalty lines, ledger entries) exist for the queries
that need an index. Money is integer fen; instants are UTC; enums are text with
check constraints. Migrations in ``migrations/`` must produce exactly this.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from complaint_core.assessment import AssessmentStatus
from complaint_core.case import CaseStatus

from .types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)
DECIDED = "status IN ('approved', 'reversed')"  # complaint_core.assessment.DECIDED: its case's penalty is decided

# SQLite's INTEGER PRIMARY KEY is the rowid; PostgreSQL wants a BIGINT identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


cases = Table(
    "cases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(40), unique=True),
    Column("policy_id", String(64), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("customer", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("market", String(24), nullable=False),
    Column("channel", String(24), nullable=False),
    Column("severity", String(32)),
    Column("received_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("amount_fen", BigInteger),
    Column("parent_id", String(36), ForeignKey("cases.id")),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("status", [s.value for s in CaseStatus]), name="status"),
    CheckConstraint("version >= 1", name="version"),
    CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount"),
    Index(None, "status", "received_at"),
    Index(None, "customer", "received_at"),
    # the monthly report reads only this index (covering): closed in a range, grouped
    Index(None, "closed_at", "category", "severity", "market", "status"),
)

case_clocks = Table(
    "case_clocks",
    metadata,
    Column("case_id", String(36), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime),
    Column("stopped_at", UTCDateTime),
    Column("level", Integer, nullable=False),
    Column("inquiry_pending", Boolean, nullable=False),
    # the sweep's query: running clocks by due time
    Index(
        "ix_case_clocks_running_due",
        "due_at",
        sqlite_where=text("stopped_at IS NULL"),
        postgresql_where=text("stopped_at IS NULL"),
    ),
    Index(
        "ix_case_clocks_inquiry_pending",
        "case_id",
        sqlite_where=text("inquiry_pending"),
        postgresql_where=text("inquiry_pending"),
    ),
)

case_parties = Table(
    "case_parties",
    metadata,
    Column("case_id", String(36), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("party_kind", String(24), primary_key=True),
    Column("party_id", String(64), primary_key=True),
    Column("share", String(24), nullable=False),
    CheckConstraint(_in("role", ["handler", "causer", "delay"]), name="role"),
    Index(None, "party_id", "role"),
)

history = Table(
    "history",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("aggregate_id", String(36), nullable=False),
    Column("aggregate_type", String(24), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "aggregate_id", "version", unique=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("message_id", String(64), nullable=False, unique=True),
    Column("aggregate_id", String(36), nullable=False),
    Column("type", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("relayed_at", UTCDateTime),
    Index(
        "ix_outbox_pending",
        "seq",
        sqlite_where=text("relayed_at IS NULL"),
        postgresql_where=text("relayed_at IS NULL"),
    ),
    Index(None, "aggregate_id", "seq"),
)

serials = Table(
    "serials",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("last", Integer, nullable=False),
    CheckConstraint("last >= 1", name="last"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(36), primary_key=True),
    # one return or allowance per case (P1-RET-01): unique, so two authorisations racing on PostgreSQL cannot both
    # insert (the loser conflicts, retries and is refused)
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("status", ["open", "booked"]), name="status"),
)

followups = Table(
    "followups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, unique=True),
    Column("next_due", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "next_due"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("status", [s.value for s in AssessmentStatus]), name="status"),
    # a case's penalty is decided once (PEN-APPROVE): two approvals racing on PostgreSQL cannot both be stored
    Index(
        "uq_assessments_decided_case_id",
        "case_id",
        unique=True,
        sqlite_where=text(DECIDED),
        postgresql_where=text(DECIDED),
    ),
)

penalty_lines = Table(
    "penalty_lines",
    metadata,
    Column("assessment_id", String(36), ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("rule_id", String(32), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("points", Integer, nullable=False),
)

ledger_ops = Table(
    "ledger_ops",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("month", String(7), nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("kind", ["post", "reverse", "close"]), name="kind"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("op_seq", Integer, ForeignKey("ledger_ops.seq"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("rule_id", String(32), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("capped", Boolean, nullable=False),
    Index(None, "person_id", "month"),
    Index(None, "month"),
)

documents = Table(
    "documents",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("format", String(8), nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("kind", ["policy", "calendar", "organisation", "setting"]), name="kind"),
    CheckConstraint(_in("format", ["toml", "json", "csv", "text"]), name="format"),
)

bonuses = Table(
    "bonuses",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("amount_fen", BigInteger, nullable=False),
    CheckConstraint("amount_fen >= 0", name="amount"),
)

# --- Webhooks (docs/webhooks.md) -----------------------------------------------------------------------------------
DELIVERY_STATUSES = ["pending", "delivered", "dead", "cancelled"]

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("event_filters", Text, nullable=False),  # JSON list of globs on the event type, e.g. ["case.*"]
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_reason", Text),
    Column("breaker_failures", Integer, nullable=False, server_default="0"),  # schedule.CircuitBreaker
    Column("breaker_opened_at", UTCDateTime),
    CheckConstraint("breaker_failures >= 0", name="breaker_failures"),
)

webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column(
        "endpoint_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("secret", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),  # set on rotation: the old secret keeps signing until then
    Index(None, "endpoint_id", "created_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("outbox_seq", BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("outbox.seq"), nullable=False),
    Column(
        "endpoint_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("aggregate_id", String(36), nullable=False),  # copied from the outbox: per-case ordering
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
    CheckConstraint("attempts >= 0", name="attempts"),
    Index(None, "outbox_seq", "endpoint_id", unique=True),
    Index(None, "status", "next_attempt_at"),
    Index(None, "endpoint_id", "aggregate_id", "outbox_seq"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer),  # NULL: timeout or connection error
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text),
    Index(None, "delivery_id", "at"),
)

inbound_requests = Table(
    "inbound_requests",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("webhook_id", String(255), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("status_code", Integer),  # NULL while the first request is being processed
    Column("result", Text),  # the JSON answered the first time; a replay gets it again
    Index(None, "source", "webhook_id", unique=True),
)

# The CRM's id of the ticket a case was created from (entrypoints.asgi): a CRM update finds its case here.
# Written in the case's own transaction; one case per (source, external id).
inbound_links = Table(
    "inbound_links",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Periodic duties done (complaint_core.duties): one row per (policy, duty, period), never edited.
duty_records = Table(
    "duty_records",
    metadata,
    Column("policy_id", String(64), primary_key=True),
    Column("duty", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("done_at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("note", Text, nullable=False),
)


def foreign_tables(names: Iterable[str]) -> list[str]:
    """The tables among ``names`` that are neither ours nor Alembic's: a SQLite file holding any is another
    application's, refused and left as it was (even one migrated with Alembic)."""
    return sorted(set(names) - {"alembic_version", *metadata.tables})
