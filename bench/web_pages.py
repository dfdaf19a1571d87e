#!/usr/bin/env python3
"""Reader pages under load: ``newsdesk serve`` on a 100k-article database against a bare Starlette page.

  python bench/web_pages.py [--db sqlite|postgresql|both] [--duration 10] [--connections 50]

Builds (or reuses) the database of ``bench/web_db.py``, starts the real server (``python -m
newsdesk serve``) on it and the reference app (``bench/web_reference.py``: Starlette + Jinja2,
20 items, no database) on free loopback ports, then runs wrk (``-t2 -c50 -d10s``) against each
route in turn, rotating through many ids of each kind (a Lua script) so no single row's cache
flatters it. Prints pages/s, p50 and p95, and the ratio of each route's pages/s to the
reference's in the same run; the targets (issue 13) are p95 ≤ 30 ms for the front, story and
article pages, ≤ 50 ms for search, and ≥ 0.5x the reference's throughput.

Without ``--warm``, a run starts with the page cache empty but for the first five paths of
the rotation (a cold start: every other page is rendered during the run); with ``--warm``,
every path is requested once before the run (a warm cache: the steady state of a live site).
wrk's percentiles include its correction for coordinated omission (a response slower than twice
the expected interval between one connection's requests adds the samples a steady sender would
have seen meanwhile), so a cold start's first renders weigh on the p95 far beyond their number.

A route that answers 404 (a page not built yet) is reported as skipped. The sources are set to
be checked a month later before the server starts, so its scheduler finds nothing due and the
figures are of reading alone (enrichment is off: it would embed the articles the database has no
vectors for). PostgreSQL: ``NEWSDESK_BENCH_POSTGRES_URL`` (a database the
benchmark may drop and fill; see web_db.py).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
from tests.loopback import free_port  # noqa: E402

from web_db import DEFAULT_FEEDS, data_dir, database_url, ensure_database  # noqa: E402

LUA = r"""
local paths = {}
local next_path = 0
function init(args)
  for i, a in ipairs(args) do paths[i] = a end
  next_path = math.random(#paths) - 1
end
function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""

P95_TARGET_MS = {"front page": 30.0, "story page": 30.0, "article page": 30.0, "search": 50.0}


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    paths: list[str]


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    pages_s: float
    p50_ms: float
    p95_ms: float
    errors: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per route")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--feeds", type=int, default=DEFAULT_FEEDS, help="size of the database (≈35 articles a feed)")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="request every path of a route once before its run: the steady state of a warm page cache",
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 1
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        stamp = ensure_database(kind, args.feeds)
        url = database_url(kind)
        _quiet_scheduler(url)
        routes = _routes(url)
        print(f"\n{kind}: {stamp['articles']} articles, {stamp['stories']} stories", flush=True)
        figures = _run(wrk, args, url, routes, data_dir(kind))
        _print_table(kind, figures)
    return 0


def _quiet_scheduler(url: str) -> None:
    """Every source checked a month from now: the server's scheduler has nothing to do during the run."""
    from sqlalchemy import create_engine, update

    from newsdesk.core import utcnow
    from newsdesk.store.schema import sources

    engine = create_engine(url)
    with engine.begin() as conn:
        later = utcnow().replace(microsecond=0) + timedelta(days=30)
        conn.execute(update(sources).values(next_check_at=later))
    engine.dispose()


