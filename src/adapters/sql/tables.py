"""The schema: SQLAlchemy Core tables on one ``MetaData`` with a naming convention.

Each aggregate is one row holding its JSON document (``body``, loaded back
through the domain constructors) plus the columns queries filter on; child
tables (clocks, parties, penalty lines, ledger entries) exist for the queries
that need an index. Money is integer fen; instants are UTC; enums are text with
check constraints. Migrations in ``migrations/`` must produce exactly this.
"""

from __future__ import annotations

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
    Table,
    Text,
    text,
)

from complaint_core.assessment import AssessmentStatus
from complaint_core.case import CaseStatus

from .types import Bounded, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)
DECIDED = "status <> 'proposed'"  # an assessment approved or reversed: its case's penalty is decided

# SQLite's INTEGER PRIMARY KEY is the rowid; PostgreSQL wants a BIGINT identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


cases = Table(
    "cases",
    metadata,
    Column("id", Bounded(36, "id"), primary_key=True),
    Column("number", Bounded(40, "number"), unique=True),
    Column("policy_id", Bounded(64, "policy_id"), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("status", Bounded(24, "status"), nullable=False),
    Column("customer", Bounded(200, "customer"), nullable=False),
    Column("category", Bounded(64, "category"), nullable=False),
    Column("kind", Bounded(24, "kind"), nullable=False),
    Column("market", Bounded(24, "market"), nullable=False),
    Column("channel", Bounded(24, "channel"), nullable=False),
    Column("severity", Bounded(32, "severity")),
    Column("received_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("amount_fen", BigInteger),
    Column("parent_id", Bounded(36, "parent_id"), ForeignKey("cases.id")),
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
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Bounded(64, "name"), primary_key=True),
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
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("role", Bounded(16, "role"), primary_key=True),
    Column("party_kind", Bounded(24, "party_kind"), primary_key=True),
    Column("party_id", Bounded(64, "party_id"), primary_key=True),
    Column("share", Bounded(24, "share"), nullable=False),
    CheckConstraint(_in("role", ["handler", "causer", "delay"]), name="role"),
    Index(None, "party_id", "role"),
)

history = Table(
    "history",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("aggregate_id", Bounded(36, "aggregate_id"), nullable=False),
    Column("aggregate_type", Bounded(24, "aggregate_type"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", Bounded(64, "type"), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor", Bounded(120, "actor"), nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "aggregate_id", "version", unique=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),
    Column("message_id", Bounded(64, "message_id"), nullable=False, unique=True),
    Column("aggregate_id", Bounded(36, "aggregate_id"), nullable=False),
    Column("type", Bounded(64, "type"), nullable=False),
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
    Column("policy_id", Bounded(64, "policy_id"), primary_key=True),
    Column("period", Bounded(16, "period"), primary_key=True),
    Column("last", Integer, nullable=False),
    CheckConstraint("last >= 1", name="last"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", Bounded(36, "id"), primary_key=True),
    # one return or allowance per case (P1-RET-01): unique, so two authorisations racing on PostgreSQL cannot both
    # insert (the loser conflicts, retries and is refused)
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id"), nullable=False, index=True, unique=True),
    Column("status", Bounded(16, "status"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("status", ["open", "booked"]), name="status"),
)

followups = Table(
    "followups",
    metadata,
    Column("id", Bounded(36, "id"), primary_key=True),
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id"), nullable=False, unique=True),
    Column("next_due", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Index(None, "next_due"),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Bounded(36, "id"), primary_key=True),
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id"), nullable=False, index=True),
    Column("status", Bounded(16, "status"), nullable=False),
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
    Column(
        "assessment_id",
        Bounded(36, "assessment_id"),
        ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("line", Integer, primary_key=True),
    Column("person_id", Bounded(64, "person_id"), nullable=False, index=True),
    Column("rule_id", Bounded(32, "rule_id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("points", Integer, nullable=False),
)

ledger_ops = Table(
    "ledger_ops",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", Bounded(16, "kind"), nullable=False),
    Column("month", Bounded(7, "month"), nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint(_in("kind", ["post", "reverse", "close"]), name="kind"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("op_seq", Integer, ForeignKey("ledger_ops.seq"), nullable=False),
    Column("kind", Bounded(16, "kind"), nullable=False),
    Column("person_id", Bounded(64, "person_id"), nullable=False),
    Column("month", Bounded(7, "month"), nullable=False),
    Column("case_id", Bounded(36, "case_id"), nullable=False),
    Column("rule_id", Bounded(32, "rule_id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("capped", Boolean, nullable=False),
    Index(None, "person_id", "month"),
    Index(None, "month"),
)

documents = Table(
    "documents",
    metadata,
    Column("kind", Bounded(16, "kind"), primary_key=True),
    Column("name", Bounded(64, "name"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("format", Bounded(8, "format"), nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    CheckConstraint(_in("kind", ["policy", "calendar", "organisation", "setting"]), name="kind"),
    CheckConstraint(_in("format", ["toml", "json", "csv", "text"]), name="format"),
)

bonuses = Table(
    "bonuses",
    metadata,
    Column("person_id", Bounded(64, "person_id"), primary_key=True),
    Column("month", Bounded(7, "month"), primary_key=True),
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
    Column("aggregate_id", Bounded(36, "aggregate_id"), nullable=False),  # copied from the outbox: per-case ordering
    Column("status", Bounded(16, "status"), nullable=False),
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
    Column("source", Bounded(64, "source"), nullable=False),
    Column("webhook_id", Bounded(255, "webhook_id"), nullable=False),
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
    Column("source", Bounded(64, "source"), primary_key=True),
    Column("external_id", Bounded(255, "external_id"), primary_key=True),
    Column("case_id", Bounded(36, "case_id"), ForeignKey("cases.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Periodic duties done (complaint_core.duties): one row per (policy, duty, period), never edited.
duty_records = Table(
    "duty_records",
    metadata,
    Column("policy_id", Bounded(64, "policy_id"), primary_key=True),
    Column("duty", Bounded(64, "duty"), primary_key=True),
    Column("period", Bounded(16, "period"), primary_key=True),
    Column("done_at", UTCDateTime, nullable=False),
    Column("actor", Bounded(255, "actor"), nullable=False),
    Column("note", Text, nullable=False),
)
