"""The primary of a group of exact copies is chosen by the copies, never by the order they arrived in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.core import make_newsdesk
from newsdesk.model import CopyOf, ExtractionStatus
from newsdesk.pipeline.primaries import elect_primaries
from newsdesk.store import open_storage
from newsdesk.tasks.update import run_update
from tests.loopback import BenchServer

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
S = ExtractionStatus


def copy(id: str, minutes: int | None, status: S, of: str | None = None, source: int = 1) -> CopyOf:
    published = None if minutes is None else T0 + timedelta(minutes=minutes)
    reason = f"duplicate of {of} (same text)" if of else None
    return CopyOf(id, source, published, status, reason, of)


def test_the_earliest_copy_becomes_the_primary() -> None:
    [swap] = elect_primaries([[copy("late", 30, S.PENDING), copy("early", 0, S.SKIPPED, of="late")]])
    assert (swap.old, swap.new) == ("late", "early")
    assert swap.new_status is S.PENDING and swap.old_status is S.SKIPPED
    assert swap.old_reason == "duplicate of early (same text)"


def test_ties_go_to_the_older_subscription_then_the_id() -> None:
    [swap] = elect_primaries([[copy("b", 0, S.FEED, source=2), copy("a", 0, S.SKIPPED, of="b", source=1)]])
    assert swap.new == "a"
    [swap] = elect_primaries([[copy("z", 0, S.FEED), copy("y", 0, S.SKIPPED, of="z")]])
    assert swap.new == "y"
    [swap] = elect_primaries([[copy("undated", None, S.FEED), copy("dated", 50, S.SKIPPED, of="undated")]])
    assert swap.new == "dated"


def test_a_primary_with_page_text_keeps_its_place_against_a_copy_without() -> None:
    assert elect_primaries([[copy("late", 30, S.EXTRACTED), copy("early", 0, S.SKIPPED, of="late")]]) == []
    [swap] = elect_primaries([[copy("late", 30, S.EXTRACTED), copy("early", 0, S.EXTRACTED, of="late")]])
    assert swap.new == "early" and swap.new_status is swap.old_status is S.EXTRACTED


def test_a_group_already_right_is_left_alone() -> None:
    assert elect_primaries([[copy("early", 0, S.PENDING), copy("late", 30, S.SKIPPED, of="early")]]) == []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BenchServer]:
    with BenchServer(tmp_path_factory.mktemp("corpus-copies"), feeds=30) as srv:
        yield srv


def _primaries_after_a_pass(server: BenchServer, settings: Settings, db: Path, reverse: bool) -> dict[str, str | None]:
    storage = open_storage(f"sqlite:///{db}")
    with make_newsdesk(settings, storage=storage) as desk:
        desk.add_many([(u, None, None) for u in server.feed_urls])  # the same subscriptions, in the same order
        sources = desk.sources()
        order = list(reversed(sources)) if reverse else sources  # …fetched and written in another order
        asyncio.run(
            run_update(
                storage,
                settings,
                order,
                new_fetcher=desk.adapters.new_fetcher,
                feeds_only=True,
                clock=desk.clock,
                holder=desk.holder,
            )
        )
        return {a.id: a.duplicate_of for a in desk.articles(limit=100_000, include_duplicates=True)}


def test_two_runs_in_different_orders_choose_the_same_primaries(
    server: BenchServer, settings: Settings, tmp_path: Path
) -> None:
    forward = _primaries_after_a_pass(server, settings, tmp_path / "a.db", reverse=False)
    backward = _primaries_after_a_pass(server, settings, tmp_path / "b.db", reverse=True)
    copies = sum(1 for v in forward.values() if v)
    assert copies >= 5, "the corpus should hold copies across feeds"
    assert forward == backward
