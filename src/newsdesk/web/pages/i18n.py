"""The UI's languages: which one a request gets, and its translations.

Catalogues are ``web/locales/<locale>/LC_MESSAGES/messages.po``, extracted from the templates
and the pages' Python with ``pybabel extract -F babel.cfg`` (see ``web/locales/README.md``).
Only the ``.po`` files are kept in the repository: each is compiled in memory when the app
starts (:func:`load_translations`, a few milliseconds), so a compiled ``.mo`` can never be stale
and no build step exists. A locale is offered once its catalogue is complete (a test checks it).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent.parent / "locales"
DEFAULT_LOCALE = "en"
LOCALES: tuple[str, ...] = ("en", "fr")  # English is the templates' own text


def catalogue_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@functools.cache
def load_translations(locale: str) -> NullTranslations:
    """The locale's translations, compiled from its ``.po`` file; English needs none."""
    path = catalogue_path(locale)
    if locale == DEFAULT_LOCALE or not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled)


def pick_locale(
    asked: str | None, cookie: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE
) -> str:
    """``?lang=``, else the ``lang`` cookie, else the best of ``Accept-Language`` we have, else the site's
    default language (an administrator's choice; English unless set)."""
    for choice in (asked, cookie):
        if choice and (base := choice.split("-")[0].split("_")[0].lower()) in LOCALES:
            return base
    return best_accepted(accept_language or "", default if default in LOCALES else DEFAULT_LOCALE)


def best_accepted(header: str, default: str = DEFAULT_LOCALE) -> str:
    """The offered locale an ``Accept-Language`` header prefers most (``fr-CA,fr;q=0.9,en;q=0.8`` → fr)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.split("-")[0].lower()
        if base in LOCALES and quality > 0:
            ranked.append((-quality, position, base))
    return min(ranked)[2] if ranked else default


@functools.cache
def language_name(code: str, in_locale: str) -> str:
    """A language's name in the UI's language ("fr" in English: "French"), or the code when Babel has none."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(in_locale) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def is_rtl(locale: str) -> bool:
    try:
        return Locale.parse(locale).text_direction == "rtl"
    except (UnknownLocaleError, ValueError):
        return False
