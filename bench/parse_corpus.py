"""Feed parser benchmark and agreement check.

Two figures, both printed by ``python bench/parse_corpus.py``:

* **speed**: :func:`newsdesk.pipeline.feed.parse.parse_feed` (parse + sanitize +
  normalize) against bare ``fastfeedparser.parse`` over the shared generated
  corpus (1000 feeds, 34,541 entries), in the same process, best of N runs;
* **agreement** with feedparser, the oracle, on the well-formed documents of
  feedparser's own test suite: feed title, entry count and each entry's id,
  link and title (see :func:`compare`), plus the check that nothing but
  ``ParseError`` escapes ``parse_feed`` on every document of the corpus.

``tests/test_parse_corpus.py`` imports this module and pins the agreement floor.
"""

from __future__ import annotations

import argparse
import gc
import io
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import fastfeedparser
import feedparser

from newsdesk.errors import ParseError
from newsdesk.model import ParsedFeed
from newsdesk.pipeline.feed.parse import parse_feed
from newsdesk.pipeline.sanitize import text_line

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
FEEDPARSER_TESTS = SHARED_DATA / "feed-parser-corpus" / "feedparser-tests"
TRAFILATURA_FEEDS = SHARED_DATA / "feed-parser-corpus" / "trafilatura-resources"
BASE_URL = "http://127.0.0.1:8097/"  # where feedparser's own test server puts the documents


# --- robustness: only ParseError may escape ------------------------------------------


def corpus_documents(root: Path = SHARED_DATA) -> list[Path]:
    """Every feed document of the parser corpus: feedparser's tests (XML and JSON) and trafilatura's."""
    corpus = root / "feed-parser-corpus"
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in {".xml", ".json", ".rss", ".atom"})


def escaped_exceptions(paths: list[Path]) -> list[tuple[Path, BaseException]]:
    """Documents on which parse_feed raised anything but ParseError."""
    escaped: list[tuple[Path, BaseException]] = []
    for path in paths:
        try:
            parse_feed(path.read_bytes(), _url_of(path), None)
        except ParseError:
            pass
        except Exception as exc:
            escaped.append((path, exc))
    return escaped


# --- agreement with feedparser ------------------------------------------------------------


@dataclass
class Agreement:
    """How often parse_feed agrees with feedparser on well-formed documents."""

    documents: int = 0
    agreed: int = 0
    by_field: Counter[str] = field(default_factory=Counter)  # field -> documents disagreeing on it
    examples: dict[str, list[str]] = field(default_factory=dict)  # field -> a few file names

    @property
    def rate(self) -> float:
        return self.agreed / self.documents if self.documents else 0.0


def wellformed_oracle_documents(root: Path = FEEDPARSER_TESTS) -> Iterator[tuple[Path, bytes, Any]]:
    """(path, bytes, feedparser result) for ``wellformed/`` documents that feedparser
    reads without complaint and finds entries or a title in."""
    for path in sorted((root / "wellformed").rglob("*.xml")):
        body = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            headers = {"content-location": _url_of(path), "content-type": "application/xml"}
            oracle = feedparser.parse(io.BytesIO(body), response_headers=headers)
        if oracle.get("bozo"):
            continue
        if oracle.get("entries") or oracle.get("feed", {}).get("title"):
            yield path, body, oracle


def measure_agreement(root: Path = FEEDPARSER_TESTS) -> Agreement:
    result = Agreement()
    for path, body, oracle in wellformed_oracle_documents(root):
        result.documents += 1
        try:
            ours: ParsedFeed | None = parse_feed(body, _url_of(path), None)
        except ParseError:
            ours = None
        differing = compare(ours, oracle, _url_of(path))
        if not differing:
            result.agreed += 1
        for name in differing:
            result.by_field[name] += 1
            examples = result.examples.setdefault(name, [])
            if len(examples) < 8:
                examples.append(str(path.relative_to(root)))
    return result


def compare(ours: ParsedFeed | None, oracle: Any, url: str) -> list[str]:
    """Names of the fields on which ``ours`` disagrees with feedparser's result.

    "Agree" means, after whitespace normalization: the same feed title and
    entry titles as plain text (tags stripped, entities decoded: newsdesk
    stores titles as text, feedparser keeps some as HTML); the same number of
    entries; per entry, the same link once both go through newsdesk's URL
    policy (absolute, http(s) only), and the same identity, where an entry's
    identity is its id, else its link (newsdesk falls back to the link the
    same way when it stores entries), and feedparser's habit of resolving
    ids as relative URIs against the document's base is allowed for.
    """
    if ours is None:
        return ["parsed"]
    differing: list[str] = []
    if _their_text(oracle.feed, "title") != _our_text(ours.title):
        differing.append("feed title")
    entries = oracle.get("entries") or []
    if len(entries) != len(ours.entries):
        return [*differing, "entry count"]
    for theirs, mine in zip(entries, ours.entries, strict=True):
        if _their_text(theirs, "title") != _our_text(mine.title):
            differing.append("entry title")
        their_link = _link(theirs.get("link"), url)
        if their_link != mine.url:
            differing.append("entry link")
        if not _same_id(theirs, their_link, mine.guid or mine.url, url):
            differing.append("entry id")
    return sorted(set(differing))


