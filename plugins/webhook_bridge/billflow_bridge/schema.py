"""The bridge's tables, in SQLAlchemy Core. Alembic's migrations (`migrations/`) make them;
a test checks that the migrated database and these definitions agree.

- `events`: each portal event once, under its id (the `webhook-id`), with the exact body
  every attempt sends, so a retry sends the same bytes.
- `deliveries`: one row per event and target: where it stands, when it is next due, how its
  last attempt ended. A row is claimed by moving `next_attempt_at` past a lease, so a worker
  killed mid-attempt leaves it due again once the lease ends.
- `targets`: what the bridge learned of each target: failing since when, disabled and why.
- `hooks`: REST hooks automation platforms subscribed (Zapier): a URL for one event type.
- `answers`, `marks`, `counts`: the portal's shared state (`stores.py`): answers to
  retried actions, sign-in's used links and ended sessions, rate-limit counts.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["answers", "counts", "deliveries", "events", "hooks", "marks", "metadata", "targets"]

metadata = MetaData()

events = Table(
    "billflow_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

deliveries = Table(
    "billflow_deliveries",
    metadata,
    # SQLite numbers its rows only for an INTEGER primary key.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("event_id", String(64), ForeignKey("billflow_events.id", ondelete="CASCADE"),
           nullable=False),
    Column("target", String(2048), nullable=False),
    # pending (due at next_attempt_at), delivered, failed (no attempt left)
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("claim", String(32)),  # the token of the worker attempting it now
    Column("last_attempt_at", Float),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("delivered_at", Float),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("event_id", "target", name="billflow_deliveries_event_target"),
    Index("billflow_deliveries_due", "status", "next_attempt_at"),
)  # fmt: skip

targets = Table(
    "billflow_targets",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("failing_since", Float),
    Column("disabled_at", Float),
    Column("disabled_reason", Text),
)

answers = Table(
    "billflow_answers",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("answer", LargeBinary, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

marks = Table(
    "billflow_marks",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)

counts = Table(
    "billflow_counts",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

cache = Table(
    "billflow_cache",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", String(255), nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

hooks = Table(
    "billflow_hooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("target_url", String(2048), nullable=False),
    Column("event", String(100), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
)
