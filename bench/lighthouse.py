#!/usr/bin/env python3
"""Lighthouse scores of the reader pages: performance, accessibility and best practices, against the floor.

Starts ``newsdesk demo`` (the bundled offline demo, a fresh data folder) unless ``--base`` names a
running newsdesk, picks a story and an article from its JSON API, and runs Lighthouse (the npm
package pinned in ``tests/e2e/package.json``, ``npm ci --prefix tests/e2e``) in Debian's Chromium
on the front, story and article pages, with Lighthouse's default mobile profile (simulated slow
4G and a 4x slower CPU) and, with ``--desktop``, its desktop profile. Each score is printed beside
the floor the issue sets (95) as a ratio.

  python bench/lighthouse.py [--base http://127.0.0.1:8000] [--desktop] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "tests" / "e2e" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
FLOOR = 95
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get_json(url: str) -> Any:
    with _opener.open(url, timeout=10) as response:
        return json.load(response)


@contextlib.contextmanager
def running_demo(port: int) -> Iterator[str]:
    """``newsdesk demo`` on ``port`` in a fresh data folder, until the block ends."""
    data = tempfile.mkdtemp(prefix="newsdesk-lighthouse-")
    env = {**os.environ, "NEWSDESK_DATA_DIR": data, "NEWSDESK_LOG_LEVEL": "WARNING"}
    newsdesk = Path(sys.executable).with_name("newsdesk")
    process = subprocess.Popen([str(newsdesk), "demo", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(OSError, ValueError):
                if _get_json(f"{base}/api/v1/stats")["articles"] > 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo did not start (exit {process.poll()})")
            time.sleep(1)
        time.sleep(2)  # the first pass finishes enrichment before the server answers
        yield base
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def pages(base: str) -> dict[str, str]:
    """The front page, the story with the most sources on it, and that story's representative article."""
    stories = _get_json(f"{base}/api/v1/frontpage?limit=50")["stories"]
    story = max(stories, key=lambda s: (s["source_count"], s["article_count"]))
    return {
        "front": f"{base}/",
        "story": f"{base}/stories/{story['id']}",
        "article": f"{base}/articles/{story['representative_id']}",
    }


def lighthouse(url: str, *, desktop: bool) -> dict[str, int]:
    """Lighthouse's category scores (0–100) for ``url``."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"Lighthouse is not installed: npm ci --prefix {LIGHTHOUSE.parents[2]}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={out}",
        ]
        if desktop:
            command.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise SystemExit(f"Lighthouse failed on {url}: {done.stderr.strip().splitlines()[-1:]}")
        report = json.loads(out.read_text())
    return {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a running newsdesk (default: start the demo)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--desktop", action="store_true", help="also Lighthouse's desktop profile")
    parser.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        base = args.base or stack.enter_context(running_demo(args.port))
        profiles = [("mobile", False)] + ([("desktop", True)] if args.desktop else [])
        scores = {
            f"{page} ({profile})": lighthouse(url, desktop=desktop)
            for page, url in pages(base).items()
            for profile, desktop in profiles
        }
    if args.json:
        print(json.dumps(scores))
    else:
        print(f"{'page':<20}" + "".join(f"{c:>16}" for c in CATEGORIES) + f"   (floor {FLOOR})")
        for page, by_category in scores.items():
            cells = "".join(f"{by_category[c]:>8} ({by_category[c] / FLOOR:.2f}x)" for c in CATEGORIES)
            print(f"{page:<20}{cells}")
    below = [(p, c, s) for p, by in scores.items() for c, s in by.items() if s < FLOOR]
    for page, category, score in below:
        print(f"below the floor: {page} {category} {score} < {FLOOR}", file=sys.stderr)
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
