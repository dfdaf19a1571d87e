"""Server-rendered HTML pages (Jinja2, autoescaped).

Article HTML was sanitized at ingest; everything else is escaped by Jinja2,
and links taken from feeds pass :func:`safe_url` so a hostile feed cannot
plant a ``javascript:`` link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from newsdesk.core import Newsdesk
from newsdesk.web.humanize import relative_time

PAGE_SIZE = 50


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else an empty string."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return ""


class Pages:
    def __init__(self, desk: Newsdesk, demo_notice: str | None) -> None:
        self.desk = desk
        self.demo_notice = demo_notice
        self.env = Environment(
            loader=FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.env.filters["safe_url"] = safe_url

    def _render(self, name: str, **context: Any) -> str:
        now = self.desk.clock()
        return self.env.get_template(name).render(
            demo=self.demo_notice, ago=lambda when: relative_time(when, now), **context
        )

    def index(self, source_id: int | None, offset: int) -> str:
        articles = self.desk.articles(source_id=source_id, limit=PAGE_SIZE, offset=offset)
        source = self.desk.source(source_id) if source_id is not None else None
        return self._render(
            "index.html", articles=articles, limit=PAGE_SIZE, offset=offset, source_id=source_id, source=source
        )

    def error(self, status: int, message: str) -> str:
        return self._render("error.html", status=status, message=message)

    def article(self, article_id: str) -> str:
        return self._render("article.html", a=self.desk.article(article_id))

    def sources(self) -> str:
        return self._render("sources.html", sources=self.desk.sources())
