"""The bundled source catalog: ready-made lists of news feeds per topic, region and city.

A new user should not have to hunt for feed URLs before newsdesk shows anything,
so the package ships Kagi News' community-curated ``kite_feeds.json`` (MIT,
Copyright (c) 2024 Kagi Search), compacted by ``scripts/build_catalog.py`` into
``catalog/data/kite_feeds.json.gz``. This module only reads that file: it is pure
(no I/O beyond the package data, no network) and imports nothing of newsdesk but
:mod:`newsdesk.errors`, so any layer above may use it.

Categories are addressed by a *slug* (``world``, ``usa-texas``), by their exact
name (``USA | Texas``) or by a localized display name (``Frankreich``), all
case-insensitively; :func:`find` suggests close matches when nothing fits.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

from newsdesk.errors import NotFoundError

__all__ = ["ATTRIBUTION", "DATA_FILE", "CatalogCategory", "categories", "feeds", "find", "slugify"]

Kind = Literal["topic", "region", "city", "group"]

# Umbrella groups newsdesk adds on top of Kagi's categories, so that the obvious
# first guesses work: ``--catalog world`` subscribes to world news from every continent.
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "world": ("World", ("diplomacy", "africa", "asia", "europe", "middle-east", "caribbean")),
    "technology": ("Technology", ("ai", "computer-science", "cybersecurity", "linux-oss", "cloud-computing")),
    "science": ("Science", ("space", "quantum-physics", "medicine", "psychology", "photonics")),
    "business": ("Business", ("economy", "retail", "energy", "cryptocurrency")),
    "sports": ("Sports", ("soccer", "nba", "nfl", "mlb", "nhl", "formula-1", "cycling")),
}

DATA_FILE = "kite_feeds.json.gz"

ATTRIBUTION = (
    "Feed catalog: kite_feeds.json from Kagi News (https://github.com/kagisearch/kite-public), "
    "MIT License, Copyright (c) 2024 Kagi Search."
)


@dataclass(frozen=True, slots=True)
class CatalogCategory:
    """One catalog entry: a named list of feeds about a topic, region or city.

    ``display_names`` maps a language code (``de``, ``zh-Hans``, …) to the
    localized name, so interfaces can show the catalog in the user's language.
    ``feed_count`` counts distinct feed URLs.
    """

    slug: str
    name: str
    kind: Kind
    language: str
    display_names: dict[str, str]
    feed_count: int


def slugify(name: str) -> str:
    """A stable, URL- and CLI-friendly key for a category name (``USA | Texas`` → ``usa-texas``).

    Accents are folded to ASCII and dots dropped (``U.S. Soccer`` → ``us-soccer``)
    so users can type slugs on any keyboard; the build script uses this same
    function, so the shipped slugs and :func:`find`'s normalisation never drift.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = folded.lower().replace(".", "").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


@dataclass(frozen=True, slots=True)
class _Catalog:
    """The loaded data file: categories in name order and their feed lists by slug."""

    categories: tuple[CatalogCategory, ...]
    feeds: dict[str, tuple[str, ...]]


@functools.cache
def _catalog() -> _Catalog:
    """Read and index the data file once per process (it is ~150 KB compressed)."""
    raw = resources.files(__package__).joinpath("data", DATA_FILE).read_bytes()
    doc = cast(dict[str, Any], json.loads(gzip.decompress(raw)))
    cats: list[CatalogCategory] = []
    feed_lists: dict[str, tuple[str, ...]] = {}
    for item in doc["categories"]:
        urls = tuple(dict.fromkeys(item["feeds"]))  # dedup, keep order (the build did too)
        cats.append(
            CatalogCategory(
                slug=item["slug"],
                name=item["name"],
                kind=item["kind"],
                language=item["language"],
                display_names=dict(item["display_names"]),
                feed_count=len(urls),
            )
        )
        feed_lists[item["slug"]] = urls
    for slug, (name, members) in GROUPS.items():
        urls = tuple(dict.fromkeys(u for m in members for u in feed_lists[m]))
        cats.append(CatalogCategory(slug, name, "group", "en", {"en": name}, len(urls)))
        feed_lists[slug] = urls
    cats.sort(key=lambda c: (c.name.casefold(), c.slug))
    return _Catalog(categories=tuple(cats), feeds=feed_lists)


def categories() -> list[CatalogCategory]:
    """Every catalog category, sorted by name (case-insensitive)."""
    return list(_catalog().categories)


def find(name_or_slug: str) -> CatalogCategory:
    """The category matching a slug, exact name or display name, case-insensitively.

    Raises :class:`NotFoundError` whose message lists the closest names, because
    the usual cause is a typo (``untied-kingdom``) or a guess (``world``) and the
    user needs to see what exists instead.
    """
    wanted = name_or_slug.strip()
    key, folded = slugify(wanted), wanted.casefold()
    cats = _catalog().categories
    for match in (
        lambda c: c.slug == folded or c.name.casefold() == folded,
        lambda c: c.slug == key,
        lambda c: any(n.casefold() == folded for n in c.display_names.values()),
    ):
        found = [c for c in cats if match(c)]
        if found:
            return found[0]
    raise NotFoundError(_not_found_message(wanted, cats))


def _not_found_message(wanted: str, cats: tuple[CatalogCategory, ...]) -> str:
    """Explain the miss and suggest up to five names that are close to what was typed."""
    by_key = {c.slug: c.name for c in cats} | {c.name.casefold(): c.name for c in cats}
    close = difflib.get_close_matches(wanted.casefold(), list(by_key), n=8, cutoff=0.6)
    close += difflib.get_close_matches(slugify(wanted), list(by_key), n=8, cutoff=0.6)
    key = slugify(wanted)
    close += [c.slug for c in cats if key and key in c.slug]  # "texas" → "USA | Texas"
    names = list(dict.fromkeys(by_key[k] for k in close))[:5]
    hint = f"; did you mean {', '.join(repr(n) for n in names)}?" if names else f"; none of the {len(cats)} is close"
    return f"no catalog category named {wanted!r}{hint}"


def feeds(category: CatalogCategory | str) -> list[str]:
    """The feed URLs of a category (given as object, slug or name), without duplicates, in catalog order."""
    cat = category if isinstance(category, CatalogCategory) else find(category)
    try:
        return list(_catalog().feeds[cat.slug])
    except KeyError:
        raise NotFoundError(f"no catalog category with slug {cat.slug!r}") from None
