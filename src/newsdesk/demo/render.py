"""Render the demo edition into the bytes a news site serves: pages, feeds, OPML, robots.txt.

The article pages look like a real publisher's on purpose: the article sits in
an ``<article>`` with headline, byline, ``<time datetime>``, Open Graph tags,
JSON-LD and a canonical link, and around it is the clutter real sites have —
cookie banner, navigation, share bar, newsletter box, "Read more" links,
comments and footer — which newsdesk's extractor has to strip. Feeds carry
only a teaser, so newsdesk has to fetch these pages. Every page and feed says
where the content is from (Wikinews, or a Wikipedia edition's "In the news"),
with its original date and licence, and that the demo shifted the dates. A
page's ``<link rel="canonical">`` and ``og:url`` name the original's real
address (the demo page is a copy of it), so newsdesk records that address as
the article's canonical URL and can link it once the demo site is gone.

Everything here is pure: an :class:`~newsdesk.demo.edition.Edition` and the
site's base URL in, a path → :class:`Resource` mapping out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import quote

from newsdesk.demo.articles import DemoArticle
from newsdesk.demo.edition import DemoSource, Edition, Story

SITE_NAME = "The Free News Demo"
AUTHORS = {"itn": "Wikipedia contributors", "wikinews": "Wikinews contributors"}
RIGHTS = {"itn": "Wikipedia contributors; CC BY-SA 3.0", "wikinews": "Wikinews contributors; CC BY 2.5"}
LICENCE_LINE = (
    'Sources: Wikipedia\'s "In the news" in many languages, Wikipedia contributors, CC BY-SA 3.0; '
    "English Wikinews, Wikinews contributors, CC BY 2.5."
)
FEED_CACHE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Resource:
    """One servable document with the validators conditional requests are checked against."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None = None
    cache_seconds: int | None = None


def resource(
    text: str, content_type: str, last_modified: datetime | None = None, cache_seconds: int | None = None
) -> Resource:
    """Encode ``text`` and derive a strong ETag from its bytes (same body, same tag, every run)."""
    body = text.encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Resource(body, content_type, etag, last_modified, cache_seconds)


@dataclass(frozen=True, slots=True)
class _Strings:
    """The page furniture in one language (the French sources get French boilerplate)."""

    home: str
    cookie_text: str
    accept: str
    manage: str
    privacy: str
    share_on: str
    newsletter_title: str
    newsletter_text: str
    email: str
    subscribe: str
    read_more: str
    comments: str
    comment_form: str
    post: str
    comments_sample: tuple[tuple[str, str, str], ...]
    by: str
    at: str
    months: tuple[str, ...]
    demo_note: str
    source_line: str
    about: str
    contact: str
    all_feeds: str
    latest: str
    footer: str


EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")  # fmt: skip
FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")  # fmt: skip

EN = _Strings(
    home="Home",
    cookie_text="We use cookies to remember your preferences and to understand how our site is used.",
    accept="Accept all",
    manage="Manage preferences",
    privacy="Privacy policy",
    share_on="Share on",
    newsletter_title="The Morning Briefing",
    newsletter_text="The day's top stories in your inbox, every weekday at 7am. Free; unsubscribe any time.",
    email="Email address",
    subscribe="Subscribe",
    read_more="Read more",
    comments="Comments",
    comment_form="Join the discussion",
    post="Post comment",
    comments_sample=(
        ("riverside_reader", "2 hours ago", "Thanks for the clear write-up. Any idea when more details come out?"),
        ("m.kovacs", "1 hour ago", "Good summary, but I would have liked a few more sources linked."),
    ),
    by="By",
    at=",",
    months=EN_MONTHS,
    demo_note="Originally published by {publisher} on {date}. Demo: dates shifted.",
    source_line="Source: {attribution}. Licence: {license}. Original article:",
    about="About",
    contact="Contact",
    all_feeds="All feeds (OPML)",
    latest="Latest",
    footer='Demo content: Wikinews articles and Wikipedia "In the news" blurbs served offline by newsdesk, '
    "with their dates shifted into the past few days.",
)

