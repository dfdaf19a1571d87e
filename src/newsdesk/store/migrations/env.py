"""Alembic environment: runs migrations on the connection newsdesk hands over.

newsdesk calls Alembic programmatically (``store.migrate``) with an open
connection in ``config.attributes["connection"]``; there is no alembic.ini.
SQLite needs batch mode for ALTER TABLE, so it is always on there.
"""

from __future__ import annotations

from alembic import context

from newsdesk.store.schema import complete_metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=complete_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
