"""``newsdesk extract``: many files or URLs through the extraction process pool.

Inputs are read or fetched concurrently and extracted on every core; results
come back in input order, one dict per input, each as soon as it and every input
before it are done, so a long list prints as it goes. Every dict has the same keys;
a failure is a value too: ``error`` holds its reason and the rest are empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError
from newsdesk.model import Extracted
from newsdesk.net.fetcher import Fetcher
from newsdesk.tasks.extract_pool import ExtractorPool


def _result(name: str, ex: Extracted) -> dict[str, Any]:
    return {
        "input": name,
        "title": ex.title,
        "text": ex.text,
        "authors": list(ex.authors),
        "published": ex.published.isoformat() if ex.published else None,
        "language": ex.language,
        "image": ex.image_url,
        "url": ex.canonical_url,
        "description": ex.description,
        "error": None,
    }


def _failure(name: str, reason: str) -> dict[str, Any]:
    empty = dict.fromkeys(("title", "text", "published", "language", "image", "url", "description"))
    return {"input": name, **empty, "authors": [], "error": reason}


async def extract_many(
    settings: Settings, inputs: list[str], *, new_fetcher: Callable[[], Fetcher], base_url: str | None = None
) -> AsyncGenerator[dict[str, Any], None]:
    sem = asyncio.Semaphore(max(4, settings.page_concurrency))
    async with new_fetcher() as fetcher, ExtractorPool(settings) as pool:

        async def one(name: str) -> dict[str, Any]:
            async with sem:
                try:
                    if name.startswith(("http://", "https://")):
                        doc = await fetcher.fetch_page(name)
                        body, page_url = doc.body, doc.url
                    else:
                        body = await asyncio.to_thread(Path(name).read_bytes)
                        page_url = base_url or ""
                    return _result(name, await pool.extract(body, page_url))
                except NewsdeskError as exc:
                    return _failure(name, exc.reason)
                except OSError as exc:
                    return _failure(name, f"cannot read file: {exc.strerror or exc}")

        tasks = [asyncio.ensure_future(one(n)) for n in inputs]
        try:
            for task in tasks:
                yield await task
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
