#!/usr/bin/env python3
"""Hostile input costs what ordinary input of the same size costs: sanitizing and OPML reading.

Each case is timed (CPU of this thread, best of ``--repeat``) against ordinary input of the same
size, measured in the same run, and printed as a ratio: a linear-time method keeps the ratio near
a constant whatever the size; a super-linear one grows it with the size (before the hardening,
``<ul><li>`` nested 20,000 deep took 10.9 s against milliseconds for flat markup).

  python bench/hostile.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from newsdesk.pipeline.sanitize import sanitize_html
from newsdesk.sources.opml import parse_opml


def cpu(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        fn()
        best = min(best, time.thread_time() - start)
    return best


def ordinary_html(size: int) -> str:
    paragraph = "<p>An ordinary paragraph of an <a href='https://example.com/x'>article</a>, words.</p>"
    return paragraph * (size // len(paragraph) + 1)


def ordinary_opml(n: int) -> bytes:
    outlines = "".join(f'<outline type="rss" text="f{i}" xmlUrl="https://e{i}.example/feed"/>' for i in range(n))
    return f'<opml version="2.0"><body>{outlines}</body></opml>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    html_cases = {
        "<div> nested 10k": "<div>" * 10_000 + "x" + "</div>" * 10_000,
        "<div> nested 40k": "<div>" * 40_000 + "x" + "</div>" * 40_000,
        "<ul><li> nested 20k": "<ul><li>" * 20_000 + "x",
        "<div> nested 100k (the feed item)": "<div>" * 100_000 + "x" + "</div>" * 100_000,
        "<b id=N> unclosed x4000": "".join(f"<p><b id={i}></p>" for i in range(4_000)),
    }
    print(f"{'case':<36} {'bytes':>9} {'hostile':>9} {'ordinary':>9} {'ratio':>7}")
    for name, html in html_cases.items():
        hostile = cpu(lambda html=html: sanitize_html(html, "https://example.com/"), args.repeat)
        plain_html = ordinary_html(len(html))
        plain = cpu(lambda plain_html=plain_html: sanitize_html(plain_html, "https://example.com/"), args.repeat)
        print(f"{'sanitize ' + name:<36} {len(html):>9} {hostile:>8.3f}s {plain:>8.3f}s {hostile / plain:>6.2f}x")
    for n in (100_000, 200_000):
        unclosed = b'<opml version="2.0"><body>' + b'<outline text="x">' * n
        plain_opml = ordinary_opml(n)
        hostile = cpu(lambda unclosed=unclosed: parse_opml(unclosed), args.repeat)
        plain = cpu(lambda plain_opml=plain_opml: parse_opml(plain_opml), args.repeat)
        label = f"opml {n // 1000}k unclosed outlines"
        print(f"{label:<36} {len(unclosed):>9} {hostile:>8.3f}s {plain:>8.3f}s {hostile / plain:>6.2f}x")
    print("ordinary: the same number of bytes (sanitize) or outlines (OPML) of well-formed input, same run")


if __name__ == "__main__":
    main()
