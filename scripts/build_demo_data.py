"""Build the offline demo corpus in ``src/newsdesk/demo/data/`` from two licence-clean news sets.

Run from the repository root (the datasets live beside the checkout)::

    .venv/bin/python scripts/build_demo_data.py [--shared PATH]

Inputs (``demo-news/README.md`` gives their provenance and licences):

* ``demo-news/itn-multilingual-2022-2023.jsonl`` — Wikipedia "In the news" blurbs from 55 language
  editions, grouped by event (CC BY-SA 3.0, "Wikipedia contributors"). Kept: the events covered by
  at least ``MIN_EDITIONS`` editions, each cut to its busiest ``EVENT_WINDOW`` (a few timestamps
  upstream are years off), one blurb per edition and linked page (later blurbs of one edition are
  edits of the same item; the first is kept), and only blurbs long enough to read as a sentence.
* ``demo-news/wikinews-en-2019-2020.jsonl`` — full-text English Wikinews, 2019–2020 (CC BY 2.5,
  "Wikinews contributors"). Kept: every article of up to ``MAX_WIKINEWS_WORDS`` words (the
  long interviews and the test pages go); follow-up articles are tied into threads by
  ``WIKINEWS_THREADS``, so the demo can keep their order and spacing.

Outputs: ``articles.jsonl.gz`` (one article a line, with its original URL, licence and
attribution) and ``ATTRIBUTION.md`` (licences per set and a link to every article).
Both are byte-for-byte deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
OUT_DIR = REPO / "src" / "newsdesk" / "demo" / "data"
ARTICLES_FILE = "articles.jsonl.gz"
ITN_FILE = "itn-multilingual-2022-2023.jsonl"
WIKINEWS_FILE = "wikinews-en-2019-2020.jsonl"

MIN_EDITIONS = 6  # an event enters the demo when this many of the kept editions carried it
# newsdesk's tagger loads simplemma's dictionary of each language it meets, once per process, at
# 1.5–3.5 s of CPU each: sixteen of them made the demo's first enrichment take minutes. So of the
# editions simplemma lemmatizes, only these five; every edition it does not know is kept.
LEMMATIZED_EDITIONS = frozenset({"en", "fr", "ru", "pt", "id"})
EVENT_WINDOW = timedelta(hours=60)  # an event's busiest stretch: it stays inside newsdesk's 72 h story window
MIN_BLURB_ALNUM = 45  # newsdesk's extractor wants 40 letters or digits; shorter blurbs would read as empty pages
MAX_WIKINEWS_WORDS = 2500

# Follow-up Wikinews articles, by title: (thread, pattern). The first matching thread wins.
WIKINEWS_THREADS: tuple[tuple[str, str], ...] = (
    ("iran-january-2020", r"Soleimani|Iraqi Parliament votes for expulsion|Iran admits downing"),
    ("covid-19", r"coronavirus|COVID-19|SARS-CoV-2"),
    ("us-election-2020", r"2020 (US|U\.S\.|United States) |presidential bid|Super Tuesday|running mate|"
     r"president-elect|Biden-Trump debate|presidential transition|Bernie Sanders|Joe Biden"),
    ("hong-kong-protests", r"Hong Kong"),
    ("brexit-prorogation", r"Brexit|suspends? (UK )?[Pp]arliament|prorogation"),
    ("puerto-rico-governor", r"Puerto Rico.*[Gg]overnor|Rosselló"),
    ("trump-impeachment", r"impeach"),
    ("navalny", r"Navalny"),
    ("atlantic-hurricanes-2019", r"Hurricane (Dorian|Humberto)"),
    ("samoa-measles", r"Samoa.*measles|measles.*Samoa"),
    ("youtube-dl", r"youtube-dl"),
    ("centos", r"CentOS|Rocky Linux"),
    ("sunshine-coast-rugby", r"Sunshine Coast Rugby"),
    ("campaign-trail", r"On the campaign trail"),
    ("groom-by-election", r"Groom by-election"),
)  # fmt: skip


def clean_text(text: str) -> str:
    """One block of text with runs of white space folded and Unicode composed."""
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip())


def short_id(prefix: str, key: str) -> str:
    return f"{prefix}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def utc_iso(text: str) -> str:
    """An ISO date or date-time as UTC ISO text (a bare date becomes noon: Wikinews gives days only)."""
    when = datetime.fromisoformat(text if "T" in text else text + "T12:00:00+00:00")
    return when.isoformat().replace("+00:00", "Z")


def busiest_stretch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows (sorted by time) inside the ``EVENT_WINDOW`` that holds the most of them."""
    times = [datetime.fromisoformat(r["published"]) for r in rows]
    best, start = 0, 0
    for i, t in enumerate(times):
        n = sum(1 for u in times[i:] if u - t <= EVENT_WINDOW)
        if n > best:
            best, start = n, i
    return [r for r, t in zip(rows, times, strict=True) if times[start] <= t <= times[start] + EVENT_WINDOW]


