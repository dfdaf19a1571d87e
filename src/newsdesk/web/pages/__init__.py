"""Server-rendered HTML pages: one router per page family, registered in :data:`ROUTERS`.

Templates live in ``web/templates/<family>/``, htmx fragments in
``web/templates/partials/``; :mod:`newsdesk.web.pages.render` renders both in the reader's language.
"""

from __future__ import annotations

from fastapi import APIRouter

from newsdesk.web.pages import (
    about,
    account,
    admin,
    ai,
    articles,
    categories,
    comments,
    front,
    moderation,
    passkeys,
    personal,
    search,
    sources,
    stories,
    topics,
)

ROUTERS: list[APIRouter] = [
    front.router,  # /  (?tab=latest, ?category=, ?region=) and its fragment /fragments/stories
    categories.router,  # /categories/{name}, /regions/{name}
    stories.router,  # /stories/{story_id}
    articles.router,  # /articles/{article_id}
    ai.router,  # /articles/{id}/ai/{feature}, /stories/{id}/ai/{feature}: the language model's outputs
    topics.router,  # /topics/{tag}
    sources.router,  # /sources, /sources/{source_id} and its fragment
    search.router,  # /search and its fragment /fragments/search
    about.router,  # /about
    account.router,  # /sign-in, /sign-up, /sign-out, /sign-in/link/{token}, /account
    admin.router,  # /admin/users, /admin/site (administrators)
    passkeys.router,  # /account/passkeys[/options], /account/passkeys/{id}/remove, /sign-in/passkey[/options]
    comments.router,  # POST /comments, /comments/{id}/edit, /comments/{id}/delete, /comments/{id}/report
    moderation.router,  # /moderation, POST /moderation/comments/{id}, /moderation/users/{id}
    personal.router,  # /for-you, /following, /bookmarks; POST /follow, /keyword-filters, /bookmarks, /languages
]
