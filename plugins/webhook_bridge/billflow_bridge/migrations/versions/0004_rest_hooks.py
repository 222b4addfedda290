"""REST hooks: the URLs automation platforms subscribe for one event type each.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billflow_hooks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("target_url", sa.String(2048), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_billflow_hooks_event", "billflow_hooks", ["event"])


def downgrade() -> None:
    op.drop_index("ix_billflow_hooks_event", "billflow_hooks")
    op.drop_table("billflow_hooks")
