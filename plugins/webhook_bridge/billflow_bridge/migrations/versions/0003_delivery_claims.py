"""Each claim carries its worker's token, so a worker whose claim lapsed writes nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("billflow_deliveries") as table:
        table.add_column(sa.Column("claim", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("billflow_deliveries") as table:
        table.drop_column("claim")
