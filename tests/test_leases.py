"""Two processes on one database split the work: a source, a page and the enrichment are claimed
by one process at a time, and a crashed holder's claim runs out."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.core import make_newsdesk
from newsdesk.store import open_storage
from newsdesk.store.sql import SqlStorage
from tests.loopback import BenchServer
from tests.test_store import draft, insert, ok_update

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_claim_is_exclusive_until_it_runs_out(storage: SqlStorage) -> None:
    assert storage.claim("page", ["a", "b"], "one", NOW, 60) == ["a", "b"]
    assert storage.claim("page", ["b", "c"], "two", NOW, 60) == ["c"]  # b is one's
    assert storage.claim("page", ["a"], "one", NOW + timedelta(seconds=30), 60) == ["a"]  # extended to +90 s
    assert storage.claim("page", ["a", "b"], "two", NOW + timedelta(seconds=61), 60) == ["b"]  # b ran out, a did not
    assert storage.claim("source", ["a"], "two", NOW, 600) == ["a"]  # kinds are separate
    storage.release("one")
    assert storage.claim("page", ["a"], "two", NOW + timedelta(seconds=62), 60) == ["a"]
    storage.release("two", "source")  # only its sources: its pages stay held
    assert storage.claim("page", ["a", "b", "c"], "three", NOW + timedelta(seconds=62), 60) == ["c"]  # c ran out
    assert storage.claim("source", ["a"], "three", NOW + timedelta(seconds=62), 60) == ["a"]
    storage.release("two")
    assert storage.claim("page", ["a", "b"], "three", NOW + timedelta(seconds=62), 60) == ["a", "b"]


def test_pending_pages_leave_out_what_another_holds(storage: SqlStorage) -> None:
    s = storage.add_source("https://example.com/feed", now=NOW)
    drafts = [draft(s.id, guid) for guid in "abc"]
    storage.apply_feed_updates([ok_update(s.id, *drafts)], [insert(d) for d in drafts], NOW)
    ids = sorted(p.article_id for p in storage.pending_pages(10))
    storage.claim("page", ids[:2], "other", NOW, 60)
    mine = storage.pending_pages(10, holder="me", now=NOW)
    assert [p.article_id for p in mine] == [ids[2]] and len(ids) == 3
    assert len(storage.pending_pages(10, holder="other", now=NOW)) == 3  # one's own claims are offered
    assert len(storage.pending_pages(10, holder="me", now=NOW + timedelta(seconds=61))) == 3  # ran out


def test_claims_racing_from_many_threads_give_each_key_to_one(storage: SqlStorage) -> None:
    keys = [f"k{i}" for i in range(200)]
    won: dict[str, list[str]] = {}

    def claim(holder: str) -> None:
        won[holder] = storage.claim("page", keys, holder, NOW, 60)

    threads = [threading.Thread(target=claim, args=(f"h{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    claimed = [k for got in won.values() for k in got]
    assert sorted(claimed) == sorted(keys)  # every key to exactly one holder


@pytest.mark.slow
def test_two_updates_at_once_do_the_work_once(tmp_path: Path) -> None:
    """``serve``'s scheduler and a CLI ``update`` on one database used to fetch and enrich everything twice."""
    env = {**os.environ, "NEWSDESK_ALLOW_PRIVATE_NETWORKS": "1", "NEWSDESK_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "newsdesk"]
    with BenchServer(tmp_path / "corpus", feeds=12) as srv:
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        opml = tmp_path / "feeds.opml"
        outlines = "".join(f'<outline type="rss" xmlUrl="{u}"/>' for u in srv.feed_urls)
        opml.write_text(f'<opml version="2.0"><body>{outlines}</body></opml>')
        subprocess.run([*cli, "sources", "import", str(opml)], env=env, check=True, capture_output=True)
        runs = [
            subprocess.Popen([*cli, "update", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        reports = []
        for run in runs:
            out, err = run.communicate(timeout=600)
            assert run.returncode == 0, err.decode()[-2000:]
            reports.append(json.loads(out))
        served = srv.stats()
    assert served["feed_requests"] == len(srv.feed_urls)  # each feed fetched by one process
    assert sum(r["sources_checked"] for r in reports) == len(srv.feed_urls)
    pages = sum(r["pages_fetched"] + r["pages_failed"] for r in reports)
    assert served["articles"] == pages  # no page fetched twice
    stats = json.loads(subprocess.run([*cli, "stats", "--json"], env=env, capture_output=True, check=True).stdout)
    assert stats["pending_pages"] == 0
    primaries = stats["articles"] - stats["duplicates"]
    assert sum(r["articles_enriched"] for r in reports) == primaries  # each article enriched once


def test_the_claims_of_a_killed_process_of_this_machine_are_free_at_once(storage: SqlStorage) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = f"{socket.gethostname()}:{dead.pid}:abcd"
    elsewhere = f"another-host:{dead.pid}:abcd"
    assert storage.claim("source", ["1"], killed, NOW, 900) == ["1"]
    assert storage.claim("source", ["2"], elsewhere, NOW, 900) == ["2"]
    assert storage.claim("source", ["1", "2"], "me", NOW, 900) == ["1"]  # another machine's claim must run out


def test_a_stopped_pass_stops_waiting_for_another_process_s_enrichment(settings: Settings, tmp_path: Path) -> None:
    from newsdesk.tasks.enrich import ENRICH_LEASE

    with make_newsdesk(settings, storage=open_storage(f"sqlite:///{tmp_path / 'db.sqlite'}")) as desk:
        other = "another-host:1:abcd"  # alive as far as this machine can tell
        assert desk.storage.claim("enrich", [ENRICH_LEASE], other, desk.clock(), 600) == [ENRICH_LEASE]
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        report = desk.enrich(stop=stop)
        assert time.monotonic() - started < 5 and report.articles == 0
        # the other process still holds it: the stopped run took nothing
        assert desk.storage.claim("enrich", [ENRICH_LEASE], "third", desk.clock(), 600) == []
