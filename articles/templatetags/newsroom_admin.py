"""The admin's own tags: `{% recent_changes 10 as entries %}`, the admin index's "Recent actions" from our audit
trail, as Django's own `{% get_admin_log %}` reads its LogEntry table (which the admin here never writes: the
audit is the history); `{% article_result_list cl %}`, the changelist's rows (`articles.admin_rows`)."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_list

from articles import admin_rows, selectors

register = template.Library()


@register.simple_tag
def recent_changes(limit: int = 10) -> list:
    return selectors.recent_changes(limit=limit)


@register.inclusion_tag("admin/change_list_results.html")
def article_result_list(cl) -> dict:
    """Django's `{% result_list cl %}`, its rows printed by `admin_rows` where it can."""
    return admin_rows.result_list_context(cl) or result_list(cl)
