"""The site's own settings in the database: a row per setting, written with the data version pages check."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select

from newsdesk.store.dialect import upsert
from newsdesk.store.schema import site_settings
from newsdesk.store.stories import bump_version

SITE_VERSION = "site"  # the site's settings: every page shows its name


class SiteStorage:
    """The site settings part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def site_settings(self) -> dict[str, str]:
        with self.reader.connect() as conn:
            return {r.name: r.value for r in conn.execute(select(site_settings.c.name, site_settings.c.value))}

    def set_site_settings(self, values: Mapping[str, str], by: int | None, now: datetime) -> None:
        """Write the settings given, and bump the version every cached page is checked against."""
        with self.engine.begin() as conn:
            for name, value in values.items():
                row = {"name": name, "value": value, "updated_at": now, "updated_by": by}
                statement = upsert(conn.dialect.name, site_settings).values(**row)
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["name"],
                        set_={"value": value, "updated_at": now, "updated_by": by},
                    )
                )
            bump_version(conn, SITE_VERSION)