FR = _Strings(
    home="Accueil",
    cookie_text="Nous utilisons des cookies pour mémoriser vos préférences et mesurer l'audience du site.",
    accept="Tout accepter",
    manage="Paramétrer",
    privacy="Politique de confidentialité",
    share_on="Partager sur",
    newsletter_title="La lettre du matin",
    newsletter_text="L'essentiel de l'actualité dans votre boîte mail, chaque matin à 7 h. Gratuit et sans engagement.",
    email="Adresse e-mail",
    subscribe="S'inscrire",
    read_more="À lire aussi",
    comments="Commentaires",
    comment_form="Participer à la discussion",
    post="Publier",
    comments_sample=(
        ("lecteur_du_sud", "il y a 2 heures", "Merci pour cet article très clair. On en saura plus quand ?"),
        ("Camille R.", "il y a 1 heure", "Quelqu'un a-t-il un lien vers le communiqué officiel ?"),
    ),
    by="Par",
    at=" à",
    months=FR_MONTHS,
    demo_note="Publié à l'origine par {publisher} le {date}. Démo : dates décalées.",
    source_line="Source : {attribution}. Licence : {license}. Article d'origine :",
    about="À propos",
    contact="Contact",
    all_feeds="Tous les flux (OPML)",
    latest="À la une",
    footer="Contenu de démonstration : articles de Wikinews et brèves « In the news » de Wikipédia servis hors "
    "ligne par newsdesk, dates décalées sur les derniers jours.",
)


def strings(language: str) -> _Strings:
    return FR if language == "fr" else EN


def _human_time(when: datetime, s: _Strings) -> str:
    return f"{when.day} {s.months[when.month - 1]} {when.year}{s.at} {when:%H:%M} UTC"


def demo_note(article: DemoArticle) -> str:
    """The "originally published by … on …. Demo: dates shifted." line every page carries."""
    return strings(article.language).demo_note.format(
        publisher=article.publisher, date=article.published.date().isoformat()
    )


def headline(article: DemoArticle) -> str:
    """The page's headline: a blurb's subject (its kicker), else the title.

    A blurb's page must not repeat the blurb as its headline: an extractor rightly drops a
    paragraph that only repeats the headline, and the blurb is all the page has.
    """
    return article.kicker or article.title


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _feed_links(sources: tuple[DemoSource, ...] | list[DemoSource], base_url: str) -> str:
    mime = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
    return "\n".join(
        f'<link rel="alternate" type="{mime[s.format]}" title="{escape(s.title)}" href="{base_url}{s.feed_path}">'
        for s in sources
    )


_CSS = (
    "body{font-family:Georgia,serif;max-width:46rem;margin:auto;padding:0 1rem;color:#222}"
    ".cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#333;color:#fff;padding:.8rem}"
    ".main-nav ul,.share-bar ul,.site-footer ul{list-style:none;display:flex;gap:1rem;padding:0}"
    ".demo-notice{background:#fff6d5;padding:.4rem .8rem;font-size:.9rem}"
    ".newsletter,.comments,.related{border-top:1px solid #ccc;margin-top:2rem}"
)


