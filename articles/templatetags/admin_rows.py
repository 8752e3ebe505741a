"""`{% page_result_list cl %}`: Django's `{% result_list cl %}`, its rows worked out a page at a time.

See articles/admin_rendering.py (PageRows); used by templates/admin/articles/article/change_list.html.
"""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from articles.admin_rendering import result_list

register = template.Library()


@register.tag(name="page_result_list")
def page_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="change_list_results.html", takes_context=False
    )
