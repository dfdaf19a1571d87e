"""The taxonomy's category and region names, marked for translation.

Pages show them through ``_(name)``; listing them here lets ``pybabel extract`` find them (a
template's ``_(story.category)`` names no message). A test checks this list against the facade's.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message  # a marker for extraction only: the page's translations apply when it renders


CATEGORY_NAMES = (
    _("World"),
    _("Politics"),
    _("Business"),
    _("Technology"),
    _("Science"),
    _("Health"),
    _("Sports"),
    _("Entertainment"),
    _("Climate/Environment"),
)
REGION_NAMES = (
    _("Africa"),
    _("Asia"),
    _("Europe"),
    _("Latin America"),
    _("Middle East"),
    _("North America"),
    _("Oceania"),
)
