"""`{% recent_changes 10 as entries %}`: the admin index's "Recent actions" from our audit trail, as Django's own
`{% get_admin_log %}` reads its LogEntry table (which the admin here never writes: the audit is the history)."""

from django import template

from articles import selectors

register = template.Library()


@register.simple_tag
def recent_changes(limit: int = 10) -> list:
    return selectors.recent_changes(limit=limit)