def kept_edition(language: str) -> bool:
    """Is this Wikipedia edition in the demo (see ``LEMMATIZED_EDITIONS``)?"""
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return language in LEMMATIZED_EDITIONS or language.split("-", maxsplit=1)[0] not in SUPPORTED_LANGUAGES


def load_itn(path: Path) -> list[dict[str, Any]]:
    """The "In the news" blurbs of the events most editions carried, one per edition and linked page."""
    by_event: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row["text"] = clean_text(row["text"])
        if sum(ch.isalnum() for ch in row["text"]) >= MIN_BLURB_ALNUM and kept_edition(row["language"]):
            by_event[row["event"]].append(row)
    events: list[tuple[int, str, list[dict[str, Any]]]] = []
    for event, rows in by_event.items():
        rows.sort(key=lambda r: (r["published"], r["language"], r["text"]))
        kept, seen = [], set()
        for row in busiest_stretch(rows):
            if (row["language"], row["url"]) not in seen:
                seen.add((row["language"], row["url"]))
                kept.append(row)
        editions = len({r["language"] for r in kept})
        if editions >= MIN_EDITIONS:
            events.append((editions, event, kept))
    events.sort(key=lambda e: (-e[0], e[1]))
    articles, used_urls = [], set()
    for _editions, event, rows in events:
        for row in rows:
            if row["url"] in used_urls:  # the page a blurb links is its address: one blurb per address
                continue
            used_urls.add(row["url"])
            articles.append(
                {
                    "id": short_id("itn", f"{row['language']}\x1f{row['published']}\x1f{row['text']}"),
                    "collection": "itn",
                    "event": event,
                    "title": row["text"],
                    "kicker": clean_text(row["keyword"]),
                    "language": row["language"],
                    "published": utc_iso(row["published"]),
                    "url": row["url"],
                    "license": row["license"],
                    "attribution": f"Wikipedia contributors ({row['language']}.wikipedia.org, In the news)",
                    "blocks": [["p", row["text"]]],
                }
            )
    return articles


def wikinews_thread(title: str) -> str | None:
    for thread, pattern in WIKINEWS_THREADS:
        if re.search(pattern, title):
            return thread
    return None


def load_wikinews(path: Path) -> list[dict[str, Any]]:
    """The Wikinews articles of a readable length, with their follow-up thread."""
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        blocks = [["p", clean_text(p)] for p in row["text"].split("\n\n") if clean_text(p)]
        words = sum(len(text.split()) for _, text in blocks)
        if row["title"].startswith("TEST PAGE") or not 100 <= words <= MAX_WIKINEWS_WORDS:
            continue
        title = clean_text(row["title"])
        articles.append(
            {
                "id": short_id("wn", row["url"]),
                "collection": "wikinews",
                "event": wikinews_thread(title),
                "title": title,
                "kicker": None,
                "language": "en",
                "published": utc_iso(row["published"]),
                "url": row["url"],
                "license": row["license"],
                "attribution": "Wikinews contributors (en.wikinews.org)",
                "blocks": blocks,
            }
        )
    articles.sort(key=lambda a: (a["published"], a["id"]))
    return articles


