"""Logging: stable event names with key=value fields, context bound per task.

Modules log with ``logging.getLogger(__name__)`` and :func:`event`, e.g.
``log.info(event("feed.updated", url=url, new=3))``. Only the CLI and the server
call :func:`configure_logging`; library code never installs handlers. Context
(``feed=…``, ``job=…``) set with :func:`bind` is appended to every record
logged in the same asyncio task, because it lives in a ``ContextVar``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_context: ContextVar[dict[str, Any] | None] = ContextVar("newsdesk_log_context", default=None)


def _fmt(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "='):
        return json.dumps(text, ensure_ascii=False)
    return text


def event(name: str, **fields: Any) -> str:
    """Render ``name k=v …`` with values quoted when they contain spaces."""
    parts = [name]
    parts.extend(f"{k}={_fmt(v)}" for k, v in fields.items() if v is not None)
    return " ".join(parts)


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every log record emitted inside the block (this task only)."""
    current = _context.get() or {}
    token = _context.set({**current, **fields})
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.ctx = _context.get() or {}
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        msg = record.getMessage()
        ctx = getattr(record, "ctx", {})
        if ctx:
            msg += " " + " ".join(f"{k}={_fmt(v)}" for k, v in ctx.items())
        line = f"{ts}Z {record.levelname:<7} {record.name}: {msg}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": record.created,
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update(getattr(record, "ctx", {}))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "auto", fmt: str = "text", *, auto: str = "INFO") -> None:
    """Send logs to stderr (never stdout, which carries data); a ``level`` of ``auto`` is ``auto``.

    A command that reports what it did passes ``auto="WARNING"``: its own output says it, and an
    INFO line (a migration, a source added) would only repeat it in the vocabulary of the code.
    """
    if level.lower() == "auto":
        level = auto
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger("newsdesk")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
