"""The language model's outputs and its daily use, in the database: every web process and worker shares them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, delete, select

from newsdesk.store.dialect import upsert
from newsdesk.store.schema import AI_USAGE_COUNTS, ai_outputs, ai_usage


class AiStorage:
    """The AI part of the storage (mixed into :class:`~newsdesk.store.sql.SqlStorage`)."""

    engine: Engine
    reader: Engine  # reads: autocommit on PostgreSQL (SqlStorage)

    def ai_output(self, key: str) -> str | None:
        """The JSON kept under ``key``, or None."""
        with self.reader.connect() as conn:
            return conn.execute(select(ai_outputs.c.payload).where(ai_outputs.c.key == key)).scalar()

    def put_ai_output(
        self, key: str, *, target: str, feature: str, model: str, language: str, payload: str, now: datetime
    ) -> None:
        """Keep an output (the same key written twice keeps the later: two processes wrote the same thing)."""
        row = {
            "key": key,
            "target": target[:80],
            "feature": feature[:20],
            "model": model[:120],
            "language": language[:16],
            "payload": payload,
            "created_at": now,
        }
        with self.engine.begin() as conn:
            statement = upsert(conn.dialect.name, ai_outputs).values(**row)
            conn.execute(
                statement.on_conflict_do_update(index_elements=["key"], set_={"payload": payload, "created_at": now})
            )

    def forget_ai_outputs(self, target: str) -> int:
        """Drop a target's outputs (an operator's reset); how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(ai_outputs).where(ai_outputs.c.target == target)).rowcount or 0

    def count_ai_usage(self, day: str, counts: Mapping[str, int]) -> None:
        """Add to a day's counters (names from ``AI_USAGE_COUNTS``) in one statement, safe under concurrency."""
        added = {name: int(counts.get(name, 0)) for name in AI_USAGE_COUNTS}
        if not any(added.values()):
            return
        with self.engine.begin() as conn:
            statement = upsert(conn.dialect.name, ai_usage).values(day=day, **added)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["day"],
                    set_={name: getattr(ai_usage.c, name) + value for name, value in added.items() if value},
                )
            )

    def ai_usage(self, days: int = 30) -> list[dict[str, int | str]]:
        """The last ``days`` days' counters, newest first."""
        with self.reader.connect() as conn:
            rows = conn.execute(select(ai_usage).order_by(ai_usage.c.day.desc()).limit(days))
            return [dict(r._mapping) for r in rows]

    def ai_tokens_spent(self, day: str) -> int:
        """Tokens spent on the day (prompt and answer): what the daily budget is checked against."""
        with self.reader.connect() as conn:
            row = conn.execute(
                select(ai_usage.c.prompt_tokens + ai_usage.c.completion_tokens).where(ai_usage.c.day == day)
            ).scalar()
            return int(row or 0)
