"""Alembic's environment for the bridge: migrations run on the engine `database.migrate`
passes, with the bridge's own version table so a database shared with a site's own Alembic
history keeps both apart."""

from __future__ import annotations

from alembic import context

from billflow_bridge.database import VERSION_TABLE
from billflow_bridge.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
