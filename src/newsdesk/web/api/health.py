"""``/health``: that the service answers, its version and database, and the counts (for probes and status pages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from newsdesk.model import as_plain as plain
from newsdesk.web.deps import Desk

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(desk: Desk) -> dict[str, Any]:
    """``{"status": "ok", "version": …, "database": "sqlite" | "postgresql", "stats": {…}}``."""
    report: dict[str, Any] = plain(await run_in_threadpool(desk.health))
    return report
