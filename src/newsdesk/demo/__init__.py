"""The offline demo: bundled Wikinews articles served by a loopback news site.

``newsdesk demo`` subscribes to :class:`DemoSite`'s feeds so a new user sees
real news, and the whole pipeline at work, without any network access.
:mod:`.articles` holds the corpus and the date shifting, :mod:`.edition` the
grouping into sources, :mod:`.render` the pages and feeds, :mod:`.site` the
server. ``demo/data/ATTRIBUTION.md`` credits the Wikinews contributors.
"""

from __future__ import annotations

from newsdesk.demo.articles import DemoArticle, load_demo_articles
from newsdesk.demo.site import DemoFeed, DemoSite, running_demo_site

__all__ = ["DemoArticle", "DemoFeed", "DemoSite", "load_demo_articles", "running_demo_site"]
