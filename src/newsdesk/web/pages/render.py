"""Rendering pages and fragments: one autoescaped Jinja2 environment per UI language, and what every page is given.

Article HTML (sanitized at ingest) and comment HTML (rendered and sanitized when
written, ``people/comment_markup.py``) are the only values a template marks
``|safe``; everything else is escaped by Jinja2, and links taken from feeds pass
:func:`safe_url` so a hostile feed cannot plant a ``javascript:`` link.

Every template receives ``request``, ``viewer``, ``locale``, ``csrf_token`` and
``now`` from :class:`Renderer`, the one place that builds per-request context:
the CSRF token of the first state-changing form fills in there (empty until
accounts land), and the header's viewer slot fills in once accounts exist.

The UI language of a request is ``?lang=``, else the ``lang`` cookie, else the
best match of ``Accept-Language``, else English (:func:`pick_locale`). Each
language has its own environment with its translations installed
(:mod:`newsdesk.web.pages.i18n`), built once at startup: templates compile
once per language and no per-request state lives in a shared environment.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from babel.dates import format_datetime
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from newsdesk.config import VERSION
from newsdesk.core import Newsdesk, name_slug
from newsdesk.errors import NewsdeskError
from newsdesk.model import Clock, SiteSettings, StoryCard
from newsdesk.web.deps import CurrentViewer, Viewer
from newsdesk.web.pages.humanize import relative_time
from newsdesk.web.pages.i18n import DEFAULT_LOCALE, LOCALES, is_rtl, language_name, load_translations, pick_locale
from newsdesk.web.sessions import end_session, has_session_cookie

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
LANG_COOKIE_AGE_S = 365 * 86400


def safe_url(url: str | None) -> str:
    """The URL if it is http(s), else an empty string."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return ""


def original_link(url: str | None, canonical_url: str | None) -> str:
    """Where "Read at the source" leads: the publisher's canonical address when it is http(s) and on
    another host than the page the feed linked to (a syndicated or mirrored copy), else the feed's link."""
    page, canonical = safe_url(url), safe_url(canonical_url)
    if canonical and urlsplit(canonical).hostname != urlsplit(page).hostname:
        return canonical
    return page or canonical


@pass_context
def _ago(context: Context, when: datetime | None) -> str:
    """``{{ when|ago }}``: "10 hours ago", relative to the ``now`` the page was rendered at, in its language."""
    return relative_time(when, context["now"], context["locale"])


@functools.lru_cache(maxsize=4096)
def _full_time(when: datetime, locale: str) -> str:
    """The full date and time in the locale: the same few hundred times on every page, and Babel's formatting
    of one costs tens of microseconds."""
    return format_datetime(when, format="full", tzinfo=UTC, locale=locale)


@pass_context
def _when(context: Context, when: datetime | None) -> Markup:
    """``{{ when|when }}``: a ``<time>`` showing the relative time, with the full date and time on hover."""
    if when is None:
        return Markup("")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    full = _full_time(when, context["locale"])
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        when.isoformat(), full, relative_time(when, context["now"], context["locale"])
    )


@pass_context
def _lang_attrs(context: Context, language: str | None) -> Markup:
    """``<p{{ x.language|lang_attrs }}>``: ``lang`` and ``dir="auto"`` for text in another language than the page."""
    if not language or language.split("-")[0].lower() == context["locale"]:
        return Markup("")
    return Markup(' lang="{}" dir="auto"').format(escape(language))


def by_htmx(request: Request) -> bool:
    """Whether htmx asked (``HX-Request``): the answer is then a fragment of the page, not the page."""
    return request.headers.get("hx-request") == "true"


def varies_with_htmx(response: HTMLResponse) -> HTMLResponse:
    """Mark an address that answers htmx with a fragment and a browser with the page: caches keep both apart."""
    response.headers["Vary"] = "HX-Request"
    return response


FRAGMENT_EDGE_WORDS = 4  # a long sentence is found by its first and last words (textStart,textEnd)


