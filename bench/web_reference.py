#!/usr/bin/env python3
"""The reference page of bench/web_pages.py: a minimal Starlette + Jinja2 app rendering 20 items.

  python bench/web_reference.py --port PORT

What a page of 20 listed items costs on this stack with no database and no logic: the limit the
reader pages are compared with. Served by uvicorn with the settings ``newsdesk serve`` uses
(one process, ``log_level="warning"``, no access log; uvloop and httptools when installed, as
uvicorn picks them for both). The items are made once at start-up, with the fields a
front page shows (headline, source, time, a two-sentence summary, three hashtags), and escaped
by Jinja2's autoescape as newsdesk's templates are.
"""

from __future__ import annotations

import argparse

import uvicorn
from jinja2 import Environment, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Front page</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body><header><a href="/">newsdesk</a></header>
<main><ol class="stories">
{% for item in items %}<li class="story">
<h2><a href="/stories/{{ item.id }}">{{ item.headline }}</a></h2>
<p class="meta">{{ item.source }} · <time datetime="{{ item.iso }}">{{ item.ago }}</time>
 · {{ item.count }} articles</p>
<p>{{ item.summary }}</p>
<p class="tags">{% for tag in item.tags %}<a href="/topics/{{ tag }}">#{{ tag }}</a> {% endfor %}</p>
</li>
{% endfor %}</ol></main></body></html>
"""

ITEMS = [
    {
        "id": f"{i:040x}",
        "headline": f"Council approves the {i}th budget of the harbour district & its <new> ferry line",
        "source": f"The Riverton Herald {i}",
        "iso": f"2026-11-27T{i % 24:02d}:00:00Z",
        "ago": f"{i + 1} hours ago",
        "count": i % 7 + 1,
        "summary": "The council met on Tuesday to approve the plan. Opponents said the ferry would cost more "
        "than the bridge it replaces, and asked for a second reading before the winter.",
        "tags": ["riverton", "budget", "ferry"],
    }
    for i in range(20)
]

template = Environment(autoescape=select_autoescape(default=True)).from_string(TEMPLATE)


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(template.render(items=ITEMS))


app = Starlette(routes=[Route("/", page)])

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="warning", access_log=False)
