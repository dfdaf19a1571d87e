"""A comment's text as HTML: "markdown-lite" rendered by markdown-it-py, then sanitized by nh3.

What a reader may write: paragraphs and line breaks, *emphasis* and **strong**, links
(``[text](https://…)`` and ``<https://…>``), lists, quotes, ``code`` and code blocks — nothing else.
Headings, images, tables, horizontal rules and raw HTML are not parsed at all: markdown-it's
``zero`` preset with only those rules enabled, and ``html`` off, so ``<script>`` is text.

Two locks, either enough on its own: markdown-it refuses ``javascript:``, ``vbscript:``, ``file:`` and
``data:`` links (its ``validateLink``), and nh3 (ammonia) keeps only the tags and attributes below,
links only with ``http``, ``https`` or ``mailto`` (a relative link could pass for one of the site's own
pages: dropped), and gives each link ``rel="nofollow ugc noopener"`` so a comment earns no ranking
and the page it opens cannot reach back into this one.

Comments are rendered when written, and both the source and the HTML are kept: a page read (the
hot path, many per comment) costs nothing more, and should the rules here change, the sources can
be rendered again.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_RULES = ["emphasis", "link", "autolink", "list", "blockquote", "code", "fence", "backticks", "escape", "newline"]
_MARKDOWN = MarkdownIt("zero", {"html": False, "breaks": True, "maxNesting": 20}).enable(_RULES)

_TAGS = {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre"}
_LINK_REL = "nofollow ugc noopener"


def _only_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return value if value.lower().startswith(("http://", "https://", "mailto:")) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    attribute_filter=_only_absolute_links,
    link_rel=_LINK_REL,
    strip_comments=True,
)


def render_comment(text: str) -> str:
    """Safe HTML for a comment's text (already bounded in length by the caller)."""
    return _CLEANER.clean(_MARKDOWN.render(text)).strip()
