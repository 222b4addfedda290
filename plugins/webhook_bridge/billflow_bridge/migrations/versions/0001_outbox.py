"""The outbox: events, their deliveries, what is known of each target.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billflow_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "billflow_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("event_id", sa.String(64),
                  sa.ForeignKey("billflow_events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("last_attempt_at", sa.Float),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.Float),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("event_id", "target", name="billflow_deliveries_event_target"),
    )  # fmt: skip
    op.create_index("billflow_deliveries_due", "billflow_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "billflow_targets",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column("failing_since", sa.Float),
        sa.Column("disabled_at", sa.Float),
        sa.Column("disabled_reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("billflow_targets")
    op.drop_index("billflow_deliveries_due", "billflow_deliveries")
    op.drop_table("billflow_deliveries")
    op.drop_table("billflow_events")