ATTRIBUTION_HEAD = """# Demo news: attribution

`newsdesk demo` serves the articles of `{file}` from a local demo site, with their publication
dates shifted into the last few days (each page states its original date and links its original
address). Built by `scripts/build_demo_data.py` from the two sets below; whitespace was folded,
nothing else changed. {total} articles.

## Wikipedia "In the news" blurbs, 2022–2023 ({itn} blurbs, {editions} language editions, {events} events)

- Text: Wikipedia contributors, the "In the news" section of the Main Page of each language
  edition (xx.wikipedia.org). Collected by the ITN-corpus project
  (https://github.com/shizhao/ITN-corpus, commit b6fb9b7, `corpus/corpus.json`, HTML stripped).
- Licence: Creative Commons Attribution-ShareAlike 3.0,
  https://creativecommons.org/licenses/by-sa/3.0/. This selection is a derivative of that corpus
  and is itself distributed under CC BY-SA 3.0 — the ShareAlike terms apply to it whatever
  licence covers the rest of newsdesk.
- A blurb has no page of its own: its link below is the Wikipedia article the blurb links to,
  and the demo site's page for it names that address as the original.

## Wikinews (English), 2019–2020 ({wikinews} articles)

- Text: Wikinews contributors, https://en.wikinews.org. Collected by
  https://github.com/vanatteveldt/wikinews (commit 3472541, `data/wikinews_2019.csv` and
  `data/wikinews_2020.csv`; the dateline paragraph dropped).
- Licence: Creative Commons Attribution 2.5, https://creativecommons.org/licenses/by/2.5/.
  (Public domain applies only to Wikinews articles published before 25 September 2005; none here.)

## Articles

Title (for a blurb, its text), original address, original date (UTC), licence.
"""


def attribution_markdown(itn: list[dict[str, Any]], wikinews: list[dict[str, Any]]) -> str:
    """The licence notice shipped with the data: per-set provenance, then one line and link per article."""
    lines = [
        ATTRIBUTION_HEAD.format(
            file=ARTICLES_FILE,
            total=len(itn) + len(wikinews),
            itn=len(itn),
            editions=len({a["language"] for a in itn}),
            events=len({a["event"] for a in itn}),
            wikinews=len(wikinews),
        )
    ]
    for heading, rows in (('### Wikipedia "In the news" (CC BY-SA 3.0)', itn), ("### Wikinews (CC BY 2.5)", wikinews)):
        lines += [heading, ""]
        for a in rows:
            title = a["title"].replace("[", "(").replace("]", ")")
            lines.append(f"- [{title}]({a['url']}) — {a['attribution']}, {a['published'][:16]}Z; {a['license']}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data directory")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    itn = load_itn(args.shared / "demo-news" / ITN_FILE)
    wikinews = load_wikinews(args.shared / "demo-news" / WIKINEWS_FILE)
    articles = itn + wikinews
    lines = "".join(json.dumps(a, ensure_ascii=False, sort_keys=True) + "\n" for a in articles)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ARTICLES_FILE).write_bytes(gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0))
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(itn, wikinews), encoding="utf-8")
    size = (args.out / ARTICLES_FILE).stat().st_size
    threads = sorted({a["event"] for a in wikinews if a["event"]})
    print(
        f"wrote {args.out / ARTICLES_FILE}: {len(itn)} blurbs ({len({a['event'] for a in itn})} events, "
        f"{len({a['language'] for a in itn})} editions), {len(wikinews)} Wikinews articles "
        f"({len(threads)} threads), {size} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