def text_fragment(sentence: str) -> str:
    """A link to a sentence in the page that shows it (a URL text fragment, ``#:~:text=``): the browser
    scrolls to it and highlights it, with no anchor in the text. A short sentence is named whole, a long one
    by its first and last words."""
    words = sentence.split()
    if len(words) <= 2 * FRAGMENT_EDGE_WORDS:
        return "#:~:text=" + _fragment_part(" ".join(words))
    start, end = " ".join(words[:FRAGMENT_EDGE_WORDS]), " ".join(words[-FRAGMENT_EDGE_WORDS:])
    return "#:~:text=" + _fragment_part(start) + "," + _fragment_part(end)


def _fragment_part(text: str) -> str:
    """Percent-encoded for a text directive, whose syntax characters (``-``, ``,``, ``&``) must not appear bare."""
    return quote(text, safe="").replace("-", "%2D")


def _reading_minutes(seconds: int | None) -> int:
    return max(1, round((seconds or 0) / 60))


def _card_key(card: StoryCard) -> tuple[object, ...]:
    """Everything of a card its HTML shows (the story's languages only by count)."""
    story = card.story
    return (
        story.id,
        story.category,
        story.source_count,
        story.article_count,
        len(story.languages),
        story.last_seen_at,
        card.headline,
        card.lead,
        card.image_url,
        card.language,
        card.publishers,
    )


def _listing_tabs(env: Environment) -> Callable[..., Markup]:
    """``{{ listing_tabs(tab, category, region, categories, regions) }}``: the listings' category and region
    tabs, rendered once per language (one environment each) and listing, not for every signed-in reader's
    page: two dozen translated names and links."""

    @functools.lru_cache(maxsize=256)
    def tabs(
        tab: str, category: str | None, region: str | None, categories: tuple[str, ...], regions: tuple[str, ...]
    ) -> Markup:
        template = env.get_template("partials/listing_tabs.html")
        html = template.render(tab=tab, category=category, region=region, categories=categories, regions=regions)
        return Markup(html)  # noqa: S704 -- the output of an autoescaping template: escaped already

    return tabs


