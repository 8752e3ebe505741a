"""Stored values as a person reads them in one line: audit old and new values, field lists, opaque secrets.

The review page (through the `as_text` and `opaque` template filters), the admin and the editorial service's
conflict messages all print values here, so a status reads "Awaiting review" everywhere, never "awaiting".
"""

import json
from typing import Any

from django.utils import timezone

from .models import Article, AuditEntry
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


# an editor's change, in words (conflict and result messages) --------------------------------------


def quoted(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1] + '…' if len(text) > limit else text}”"


def joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def actor(entry: AuditEntry) -> str:
    if entry.user is not None:
        return entry.user.get_full_name() or entry.user.get_username()
    return {"import": "An import", "command": "A command", "rule": "An ingest rule"}.get(entry.source, "Someone")


def moment(at) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {local:%Y-%m-%d} at {local:%H:%M}"


def change_phrase(entry: AuditEntry) -> str:
    return f"{entry.field} from {value_phrase(entry.field, entry.old_value)} to {value_phrase(entry.field, entry.new_value)}"


def value_phrase(field: str, value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)) or (isinstance(value, str) and value in LABELS.get(field, {})):
        return short_text(value, field)
    return quoted(short_text(value, field), limit=40)
