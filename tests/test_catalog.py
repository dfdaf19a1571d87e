"""The bundled feed catalog: counts, lookup by slug/name/display name, suggestions, attribution."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from newsdesk.errors import NotFoundError
from newsdesk.sources import catalog
from tests.conftest import REPO, SHARED_DATA, require_shared

DATA = resources.files("newsdesk.sources").joinpath("data")


def test_all_categories_are_shipped() -> None:
    cats = catalog.categories()
    kite = [c for c in cats if c.kind != "group"]
    assert len(kite) == 197
    assert Counter(c.kind for c in cats) == {"topic": 187, "region": 8, "city": 2, "group": len(catalog.GROUPS)}
    assert len({c.slug for c in cats}) == len(cats)
    assert [c.name.casefold() for c in cats] == sorted(c.name.casefold() for c in cats)
    assert sum(c.feed_count for c in kite) == 10_104


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("europe", "europe"),
        ("Europe", "europe"),
        ("usa-texas", "usa-texas"),
        ("USA | Texas", "usa-texas"),
        ("usa | texas", "usa-texas"),
        ("  USA texas ", "usa-texas"),
        ("U.S. Soccer", "us-soccer"),
        ("Germany | Baden-Württemberg", "germany-baden-wurttemberg"),
        ("Frankreich", "france"),  # German display name
    ],
)
def test_find_by_slug_name_or_display_name(query: str, slug: str) -> None:
    assert catalog.find(query).slug == slug


def test_find_returns_full_metadata() -> None:
    texas = catalog.find("usa-texas")
    assert (texas.name, texas.kind, texas.language) == ("USA | Texas", "region", "en")
    assert texas.display_names["fr"] == "États-Unis | Texas"
    assert texas.feed_count == len(catalog.feeds(texas)) > 0


def test_unknown_name_raises_with_suggestions() -> None:
    with pytest.raises(NotFoundError) as err:
        catalog.find("germny")
    assert "'Germany'" in str(err.value)
    with pytest.raises(NotFoundError, match="did you mean 'USA \\| Texas'"):
        catalog.find("texas")
    with pytest.raises(NotFoundError, match="no catalog category named 'wrld-news-xyz'"):
        catalog.find("wrld-news-xyz")


def test_groups_unite_kite_categories() -> None:
    world = catalog.find("world")  # the Kagi list has continents, newsdesk adds the umbrella
    assert world.kind == "group" and world.name == "World"
    urls = catalog.feeds(world)
    assert set(catalog.feeds("europe")) <= set(urls) and len(urls) == len(set(urls)) == world.feed_count


def test_feeds_are_deduplicated_in_order() -> None:
    for cat in catalog.categories():
        urls = catalog.feeds(cat)
        assert len(urls) == len(set(urls)) == cat.feed_count
        assert all(u.startswith(("http://", "https://")) for u in urls)
    assert catalog.feeds("usa-texas") == catalog.feeds(catalog.find("USA | Texas"))


def test_attribution_is_shipped() -> None:
    assert "Kagi" in catalog.ATTRIBUTION and "MIT" in catalog.ATTRIBUTION
    notice = DATA.joinpath("ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2024 Kagi Search" in notice and "Permission is hereby granted" in notice
    assert len(DATA.joinpath(catalog.DATA_FILE).read_bytes()) < 1_000_000


def test_build_is_deterministic(tmp_path: Path) -> None:
    source = require_shared(SHARED_DATA / "news-feed-lists" / "kite-public" / "kite_feeds.json")
    script = REPO / "scripts" / "build_catalog.py"
    subprocess.run([sys.executable, script, "--source", source, "--out", tmp_path], check=True, capture_output=True)
    for name in (catalog.DATA_FILE, "ATTRIBUTION.md"):
        assert (tmp_path / name).read_bytes() == DATA.joinpath(name).read_bytes(), name
