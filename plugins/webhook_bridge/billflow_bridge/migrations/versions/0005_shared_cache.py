"""The portal's shared cache: customer ids, the catalog's version, the action lock.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billflow_cache",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_billflow_cache_expires_at", "billflow_cache", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_billflow_cache_expires_at", "billflow_cache")
    op.drop_table("billflow_cache")
