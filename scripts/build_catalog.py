"""Build ``src/newsdesk/catalog/data/`` from Kagi News' ``kite_feeds.json``.

Run from the repository root (the source list lives beside the checkout)::

    .venv/bin/python scripts/build_catalog.py [--source PATH]

Writes ``kite_feeds.json.gz`` (compact JSON: slug, name, kind, language, display
names and de-duplicated feed URLs per category, plus the licence notice) and
``ATTRIBUTION.md`` with the MIT licence text the upstream licence asks us to
ship. The output is byte-for-byte deterministic (sorted keys, gzip mtime 0), so
rebuilding without upstream changes leaves ``git status`` clean.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from newsdesk.sources.catalog import ATTRIBUTION, DATA_FILE, slugify

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "news-feed-lists" / "kite-public" / "kite_feeds.json"
OUT_DIR = REPO / "src" / "newsdesk" / "catalog" / "data"
UPSTREAM = {
    "repository": "https://github.com/kagisearch/kite-public",
    "commit": "c4fc3b579c3bbdcce5277d1956347131283170e5",
    "path": "kite_feeds.json",
    "license": "MIT",
    "copyright": "Copyright (c) 2024 Kagi Search",
}
KINDS = ("topic", "region", "city")

MIT_TEXT = """\
MIT License

Copyright (c) 2024 Kagi Search

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def _absolute(url: str) -> str:
    """Give a scheme-less upstream URL (``opencv.org/feed``) the https:// a fetcher needs."""
    url = url.strip()
    return url if "://" in url else "https://" + url


def convert(source: dict[str, Any]) -> dict[str, Any]:
    """Turn the upstream mapping into the shipped document; fail loudly on surprises."""
    cats: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for name, item in source.items():
        slug = slugify(name)
        if not slug or slug in seen:
            raise SystemExit(f"slug {slug!r} of {name!r} is empty or clashes with {seen.get(slug)!r}")
        if item["category_type"] not in KINDS:
            raise SystemExit(f"unknown category_type {item['category_type']!r} in {name!r}")
        seen[slug] = name
        cats.append(
            {
                "slug": slug,
                "name": name,
                "kind": item["category_type"],
                "language": item["source_language"],
                "display_names": item.get("display_names") or {"en": name},
                "feeds": list(dict.fromkeys(_absolute(url) for url in item["feeds"] if url.strip())),
            }
        )
    cats.sort(key=lambda c: c["slug"])
    return {"attribution": ATTRIBUTION, "upstream": UPSTREAM, "categories": cats}


def attribution_markdown(doc: dict[str, Any]) -> str:
    """The notice shipped beside the data file (the MIT licence requires it)."""
    urls = [url for c in doc["categories"] for url in c["feeds"]]
    return (
        "# Feed catalog: attribution\n\n"
        f"`{DATA_FILE}` is derived from `kite_feeds.json` in Kagi News' public repository\n"
        f"{UPSTREAM['repository']} (commit `{UPSTREAM['commit']}`): {len(doc['categories'])} categories,\n"
        f"{len(urls)} feed URLs ({len(set(urls))} distinct). It was compacted (duplicate URLs within a\n"
        "category removed, slugs added) by `scripts/build_catalog.py`.\n\n"
        "The feeds themselves belong to their publishers; the catalog only lists their public URLs.\n\n"
        "## Licence of kite_feeds.json\n\n"
        "```\n" + MIT_TEXT + "```\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="path to kite_feeds.json")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    doc = convert(json.loads(args.source.read_text(encoding="utf-8")))
    payload = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / DATA_FILE).write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(doc), encoding="utf-8")
    size = (args.out / DATA_FILE).stat().st_size
    print(f"wrote {args.out / DATA_FILE} ({len(doc['categories'])} categories, {size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
