"""Category and region names as readers type them: ``science``, ``Climate/Environment``,
``climate-environment`` and ``latin america`` all name an entry of the fixed taxonomy.

The taxonomy (``docs/taxonomy.md``) is a short fixed list, so a name is resolved by comparing
folded forms, never by asking the database; a name that matches nothing is a
:class:`~newsdesk.errors.NotFoundError` that lists the valid names, so the API, the pages and the
CLI can all say what would have worked.
"""

from __future__ import annotations

import re
from typing import Literal

from newsdesk.errors import NotFoundError
from newsdesk.model import TaxonomyName
from newsdesk.pipeline.stories.categorize import CATEGORIES, REGIONS

Kind = Literal["category", "region"]

_NOT_LETTERS = re.compile(r"[^0-9a-z]+")


def slug(name: str) -> str:
    """The form of a name used in page addresses: ``Climate/Environment`` → ``climate-environment``."""
    return _NOT_LETTERS.sub("-", name.casefold()).strip("-")


def entries(kind: Kind) -> list[TaxonomyName]:
    """Every category or region, in the taxonomy's order, with the slug of its address."""
    return [TaxonomyName(name, slug(name)) for name in _NAMES[kind]]


def resolve(kind: Kind, name: str) -> TaxonomyName:
    """The category or region ``name`` names, with its slug; a NotFoundError listing the names otherwise."""
    wanted = slug(name)
    for candidate in _NAMES[kind]:
        if slug(candidate) == wanted:
            return TaxonomyName(candidate, wanted)
    raise NotFoundError(f"there is no {kind} {name!r}; the {kind} names are: {', '.join(_NAMES[kind])}")


_NAMES: dict[Kind, tuple[str, ...]] = {"category": CATEGORIES, "region": REGIONS}
