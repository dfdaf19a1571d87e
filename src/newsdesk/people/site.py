"""The site's own settings: an administrator's name for the site, its registration mode and the language of
its pages for readers who ask for none we have. Stored values override the configuration's defaults
(``registration`` in config.py); the site's name defaults to newsdesk."""

from __future__ import annotations

import logging
from collections.abc import Collection

from newsdesk.config import Settings
from newsdesk.errors import AccountError, ForbiddenError
from newsdesk.model import MAX_SITE_NAME_CHARS, REGISTRATION_MODES, Clock, SiteSettings, User
from newsdesk.store import Storage

log = logging.getLogger(__name__)


def site_settings(storage: Storage, settings: Settings) -> SiteSettings:
    """The stored settings over the configuration's defaults (a stored value that is no longer valid is ignored)."""
    stored = storage.site_settings()
    defaults = SiteSettings(registration=settings.registration)
    registration = stored.get("registration", defaults.registration)
    return SiteSettings(
        name=stored.get("name") or defaults.name,
        registration=registration if registration in REGISTRATION_MODES else defaults.registration,
        default_language=stored.get("default_language") or defaults.default_language,
    )


def change_site_settings(
    storage: Storage,
    clock: Clock,
    actor: User,
    languages: Collection[str],
    *,
    name: str,
    registration: str,
    default_language: str,
) -> None:
    """An administrator's change: every value checked (AccountError says which), ForbiddenError for others."""
    if not actor.is_admin or actor.disabled:
        raise ForbiddenError("only an administrator may change the site's settings")
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_SITE_NAME_CHARS:
        raise AccountError(f"the site's name has 1 to {MAX_SITE_NAME_CHARS} characters")
    if registration not in REGISTRATION_MODES:
        raise AccountError(f"registration is one of {', '.join(REGISTRATION_MODES)}")
    if default_language not in languages:
        raise AccountError(f"the default language is one of {', '.join(sorted(languages))}")
    values = {"name": name, "registration": registration, "default_language": default_language}
    storage.set_site_settings(values, actor.id, clock())
    log.info("site.settings by=%d registration=%s language=%s", actor.id, registration, default_language)
