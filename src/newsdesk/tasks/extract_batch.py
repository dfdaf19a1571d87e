"""``newsdesk extract``: many files or URLs through the extraction process pool.

Inputs are read or fetched concurrently and extracted on every core; results
come back in input order, one dict per input, failures as values.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from newsdesk.config import Settings
from newsdesk.errors import NewsdeskError
from newsdesk.model import Extracted
from newsdesk.pipeline.extract_pool import ExtractorPool
from newsdesk.pipeline.fetch import Fetcher


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
    }


async def extract_many(settings: Settings, inputs: list[str], *, base_url: str | None = None) -> list[dict[str, Any]]:
    sem = asyncio.Semaphore(max(4, settings.page_concurrency))
    async with Fetcher(settings) as fetcher, ExtractorPool(settings) as pool:

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
                    return {"input": name, "error": exc.reason}
                except OSError as exc:
                    return {"input": name, "error": f"cannot read file: {exc.strerror or exc}"}

        return list(await asyncio.gather(*(one(n) for n in inputs)))
