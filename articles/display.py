"""Stored values as a person reads them in one line: audit old and new values, field lists, opaque secrets.

The review page (through the `as_text` and `opaque` template filters), the admin and the editorial service's
conflict messages all print values here, so a status reads "Awaiting review" everywhere, never "awaiting".
"""

import json

from .models import Article
from .schema import NOT_SCORED, is_unscored

OPAQUE_FIELDS = frozenset({"secured"})
LABELS = {"status": dict(Article.Status.choices)}


def opaque(value, length: int = 16) -> str:
    """A secret-looking value as its first characters only: the one way `secured` is shown."""
    if not value:
        return ""
    value = str(value)
    return value if len(value) <= length else value[:length] + "…"


def masked(field: str, value):
    """A value of `field` as it may be shown: `opaque` for a secret-looking field, else unchanged."""
    return opaque(value) if field in OPAQUE_FIELDS and isinstance(value, str) else value


def short_text(value, field: str = "", limit: int | None = None) -> str:
    """A stored (JSON) value of `field` as one line of at most `limit` characters: a choice by its label, an
    unscored heat as "not scored", a list of names as the names, anything else as JSON; "—" for nothing."""
    value = masked(field, value)
    if value is None:
        text = "—"
    elif is_unscored(field, value):
        text = NOT_SCORED
    elif isinstance(value, str):
        text = LABELS.get(field, {}).get(value, value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = ", ".join(value) or "—"
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
