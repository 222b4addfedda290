"""The portal's shared state: answers to retried actions, sign-in marks and counts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billflow_answers",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("answer", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_billflow_answers_expires_at", "billflow_answers", ["expires_at"])
    op.create_table(
        "billflow_marks",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_billflow_marks_expires_at", "billflow_marks", ["expires_at"])
    op.create_table(
        "billflow_counts",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_billflow_counts_expires_at", "billflow_counts", ["expires_at"])


def downgrade() -> None:
    for table in ("billflow_counts", "billflow_marks", "billflow_answers"):
        op.drop_index(f"ix_{table}_expires_at", table)
        op.drop_table(table)
