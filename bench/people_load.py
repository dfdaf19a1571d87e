#!/usr/bin/env python3
"""Signed-in readers under load: personal front pages and comments on the 100k-article database.

  python bench/people_load.py [--db sqlite|postgresql|both] [--readers 100] [--duration 120] [--comment-every 5]

The database of ``bench/web_db.py`` (101k articles, 43.6k stories; SQLite is copied, so the cached one stays
clean; PostgreSQL is used in place and the run's accounts and comments are deleted afterwards). ``--readers``
accounts are made and signed in through the facade (one-time sign-in links: no password hashing in the
set-up), then the real server (``python -m newsdesk serve``) serves them while a bounded load script on
loopback plays them (after a warm-up in which each reader's first page is loaded, ten at a time, and
not counted): each reader opens their personal front page (``/``, signed in: their mutes applied,
never the anonymous page cache) every 0.5–1.5 s, and posts a comment on a recent article every
``--comment-every`` seconds (±50 %) through the page's form (``POST /comments`` with its form token). In the
same run, a bare Starlette + Jinja2 page of 20 items (``bench/web_reference.py``) gets the same pattern of
requests from as many readers, as the baseline.

Printed: the personal front page's p50/p95 against the target (p95 ≤ 50 ms, issue 14) and the ratio to the
reference's p95; comments posted, refused (status), and found in the database afterwards (no lost comment:
every 303 is a stored comment); any "database is locked" in the server's log. The comment rate limit is
raised for the run (``NEWSDESK_COMMENTS_PER_MINUTE``), since the readers are scripted to post more often than
the default allows a person.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
from tests.loopback import free_port  # noqa: E402

from web_db import database_url, ensure_database  # noqa: E402
from web_pages import _quiet_scheduler, _wait_ready  # noqa: E402

P95_TARGET_MS = 50.0
RUN_PREFIX = "bench"


@dataclass
class Tally:
    pages_ms: list[float] = field(default_factory=list)
    pages_at: list[float] = field(default_factory=list)  # when each page was asked for (monotonic seconds)
    page_errors: dict[int, int] = field(default_factory=dict)
    posted: int = 0
    refused: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reader:
    cookie: str
    csrf: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--comment-every", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=1, help="web processes of the server (web_processes)")
    args = parser.parse_args()
    ok = True
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        ok &= run(kind, args)
    return 0 if ok else 1


def run(kind: str, args: argparse.Namespace) -> bool:
    stamp = ensure_database(kind)
    print(f"\n{kind}: {stamp['articles']} articles, {stamp['stories']} stories", flush=True)
    data = Path(tempfile.mkdtemp(prefix="people-load-"))
    url = database_url(kind)
    if kind == "sqlite":
        copy = data / "newsdesk.db"
        shutil.copy(url.split(":///", 1)[1], copy)
        url = f"sqlite:///{copy}"
    env = {
        **os.environ,
        "NEWSDESK_DB": url,
        "NEWSDESK_DATA_DIR": str(data),
        "NEWSDESK_LOG_LEVEL": "WARNING",
        "NEWSDESK_ENRICH": "false",
        "NEWSDESK_COMMENTS_PER_MINUTE": "1000",
        "NEWSDESK_COMMENTS_PER_DAY": "100000",
        "NEWSDESK_WEB_PROCESSES": str(args.processes),
    }
    if kind == "postgresql":
        _vacuum(url)
    readers, articles, run_id = _readers(url, data, args.readers)
    _quiet_scheduler(url)
    port, ref_port = free_port(), free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "newsdesk", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    reference = subprocess.Popen([sys.executable, str(BENCH / "web_reference.py"), "--port", str(ref_port)])
    try:
        _wait_ready(f"http://127.0.0.1:{port}/api/v1/health")
        _wait_ready(f"http://127.0.0.1:{ref_port}/")
        personal, ref = asyncio.run(_load(port, ref_port, readers, articles, args))
    finally:
        for proc in (server, reference):
            proc.terminate()
            proc.wait(timeout=30)
        log.close()
    stored = _stored_comments(url, run_id)
    locked = len(re.findall("database is locked", (data / "server.log").read_text(errors="replace")))
    if kind == "postgresql":
        _forget_run(url, run_id)
    shutil.rmtree(data, ignore_errors=True)
    return _report(kind, personal, ref, stored, locked)


def _readers(url: str, data: Path, n: int) -> tuple[list[Reader], list[str], str]:
    """``n`` accounts signed in (by one-time links), and recent articles to comment on."""
    from sqlalchemy import create_engine, text

    from newsdesk.config import load_settings
    from newsdesk.core import make_newsdesk

    run_id = f"{RUN_PREFIX}{int(time.time()) % 100000}"
    desk = make_newsdesk(load_settings(env={"NEWSDESK_DB": url, "NEWSDESK_DATA_DIR": str(data)}))
    readers = []
    try:
        for i in range(n):
            desk.create_user(f"{run_id}-{i}", None)
            token = desk.sign_in_link(f"{run_id}-{i}").rsplit("/", 1)[1]
            new = desk.use_sign_in_link(token)
            readers.append(Reader(new.token, new.signed_in.csrf_token))
    finally:
        desk.close()
    engine = create_engine(url)
    with engine.connect() as conn:
        articles = list(
            conn.execute(
                text("SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY fetched_at DESC LIMIT 200")
            ).scalars()
        )
    engine.dispose()
    return readers, articles, run_id


async def _load(
    port: int, ref_port: int, readers: list[Reader], articles: list[str], args: argparse.Namespace
) -> tuple[Tally, Tally]:
    import aiohttp

    personal, ref = Tally(), Tally()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        # Warm-up, not counted: every reader's first page, ten at a time, as a server that has been up a while
        # has seen them (its caches of rankings, cards and filters filled). The start is measured on its own.
        warm = Tally()
        gate = asyncio.Semaphore(10)

        async def first_page(r: Reader) -> None:
            async with gate:
                started = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{port}/", cookies={"newsdesk_session": r.cookie}) as response:
                    await response.read()
                    _count(warm, response.status, started)

        await asyncio.gather(*(first_page(r) for r in readers))
        print(
            f"warm-up: {len(warm.pages_ms)} first pages, p50 {statistics.median(warm.pages_ms):.1f} ms, "
            f"max {max(warm.pages_ms):.1f} ms (not counted)",
            flush=True,
        )
        deadline = time.monotonic() + args.duration

        async def reader(r: Reader) -> None:
            cookies = {"newsdesk_session": r.cookie}
            next_comment = time.monotonic() + random.uniform(0, args.comment_every)
            await asyncio.sleep(random.uniform(0, 1.0))
            while time.monotonic() < deadline:
                started = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{port}/", cookies=cookies) as response:
                    await response.read()
                    _count(personal, response.status, started)
                if time.monotonic() >= next_comment:
                    next_comment += args.comment_every * random.uniform(0.5, 1.5)
                    form = {
                        "csrf_token": r.csrf,
                        "target": "article",
                        "target_id": random.choice(articles),
                        "body": f"A *bench* comment, {random.randrange(10**9)}.",
                    }
                    async with http.post(
                        f"http://127.0.0.1:{port}/comments", data=form, cookies=cookies, allow_redirects=False
                    ) as response:
                        await response.read()
                        if response.status == 303:
                            personal.posted += 1
                        else:
                            personal.refused[response.status] = personal.refused.get(response.status, 0) + 1
                await asyncio.sleep(random.uniform(0.5, 1.5))

        async def baseline() -> None:
            await asyncio.sleep(random.uniform(0, 1.0))
            while time.monotonic() < deadline:
                started = time.perf_counter()
                async with http.get(f"http://127.0.0.1:{ref_port}/") as response:
                    await response.read()
                    _count(ref, response.status, started)
                await asyncio.sleep(random.uniform(0.5, 1.5))

        await asyncio.gather(*(reader(r) for r in readers), *(baseline() for _ in readers))
    return personal, ref


def _count(tally: Tally, status: int, started: float) -> None:
    if status == 200:
        tally.pages_ms.append((time.perf_counter() - started) * 1000)
        tally.pages_at.append(started)
    else:
        tally.page_errors[status] = tally.page_errors.get(status, 0) + 1


def _stored_comments(url: str, run_id: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM comments c JOIN users u ON u.id = c.user_id WHERE u.name LIKE :p"),
            {"p": run_id + "-%"},
        ).scalar_one()
    engine.dispose()
    return int(n)


def _vacuum(url: str) -> None:
    """VACUUM ANALYZE the tables the runs write, on PostgreSQL, before a run. A server's own autovacuum does
    this as it goes (on by default); where it is off (this machine's PostgreSQL: ``SHOW autovacuum``), the dead
    rows of earlier runs (tens of thousands of deleted comments, sessions, users) would slow every later run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        autovacuum = conn.execute(text("SHOW autovacuum")).scalar()
        conn.execute(text("VACUUM (ANALYZE) users, sessions, sign_in_links, comments, data_versions, follows, reads"))
    engine.dispose()
    print(f"postgresql: autovacuum {autovacuum}; the run's tables vacuumed first", flush=True)


def _forget_run(url: str, run_id: str) -> None:
    """The run's accounts and their comments, deleted from the shared PostgreSQL bench database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        ids = "SELECT id FROM users WHERE name LIKE :p"
        conn.execute(text(f"DELETE FROM comments WHERE user_id IN ({ids})"), {"p": run_id + "-%"})
        conn.execute(text("DELETE FROM users WHERE name LIKE :p"), {"p": run_id + "-%"})
    engine.dispose()


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else float("nan")


def _windows(tally: Tally, width_s: float = 10.0) -> str:
    """The p95 of each ``width_s`` of the run, in order: where the slow pages were."""
    if not tally.pages_at:
        return "-"
    start = min(tally.pages_at)
    buckets: dict[int, list[float]] = {}
    for at, ms in zip(tally.pages_at, tally.pages_ms, strict=True):
        buckets.setdefault(int((at - start) // width_s), []).append(ms)
    return " ".join(f"{_p(buckets[k], 95):.0f}" for k in sorted(buckets))


def _report(kind: str, personal: Tally, ref: Tally, stored: int, locked: int) -> bool:
    p50, p95 = _p(personal.pages_ms, 50), _p(personal.pages_ms, 95)
    r50, r95 = _p(ref.pages_ms, 50), _p(ref.pages_ms, 95)
    ok = p95 <= P95_TARGET_MS and stored == personal.posted and not locked and not personal.page_errors
    print(f"{kind}: personal front page  {len(personal.pages_ms)} pages, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"{kind}: reference (20 items) {len(ref.pages_ms)} pages, p50 {r50:.1f} ms, p95 {r95:.1f} ms")
    print(f"{kind}: p95 ratio personal/reference {p95 / r95:.2f}x; target p95 <= {P95_TARGET_MS:.0f} ms")
    print(f"{kind}: p95 per 10 s of the run: {_windows(personal)}")
    print(f"{kind}: page errors {personal.page_errors or 'none'}; 'database is locked' in the log: {locked}")
    print(f"{kind}: comments posted {personal.posted}, refused {personal.refused or 'none'}, stored {stored}")
    print(f"{kind}: {'met' if ok else 'NOT met'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