def _their_text(node: Any, key: str) -> str:
    """feedparser's value as plain text: its titles are HTML unless typed text/plain."""
    value = node.get(key)
    if not isinstance(value, str):
        return ""
    if (node.get(f"{key}_detail") or {}).get("type") == "text/plain":
        return " ".join(value.split())
    return text_line(value)


def _our_text(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _link(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    resolved = urljoin(base, value.strip())
    return resolved if resolved.startswith(("http://", "https://")) else None


def _same_id(theirs: Any, their_link: str | None, mine: str | None, url: str) -> bool:
    their_id = (theirs.get("id") or "").strip() or their_link
    if their_id == mine:
        return True
    if not their_id or not mine:
        return False
    bases = {url} | {str(d["base"]) for d in theirs.values() if isinstance(d, dict) and d.get("base")}
    return any(urljoin(base, mine) == their_id for base in bases)


# --- speed ---------------------------------------------------------------------------------


@dataclass
class Speed:
    """Best-of-N seconds; CPU time of this process is the steadier figure on a shared machine."""

    feeds: int
    entries: int
    parse_feed_s: float
    fastfeedparser_s: float
    parse_feed_cpu_s: float
    fastfeedparser_cpu_s: float

    @property
    def ratio(self) -> float:
        return self.parse_feed_cpu_s / self.fastfeedparser_cpu_s


def measure_speed(corpus: Path, repeat: int = 3) -> Speed:
    """Best of ``repeat`` runs of each, alternating, results dropped as a pipeline would."""
    documents = [
        (f"http://127.0.0.1:8765/feeds/{p.name}", p.read_bytes()) for p in sorted((corpus / "feeds").iterdir())
    ]

    def ours() -> int:
        return sum(len(parse_feed(body, url, "application/xml").entries) for url, body in documents)

    def bare() -> int:
        return sum(len(fastfeedparser.parse(body)["entries"]) for _url, body in documents)

    best = {ours: (float("inf"), float("inf")), bare: (float("inf"), float("inf"))}
    entries = 0
    for _ in range(repeat):
        for run in (ours, bare):
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            entries = run()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[run] = (min(best[run][0], wall), min(best[run][1], cpu))
    return Speed(len(documents), entries, best[ours][0], best[bare][0], best[ours][1], best[bare][1])


def ensure_corpus(corpus: Path, feeds: int) -> None:
    if not (corpus / "feeds").is_dir():
        generator = SHARED / "bench" / "corpus.py"
        subprocess.run([sys.executable, str(generator), "--feeds", str(feeds), "--out", str(corpus)], check=True)


def _url_of(path: Path) -> str:
    """The URL feedparser's test server gives a document (its path below ``feedparser-tests``)."""
    parts = path.parts
    if "feedparser-tests" in parts:
        return BASE_URL + "/".join(parts[parts.index("feedparser-tests") + 1 :])
    return BASE_URL + path.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(__file__).resolve().parents[1] / ".bench" / "corpus-1000-parse",
        help="generated corpus directory",
    )
    parser.add_argument("--feeds", type=int, default=1000, help="feeds to generate when the corpus is missing")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    ensure_corpus(args.corpus, args.feeds)
    speed = measure_speed(args.corpus, args.repeat)
    print(
        f"speed: {speed.feeds} feeds / {speed.entries} entries, best of {args.repeat}: "
        f"parse_feed {speed.parse_feed_s:.3f} s wall ({speed.parse_feed_cpu_s:.3f} s CPU), "
        f"bare fastfeedparser.parse {speed.fastfeedparser_s:.3f} s wall ({speed.fastfeedparser_cpu_s:.3f} s CPU); "
        f"ratio {speed.ratio:.2f}x CPU; {speed.entries / speed.parse_feed_cpu_s:,.0f} entries/s parsed and sanitized"
    )
    documents = corpus_documents()
    escaped = escaped_exceptions(documents)
    print(f"robustness: {len(documents)} corpus documents, {len(escaped)} raised something other than ParseError")
    for path, exc in escaped[:10]:
        print(f"  {path}: {type(exc).__name__}: {exc}")
    agreement = measure_agreement()
    print(f"agreement with feedparser: {agreement.agreed}/{agreement.documents} = {agreement.rate:.2%}")
    for name, count in agreement.by_field.most_common():
        print(f"  {name}: {count} documents, e.g. {', '.join(agreement.examples[name][:4])}")


if __name__ == "__main__":
    main()