def _layout(
    *, lang: str, title: str, head: str, main: str, edition: Edition, base_url: str, here: DemoSource | None = None
) -> str:
    """The chrome every page shares: cookie banner, masthead with navigation, footer.

    The navigation names Wikinews and the page's own section, not all thirty-odd editions.
    """
    s = strings(lang)
    menu = [src for src in edition.sources if src.collection == "wikinews" or src == here]
    nav = "".join(f'<li><a href="{src.page_path}">{escape(src.section)}</a></li>' for src in menu)
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
{head}
<style>{_CSS}</style>
</head>
<body>
<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookies">
<p>{escape(s.cookie_text)} <a href="/privacy">{escape(s.privacy)}</a></p>
<button type="button" class="btn-accept">{escape(s.accept)}</button>
<button type="button" class="btn-manage">{escape(s.manage)}</button>
</div>
<header class="site-header">
<a class="logo" href="/">{SITE_NAME}</a>
<nav class="main-nav" aria-label="Sections"><ul><li><a href="/">{escape(s.home)}</a></li>{nav}</ul></nav>
</header>
<main id="content">
{main}
</main>
<footer class="site-footer">
<ul>
<li><a href="/about">{escape(s.about)}</a></li>
<li><a href="/privacy">{escape(s.privacy)}</a></li>
<li><a href="/contact">{escape(s.contact)}</a></li>
<li><a href="/opml.xml">{escape(s.all_feeds)}</a></li>
</ul>
<p>{escape(s.footer)} {escape(LICENCE_LINE)}</p>
</footer>
</body>
</html>
"""


def _body_html(article: DemoArticle) -> str:
    """The article's blocks as HTML, consecutive list items joined into one ``<ul>``."""
    out: list[str] = []
    in_list = False
    for kind, text in article.blocks:
        if kind == "li" and not in_list:
            out.append("<ul>")
        elif kind != "li" and in_list:
            out.append("</ul>")
        in_list = kind == "li"
        out.append(f"<{kind}>{escape(text)}</{kind}>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _json_ld(story: Story) -> str:
    a = story.article
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline(a),
        "description": story.summary,
        "datePublished": _iso(story.published),
        "inLanguage": a.language,
        "author": {"@type": "Organization", "name": AUTHORS[a.collection]},
        "publisher": {"@type": "Organization", "name": SITE_NAME},
        "url": a.url,
        "mainEntityOfPage": a.url,
        "isBasedOn": a.url,
        "license": a.license,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")


def _article_head(story: Story, base_url: str) -> str:
    """Meta tags; the canonical link and ``og:url`` name the original's real address (this page copies it)."""
    a, summary, original = story.article, escape(story.summary), escape(story.article.url)
    return f"""<meta name="description" content="{summary}">
<meta name="author" content="{AUTHORS[a.collection]}">
<link rel="canonical" href="{original}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(headline(a))}">
<meta property="og:description" content="{summary}">
<meta property="og:url" content="{original}">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="article:published_time" content="{_iso(story.published)}">
<meta property="article:section" content="{escape(story.source.section)}">
{_feed_links([story.source], base_url)}
<script type="application/ld+json">{_json_ld(story)}</script>"""


def _share_bar(story: Story, url: str, s: _Strings) -> str:
    u, t = quote(url, safe=""), quote(story.article.title, safe="")
    links = (
        ("WhatsApp", f"https://wa.me/?text={t}%20{u}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={u}"),
        ("X", f"https://x.com/intent/post?url={u}&amp;text={t}"),
    )
    items = "".join(f'<li><a class="share-{n.lower()}" href="{h}">{s.share_on} {n}</a></li>' for n, h in links)
    return f'<div class="share-bar" aria-label="Share"><ul>{items}</ul></div>'


def _related(edition: Edition, story: Story, s: _Strings) -> str:
    items = "".join(
        f'<li><a href="{r.path}">{escape(r.article.title)}</a> <span class="teaser">{escape(r.summary)}</span></li>'
        for r in edition.related(story)
    )
    return f'<section class="related"><h2>{escape(s.read_more)}</h2><ul>{items}</ul></section>'


def _newsletter(s: _Strings) -> str:
    return f"""<aside class="newsletter">
<h2>{escape(s.newsletter_title)}</h2>
<p>{escape(s.newsletter_text)}</p>
<form action="/newsletter" method="post"><label>{escape(s.email)} <input type="email" name="email"></label>
<button type="submit">{escape(s.subscribe)}</button></form>
</aside>"""


def _comments(s: _Strings) -> str:
    items = "".join(
        f'<li class="comment"><p class="comment-meta"><span class="comment-author">{escape(who)}</span> '
        f'<span class="comment-age">{escape(age)}</span></p><p class="comment-text">{escape(text)}</p></li>'
        for who, age, text in s.comments_sample
    )
    return f"""<section class="comments" id="comments">
<h2>{escape(s.comments)} ({len(s.comments_sample)})</h2>
<ol>{items}</ol>
<form action="/comments" method="post"><h3>{escape(s.comment_form)}</h3>
<textarea name="comment" rows="4"></textarea><button type="submit">{escape(s.post)}</button></form>
</section>"""


def render_article(edition: Edition, story: Story, base_url: str) -> Resource:
    """One article page: a Wikinews article in realistic boilerplate, or a blurb's brief page."""
    if story.article.collection == "itn":
        return render_brief(story, base_url)
    a, s = story.article, strings(story.article.language)
    url = base_url + story.path
    main = f"""<p class="demo-notice" role="note">{escape(demo_note(a))}</p>
<article class="story" lang="{escape(a.language)}">
<header>
<p class="kicker"><a href="{story.source.page_path}">{escape(story.source.section)}</a></p>
<h1>{escape(headline(a))}</h1>
<p class="byline">{escape(s.by)} <span class="author">{AUTHORS[a.collection]}</span> ·
<time datetime="{_iso(story.published)}">{_human_time(story.published, s)}</time></p>
</header>
{_share_bar(story, url, s)}
<div class="story-body">
{_body_html(a)}
</div>
</article>
{_attribution(a, s)}
{_newsletter(s)}
{_related(edition, story, s)}
{_comments(s)}"""
    page = _layout(
        lang=a.language,
        title=f"{headline(a)} | {story.source.title}",
        head=_article_head(story, base_url),
        main=main,
        edition=edition,
        base_url=base_url,
        here=story.source,
    )
    return resource(page, "text/html; charset=utf-8", story.published)


def _attribution(a: DemoArticle, s: _Strings) -> str:
    line = escape(s.source_line.format(attribution=a.attribution, license=a.license))
    return f'<aside class="attribution"><p>{line}\n<a href="{escape(a.url)}">{escape(a.url)}</a></p></aside>'


def render_brief(story: Story, base_url: str) -> Resource:
    """A blurb's page: its subject, the one sentence, the credits, and nothing else.

    An "In the news" blurb is one sentence, and around one sentence an extractor cannot
    tell the story from the furniture (measured: with the cookie banner, share bar and
    "Read more" list of an article page, nearly every blurb came out with some of them).
    Real brief pages are this plain; the Wikinews pages keep the clutter to strip.
    """
    a, s = story.article, strings(story.article.language)
    page = f"""<!DOCTYPE html>
<html lang="{escape(a.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(headline(a))} | {escape(story.source.title)}</title>
{_article_head(story, base_url)}
<style>{_CSS}</style>
</head>
<body>
<main id="content">
<article class="story brief">
{_body_html(a)}
</article>
</main>
<footer class="site-footer">
<p class="demo-notice" role="note">{escape(demo_note(a))}</p>
{_attribution(a, s)}
<p><a href="{story.source.page_path}">{escape(story.source.title)}</a> · <a href="/">{SITE_NAME}</a></p>
</footer>
</body>
</html>
"""
    return resource(page, "text/html; charset=utf-8", story.published)


def _teaser_list(stories: list[Story], s: _Strings) -> str:
    items = "".join(
        f'<li><a href="{st.path}">{escape(st.article.title)}</a> '
        f'<time datetime="{_iso(st.published)}">{_human_time(st.published, s)}</time>'
        f"<p>{escape(st.summary)}</p></li>"
        for st in stories
    )
    return f'<ul class="teasers">{items}</ul>'


def render_section(edition: Edition, source: DemoSource, base_url: str) -> Resource:
    """A section front: every story of one source, newest first, and its feed for autodiscovery."""
    stories, s = edition.stories_of(source), strings(source.language)
    main = f"""<h1>{escape(source.title)}</h1>
<p class="demo-notice" role="note">{escape(s.footer)}</p>
<p><a href="{source.feed_path}">{source.format.upper()}</a></p>
{_teaser_list(stories, s)}"""
    head = _feed_links([source], base_url)
    page = _layout(
        lang=source.language, title=source.title, head=head, main=main, edition=edition, base_url=base_url, here=source
    )
    return resource(page, "text/html; charset=utf-8", stories[0].published if stories else None)


def render_index(edition: Edition, base_url: str) -> Resource:
    """The home page: the latest stories of each section and ``<link rel="alternate">`` to every feed."""
    sections = []
    for source in edition.sources:
        s = strings(source.language)
        sections.append(
            f'<section class="front-section" lang="{escape(source.language)}"><h2><a href="{source.page_path}">'
            f"{escape(source.title)}</a></h2>{_teaser_list(edition.stories_of(source)[:5], s)}</section>"
        )
    main = f"""<h1>{SITE_NAME}</h1>
<p class="demo-notice" role="note">{escape(EN.footer)} {escape(LICENCE_LINE)}</p>
{"".join(sections)}"""
    page = _layout(
        lang="en",
        title=f"{SITE_NAME} — {EN.latest}",
        head=_feed_links(edition.sources, base_url),
        main=main,
        edition=edition,
        base_url=base_url,
    )
    newest = edition.stories[0].published if edition.stories else None
    return resource(page, "text/html; charset=utf-8", newest)


def _feed_description(source: DemoSource) -> str:
    if source.collection == "wikinews":
        corpus = "English Wikinews articles of 2019–2020 (Wikinews contributors, CC BY 2.5)"
    else:
        corpus = (
            f'"In the news" blurbs of {source.language}.wikipedia.org, 2022–2023 (Wikipedia contributors, CC BY-SA 3.0)'
        )
    return f"Demo content: {corpus}, served offline by newsdesk with their dates shifted into the past few days."


def _entry_summary(story: Story) -> str:
    """The teaser plus a marked note naming the real origin and date of the demo item."""
    a = story.article
    return f"{story.summary} [Demo: {a.publisher}, {a.published.date().isoformat()}; date shifted]"


def render_rss(edition: Edition, source: DemoSource, base_url: str) -> Resource:
    """An RSS 2.0 feed of one source; items carry only a teaser."""
    stories = edition.stories_of(source)
    items = []
    for st in stories:
        items.append(
            f"""<item>
<title>{escape(st.article.title)}</title>
<link>{base_url}{st.path}</link>
<guid isPermaLink="false">urn:newsdesk-demo:{st.article.id}</guid>
<pubDate>{format_datetime(st.published, usegmt=True)}</pubDate>
<dc:creator>{AUTHORS[source.collection]}</dc:creator>
<description>{escape(_entry_summary(st))}</description>
</item>"""
        )
    updated = stories[0].published if stories else edition.now
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{escape(source.title)}</title>
<link>{base_url}{source.page_path}</link>
<description>{escape(_feed_description(source))}</description>
<language>{escape(source.language)}</language>
<copyright>{RIGHTS[source.collection]}</copyright>
<lastBuildDate>{format_datetime(updated, usegmt=True)}</lastBuildDate>
<generator>newsdesk demo</generator>
<ttl>60</ttl>
<atom:link href="{base_url}{source.feed_path}" rel="self" type="application/rss+xml"/>
{chr(10).join(items)}
</channel>
</rss>
"""
    return resource(xml, "application/rss+xml; charset=utf-8", updated, FEED_CACHE_SECONDS)


def render_atom(edition: Edition, source: DemoSource, base_url: str) -> Resource:
    """An Atom 1.0 feed of one source; entries carry only a teaser."""
    stories = edition.stories_of(source)
    entries = []
    for st in stories:
        entries.append(
            f"""<entry>
<id>urn:newsdesk-demo:{st.article.id}</id>
<title type="text">{escape(st.article.title)}</title>
<link rel="alternate" type="text/html" href="{base_url}{st.path}"/>
<published>{_iso(st.published)}</published>
<updated>{_iso(st.published)}</updated>
<author><name>{AUTHORS[source.collection]}</name></author>
<summary type="text">{escape(_entry_summary(st))}</summary>
</entry>"""
        )
    updated = stories[0].published if stories else edition.now
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{escape(source.language)}">
<title>{escape(source.title)}</title>
<subtitle>{escape(_feed_description(source))}</subtitle>
<id>urn:newsdesk-demo:feed:{source.slug}</id>
<updated>{_iso(updated)}</updated>
<link rel="self" type="application/atom+xml" href="{base_url}{source.feed_path}"/>
<link rel="alternate" type="text/html" href="{base_url}{source.page_path}"/>
<author><name>{AUTHORS[source.collection]}</name></author>
<rights>{RIGHTS[source.collection]}</rights>
<generator>newsdesk demo</generator>
{chr(10).join(entries)}
</feed>
"""
    return resource(xml, "application/atom+xml; charset=utf-8", updated, FEED_CACHE_SECONDS)


def render_opml(edition: Edition, base_url: str) -> Resource:
    """All feeds, one folder per set (Wikinews; Wikipedia's "In the news"), for ``newsdesk import``."""
    groups = []
    for folder in dict.fromkeys(s.category for s in edition.sources):
        outlines = "\n".join(
            f'  <outline type="rss" text="{escape(s.title)}" title="{escape(s.title)}" '
            f'xmlUrl="{base_url}{s.feed_path}" htmlUrl="{base_url}{s.page_path}" language="{escape(s.language)}"/>'
            for s in edition.sources
            if s.category == folder
        )
        groups.append(f'<outline text="{escape(folder)}" title="{escape(folder)}">\n{outlines}\n</outline>')
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
<head>
<title>{SITE_NAME}: all feeds</title>
<dateCreated>{format_datetime(edition.now.astimezone(UTC), usegmt=True)}</dateCreated>
</head>
<body>
{chr(10).join(groups)}
</body>
</opml>
"""
    return resource(xml, "text/x-opml; charset=utf-8", edition.now)


def render_robots() -> Resource:
    return resource("User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")


def render_site(edition: Edition, base_url: str) -> dict[str, Resource]:
    """Every path the demo site serves, rendered once (bodies and ETags stay stable while it runs)."""
    site = {
        "/": render_index(edition, base_url),
        "/opml.xml": render_opml(edition, base_url),
        "/robots.txt": render_robots(),
    }
    for source in edition.sources:
        feed = render_rss if source.format == "rss" else render_atom
        site[source.feed_path] = feed(edition, source, base_url)
        site[source.page_path] = render_section(edition, source, base_url)
    for story in edition.stories:
        site[story.path] = render_article(edition, story, base_url)
    return site