def _routes(url: str) -> list[Route]:
    """The routes, each with the paths it rotates through: live stories, recent articles, searches."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        stories = list(
            conn.execute(
                text(
                    "SELECT id FROM stories WHERE merged_into IS NULL AND article_count > 1 "
                    "ORDER BY last_seen_at DESC, id LIMIT 200"
                )
            ).scalars()
        )[::4]
        articles = list(
            conn.execute(
                text("SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY fetched_at DESC, id LIMIT 2000")
            ).scalars()
        )[::40]
        titles = list(conn.execute(text("SELECT title FROM articles ORDER BY id LIMIT 3000")).scalars())
    engine.dispose()
    return [
        Route("front page", ["/"]),
        Route("story page", [f"/stories/{s}" for s in stories]),
        Route("article page", [f"/articles/{a}" for a in articles]),
        Route("search", [f"/search?q={quote_plus(q)}" for q in search_queries(titles)]),
        Route("front page API", ["/api/v1/frontpage"]),
        Route("story API", [f"/api/v1/stories/{s}" for s in stories]),
    ]


def search_queries(titles: list[str]) -> list[str]:
    """What readers type, from the database's own titles: rare words (in one or two of these titles),
    common words (the most frequent of five letters or more: thousands of matches to rank) and quoted
    two-word phrases, interleaved so every second of the run mixes all three."""
    words = [[w.strip(".,;:!?'\"()").lower() for w in (t or "").split()] for t in titles]
    counts = Counter(w for ws in words for w in set(ws) if len(w) >= 4 and w.isalpha())
    rare = sorted(w for w, n in counts.items() if n <= 2 and len(w) >= 6)[:: max(1, len(counts) // 400)][:20]
    common = [w for w, _ in counts.most_common() if len(w) >= 5][:15]
    phrases = sorted(
        {f'"{a} {b}"' for ws in words[::97] for a, b in itertools.pairwise(ws) if len(a) >= 4 and len(b) >= 4}
    )[:15]
    return [q for group in itertools.zip_longest(rare, common, phrases) for q in group if q]


def _run(wrk: str, args: argparse.Namespace, url: str, routes: list[Route], kept: Path) -> list[Figure]:
    data = Path(tempfile.mkdtemp(prefix="web-pages-"))
    for index in kept.glob("vectors-*.usearch"):  # what enrichment keeps beside a live database
        shutil.copy(index, data / index.name)
    script = data / "rotate.lua"
    script.write_text(LUA)
    env = {
        **os.environ,
        "NEWSDESK_DB": url,
        "NEWSDESK_DATA_DIR": str(data),
        "NEWSDESK_LOG_LEVEL": "WARNING",
        # No story intelligence either: the database holds vectors for a third of its articles, and
        # enrichment would embed the rest (a batch per scheduler tick) on the cores the pages need.
        "NEWSDESK_ENRICH": "false",
    }
    ref_port, app_port = free_port(), free_port()
    reference = subprocess.Popen([sys.executable, str(BENCH / "web_reference.py"), "--port", str(ref_port)])
    server = subprocess.Popen([sys.executable, "-m", "newsdesk", "serve", "--port", str(app_port)], env=env)
    figures = []
    try:
        _wait_ready(f"http://127.0.0.1:{ref_port}/")
        _wait_ready(f"http://127.0.0.1:{app_port}/api/v1/health")
        figures.append(_load(wrk, args, script, ref_port, Route("reference (20 items)", ["/"])))
        for route in routes:
            status = _status(f"http://127.0.0.1:{app_port}{route.paths[0]}")
            if status != 200:
                print(f"  {route.name}: skipped, {route.paths[0]} answers {status}", flush=True)
                continue
            figures.append(_load(wrk, args, script, app_port, route))
    finally:
        for proc in (server, reference):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # requests still queued behind slow ones: no need to finish them
                proc.kill()
                proc.wait()
        shutil.rmtree(data, ignore_errors=True)
    return figures


def _load(wrk: str, args: argparse.Namespace, script: Path, port: int, route: Route) -> Figure:
    base = f"http://127.0.0.1:{port}"
    # Warm: the first requests load templates and open connections; with --warm, every page of the
    # rotation is rendered once, so the run measures pages served from the cache (the steady state).
    for path in route.paths if args.warm else route.paths[:5]:
        _status(base + path)
    command = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s"]
    command += ["-s", str(script), base]
    out = subprocess.run([*command, "--", *route.paths], capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    figure = Figure(
        route.name,
        r["requests"] / (r["duration_us"] / 1e6),
        r["p50_us"] / 1000,
        r["p95_us"] / 1000,
        r["socket_errors"] + r["status_errors"],
    )
    errors = f", {figure.errors} errors or timeouts (10 s)" if figure.errors else ""
    if not r["requests"]:
        errors = ", no answer within the run"
    print(f"  {figure.name}: {figure.pages_s:.0f}/s, p50 {figure.p50_ms:.1f} ms, p95 {figure.p95_ms:.1f} ms{errors}")
    return figure


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_ready(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if _status(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def _print_table(kind: str, figures: list[Figure]) -> None:
    reference = figures[0].pages_s
    print(f"\n{kind}: {'route':<22} {'pages/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'x ref':>7} {'errors':>7}  target")
    for f in figures:
        target = P95_TARGET_MS.get(f.name)
        verdict = ""
        if target is not None:
            ok = f.p95_ms <= target and (f.name == "search" or f.pages_s >= 0.5 * reference)
            verdict = f"{'met' if ok else 'missed'} (p95 ≤ {target:.0f} ms" + (
                ")" if f.name == "search" else ", ≥ 0.5x)"
            )
        ratio = f.pages_s / reference
        row = f"{f.name:<22} {f.pages_s:>8.0f} {f.p50_ms:>8.1f} {f.p95_ms:>8.1f} {ratio:>6.2f}x {f.errors:>7}"
        print(f"{kind}: {row}  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
