"""Build the offline demo corpus in ``src/newsdesk/demo/data/`` from two Wikinews datasets.

Run from the repository root (the datasets live beside the checkout)::

    .venv/bin/python scripts/build_demo_data.py [--shared PATH]

Inputs (read their READMEs for provenance):

* ``demo-news/wikinews-en-2004.jsonl`` — 93 English Wikinews articles, Nov 2004 – Jan 2005
  (public domain before 25 Sep 2005, otherwise CC BY 2.5). Its text came out of
  wikitext with regexes, so leftovers (``{archive``, ``'''bold'''``, HTML
  entities, hard line wraps, lone datelines) are cleaned here.
* ``wikinews-fr-keyphrases/documents/*.html`` — 100 French Wikinews articles from 2012
  (CC BY 2.5). Title, sub-headings, paragraphs and list items are extracted with
  lxml; the date comes from the Wikinews dateline (``22 mai 2012. - …``); the URL
  is rebuilt from the title the way MediaWiki names pages.

Outputs: ``articles.jsonl.gz`` (one article a line, with its original URL, licence
and attribution) and ``ATTRIBUTION.md`` (licence notice and a link to every
article). Both are byte-for-byte deterministic.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lxml.html

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
OUT_DIR = REPO / "src" / "newsdesk" / "demo" / "data"
ARTICLES_FILE = "articles.jsonl.gz"

FR_MONTHS = {
    m: i + 1
    for i, m in enumerate(["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                           "octobre", "novembre", "décembre"])
}  # fmt: skip
FR_DATELINE = re.compile(r"^(\d{1,2})(?:er)? (" + "|".join(FR_MONTHS) + r") (\d{4})\b")
# Title prefixes ("France : …") that put a French article in the "France" section; the rest is "Monde".
FR_FRANCE = {"France", "Corse", "Guyane", "Vendée Globe", "Météo du 19 août 2012", "Météo du 31 octobre 2012"}
EN_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
EN_JUNK = re.compile(
    r"^(?:\{.*|\|.*|!--.*|\[[^\]]*|-{3,}|_*NOTOC_*|ww\.\S+|[a-z]{2}:\S.*|\S*byline\|.*"
    rf"|(?:{EN_MONTHS}) \d{{1,2}}(?:, \d{{4}})?|(?:{EN_MONTHS}) \d{{4}})$"
)


def clean_text(text: str) -> str:
    """Normalise one block of text: entities, soft hyphens, wiki emphasis, runs of spaces."""
    text = html.unescape(text).replace("\u00ad", "").replace("\u00a0", " ")
    text = re.sub(r"'{2,}", "", text)  # wikitext ''italic'' and '''bold'''
    text = re.sub(r"\[\d+\]", "", text)  # footnote markers whose notes were not kept
    text = re.sub(r"\s+", " ", text).strip()
    return unicodedata.normalize("NFC", text)


def en_blocks(text: str) -> list[list[str]]:
    """Split the English wikitext dump into clean paragraph (and ``* item``) blocks.

    A line break inside a paragraph is a hard wrap unless the line ends a
    sentence; lines indented with ``:`` are quotes and stay separate. Lone
    wiki leftovers (templates, tables, interwiki links, bare datelines) go.
    """
    out: list[list[str]] = []
    for para in text.split("\n\n"):
        lines: list[str] = []
        for raw in para.split("\n"):
            line = raw.strip().lstrip(":").strip()
            if lines and not re.search(r"[.!?:\"'”»]$", lines[-1]) and not line.startswith("-"):
                lines[-1] += " " + line
            else:
                lines.append(line)
        for line in map(clean_text, lines):
            if line and not EN_JUNK.match(line):
                out.append(["li", line[1:].strip()] if line.startswith("* ") else ["p", line])
    return out


def load_english(path: Path) -> list[dict[str, Any]]:
    """Read the English corpus, keep its metadata, store clean paragraph blocks."""
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        blocks = en_blocks(row["text"])
        if not blocks:
            raise SystemExit(f"{row['id']}: no text left after cleaning")
        articles.append(
            {
                "id": row["id"],
                "title": clean_text(row["title"]),
                "language": "en",
                "section": row["section"],
                "published": row["published"],
                "url": row["url"],
                "license": row["license"],
                "attribution": row["attribution"],
                "categories": row["categories"],
                "blocks": blocks,
            }
        )
    return articles


def fr_blocks(doc: Any) -> list[list[str]]:
    """Sub-headings, paragraphs and list items of a French page body, in order."""
    blocks: list[list[str]] = []
    for el in doc.body.iter("h2", "p", "li"):
        text = clean_text(el.text_content())
        if text:
            blocks.append([el.tag, text])
    return blocks


def fr_date(blocks: list[list[str]]) -> str | None:
    """The date of the Wikinews dateline that opens the first paragraph, as ISO text."""
    first = next((text for tag, text in blocks if tag == "p"), "")
    m = FR_DATELINE.match(first)
    if not m:
        return None
    return date(int(m[3]), FR_MONTHS[m[2]], int(m[1])).isoformat()


def fr_url(title: str) -> str:
    """The fr.wikinews.org page URL for a title (MediaWiki: spaces become underscores)."""
    return "https://fr.wikinews.org/wiki/" + quote(title.replace(" ", "_"), safe=":'(),!*-._~")


def load_french(directory: Path) -> list[dict[str, Any]]:
    """Extract the 100 French pages, ordered by page id (the order they were written)."""
    articles = []
    for page in sorted(directory.glob("*.html"), key=lambda p: int(p.stem)):
        doc = lxml.html.fromstring(page.read_bytes())
        title = clean_text(doc.findtext(".//h1") or doc.findtext(".//title") or "")
        blocks = fr_blocks(doc)
        prefix = title.split(" : ", 1)[0] if " : " in title else None
        articles.append(
            {
                "id": f"frwn-{page.stem}",
                "title": title,
                "language": "fr",
                "section": "France" if prefix in FR_FRANCE else "Monde",
                "published": fr_date(blocks),
                "url": fr_url(title),
                "license": "CC BY 2.5",
                "attribution": f"Wikinews contributors, « {title} », Wikinews en français",
                "categories": [prefix] if prefix else [],
                "blocks": blocks,
            }
        )
    return articles


def attribution_markdown(articles: list[dict[str, Any]]) -> str:
    """The licence notice shipped with the data: one line and link per article (CC BY asks for it)."""
    lines = [
        "# Demo news: attribution",
        "",
        "Source: Wikinews (en.wikinews.org / fr.wikinews.org), contributors of each article; "
        "CC BY 2.5 / public domain.",
        "",
        "The demo site serves these articles with their publication dates shifted into the recent past;",
        "every page states the original date and links the original article. The texts were cleaned",
        f"(wiki markup, line wraps) by `scripts/build_demo_data.py`; {len(articles)} articles in `{ARTICLES_FILE}`.",
        "",
        "- English Wikinews, Nov 2004 – Jan 2005: articles published before 25 Sep 2005 are in the public",
        "  domain; the others are under CC BY 2.5 (https://creativecommons.org/licenses/by/2.5/).",
        "- Wikinews en français, May – Dec 2012: CC BY 2.5, « Wikinews contributors ».",
        "",
        "## Articles",
        "",
    ]
    for a in articles:
        when = a["published"] or "date unknown"
        lines.append(f"- [{a['title']}]({a['url']}) — Wikinews contributors, {when}; {a['license']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data directory")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    articles = load_english(args.shared / "demo-news" / "wikinews-en-2004.jsonl")
    articles += load_french(args.shared / "wikinews-fr-keyphrases" / "documents")
    lines = "".join(json.dumps(a, ensure_ascii=False, sort_keys=True) + "\n" for a in articles)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / ARTICLES_FILE).write_bytes(gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0))
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(articles), encoding="utf-8")
    size = (args.out / ARTICLES_FILE).stat().st_size
    print(f"wrote {args.out / ARTICLES_FILE} ({len(articles)} articles, {size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