class CardCache:
    """Rendered story cards by what they show (their relative time as shown, "7 hours ago", included) and the
    language: the front page renders the same 24 cards for every signed-in reader (their mutes only leave
    some out), and Jinja2 takes a few milliseconds for them. Keyed by the minute, as it was, every card of
    every page expired at once on the minute, and the pages being served then all rendered all their cards
    together: the slowest pages of a run under load. Bounded; least recently used dropped first."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: Hashable, html: Markup) -> None:
        with self._lock:
            self._entries[key] = html
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class Templates:
    """The template environments (one per UI language) and what every page shows whoever reads it."""

    def __init__(
        self, *, clock: Clock, demo_notice: str | None, site_url: str, proxied: Callable[[str | None], str]
    ) -> None:
        """``site_url``: the site's public address (canonical links, Open Graph, share buttons), never the
        request's Host; ``proxied``: ``{{ url|proxied }}``, a publisher image's address under this site
        (the media proxy's), so no page makes a reader's browser contact a publisher."""
        self.clock = clock  # the facade's, so relative times agree with the data (and tests can fix it)
        self.demo_notice = demo_notice
        self.site_url = site_url.rstrip("/")
        self.proxied = proxied
        self.cards = CardCache()
        self.envs = {locale: self._environment(locale) for locale in LOCALES}

    def _environment(self, locale: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,  # a misspelt variable fails the page instead of rendering blank
            extensions=["jinja2.ext.i18n"],
            auto_reload=False,  # templates ship in the package: no file is stat'ed again on every render
        )
        env.install_gettext_translations(load_translations(locale), newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(
            safe_url=safe_url,
            proxied=self.proxied,
            ago=_ago,
            when=_when,
            lang_attrs=_lang_attrs,
            original_link=original_link,
            minutes=_reading_minutes,
            text_fragment=text_fragment,
            slug=name_slug,
            language_name=lambda code: language_name(code, locale),
        )
        env.globals.update(
            version=VERSION,  # busts browser caches of /static files on upgrade
            absolute_url=lambda path: self.site_url + "/" + path.lstrip("/"),
            locales=LOCALES,
            locale_names={code: language_name(code, code) for code in LOCALES},
            text_direction="rtl" if is_rtl(locale) else "ltr",
            card_html=self._card_html,
            listing_tabs=_listing_tabs(env),
        )
        return env

    @pass_context
    def _card_html(self, context: Context, card: StoryCard, blurred: Collection[str] | None) -> Markup:
        """``{{ card_html(card, blurred) }}``: one story card, rendered once per minute for every reader who
        sees it (:class:`CardCache`)."""
        blur = bool(blurred) and card.story.id in (blurred or ())
        now: datetime = context["now"]
        locale: str = context["locale"]
        # the only part of a card that changes with the clock is its relative time: keyed by that text, a card
        # is rendered again when "7 hours ago" becomes "8 hours ago", not every minute, all cards at once
        when = card.story.last_seen_at
        shown = relative_time(when if when.tzinfo else when.replace(tzinfo=UTC), now, locale) if when else ""
        key = (locale, blur, shown, _card_key(card))
        html = self.cards.get(key)
        if html is None:
            template = context.environment.get_template("partials/card.html")
            # the output of an autoescaping template: escaped already
            html = Markup(template.render(card=card, blurred=blurred or (), now=now, locale=locale))  # noqa: S704
            self.cards.put(key, html)
        return html

    def render(self, locale: str, name: str, context: Mapping[str, Any]) -> str:
        env = self.envs.get(locale) or self.envs[DEFAULT_LOCALE]
        return env.get_template(name).render(demo=self.demo_notice, now=self.clock(), locale=locale, **context)


@dataclass(frozen=True, slots=True)
class Renderer:
    """Renders templates for one request; handlers call it as ``render("front/index.html", …)``."""

    templates: Templates
    request: Request
    viewer: Viewer | None
    locale: str
    site: SiteSettings

    def __call__(self, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        token = self.viewer.csrf_token if self.viewer is not None else ""  # account pages pass their own
        base = {"request": self.request, "viewer": self.viewer, "csrf_token": token, "site": self.site}
        html = self.templates.render(self.locale, name, base | context)
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Content-Language"] = self.locale
        response.headers["Vary"] = "Accept-Language, Cookie"
        if self.request.query_params.get("lang") == self.locale:  # the switcher's choice sticks
            response.set_cookie("lang", self.locale, max_age=LANG_COOKIE_AGE_S, samesite="lax")
        if self.viewer is not None:
            response.headers["Cache-Control"] = "private, no-store"  # a signed-in reader's page is theirs
        elif has_session_cookie(self.request):  # ended, expired or disabled: forget it, be anonymous again
            end_session(response, self.request.app.state.desk)
        return response


async def get_renderer(request: Request, viewer: CurrentViewer) -> Renderer:
    """The page renderer bound to this request, its viewer and its language (a FastAPI dependency). Async: a
    synchronous dependency costs a trip to a worker thread, and under load each such trip waits for the
    interpreter lock; the site's settings are in memory for page requests (the page cache read them)."""
    templates: Templates = request.app.state.templates
    kept = getattr(request.state, "site", None)
    site = kept if isinstance(kept, SiteSettings) else await _site_settings(request)
    locale = pick_locale(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
        site.default_language,
    )
    return Renderer(templates, request, viewer, locale, site)


async def _site_settings(request: Request) -> SiteSettings:
    """Not a page the page cache saw (a form's answer, an error page): read here, on a worker thread."""
    desk: Newsdesk = request.app.state.desk
    try:
        return await run_in_threadpool(desk.site)
    except NewsdeskError:  # the database is what failed: the error page still renders, with the defaults
        return SiteSettings()


Render = Annotated[Renderer, Depends(get_renderer)]
