"""The editorial admin: the review queue for power users, plus import runs and the audit trail.

Every editorial write here (change form, actions, undo) goes
through `articles.editorial`, so it is permission-checked, version-checked and
audited exactly like the dashboard's. Imported data (text, provider, topics,
images, related) is read-only: the importer owns it. The lists are built for a
large table (`articles.admin_lists`, `articles.admin_dates`): related rows are
joined or fetched in one query, provider and topic filters search instead of
listing every choice, and an unfiltered list is never counted row by row.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from . import editorial, selectors, timestamps
from .admin_dates import DrillDownImportRuns, DrillDownQuerySet
from .admin_lists import (
    AutocompleteFilter, CheckedParametersAdmin, DeclaredLookupsChangeList, IndexedValuesFilter, LargeTableAdmin,
    ReadOnlyAdmin, ReadOnlyInline, titled,
)
from .display import opaque, short_text
from .editorial import EditConflict
from .forms import ArticleAdminForm
from .models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, Provider, RelatedArticle, Topic
from .throttling import ThrottledAdminAuthenticationForm
from .urlnorm import link_url

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "Newsroom administration"
admin.site.site_title = "Newsroom admin"
admin.site.enable_nav_sidebar = False  # its column would leave the article list too narrow for its columns

SOURCE = AuditEntry.Source.ADMIN
HISTORY_ROWS = 20
IMPORT_ERRORS_SHOWN = 500
STYLE = "articles/admin.css"


# columns -------------------------------------------------------------------------------


def safe_link(url: str):
    """A link to what `link_url` renders for `url`; otherwise the stored text, escaped by the caller."""
    href = link_url(url)
    if href:
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', href, href)
    return url


def thumbnail_html(url: str | None, *, width: int = 64, height: int = 40):
    src = link_url(url)
    if not src:
        return ""
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" loading="lazy" referrerpolicy="no-referrer">', src, width, height
    )


def shown_timestamp(value: dt.datetime | None, empty: str):
    """A DateTimeField value as the admin prints one (local time, localized), in UTC where local time would leave
    a datetime's range: Django's own display raises there."""
    return formats.localize(timestamps.shown(value)) if value is not None else empty


# list filters ---------------------------------------------------------------------------


class ProviderFilter(AutocompleteFilter):
    title = "provider"
    parameter_name = "provider_id"
    field_name = "provider"

    def filter_by(self, queryset, value: int):
        return queryset.filter(provider_id=value)


class TopicFilter(AutocompleteFilter):
    title = "topic"
    parameter_name = "topic_id"
    field_name = "topics"

    def filter_by(self, queryset, value: int):
        return queryset.filter(Exists(ArticleTopic.objects.filter(article=OuterRef("pk"), topic_id=value)))


# inlines --------------------------------------------------------------------------------


class ArticleImageInline(ReadOnlyInline):
    model = ArticleImage
    fields = ["position", "preview", "link", "width", "height", "title", "is_cached"]
    readonly_fields = fields

    @admin.display(description="")
    def preview(self, image):
        return thumbnail_html(image.url, width=96, height=60)

    @admin.display(description="URL")
    def link(self, image):
        return safe_link(image.url)


class RelatedArticleInline(ReadOnlyInline):
    model = RelatedArticle
    verbose_name = "related article"
    fields = ["position", "title", "link", "published", "type", "provider_name", "quality"]
    readonly_fields = fields

    @admin.display(description="published date time")
    def published(self, related):
        return shown_timestamp(related.published_date_time, self.get_empty_value_display())

    @admin.display(description="Web URL")
    def link(self, related):
        return safe_link(related.web_url or "")

    @admin.display(description="Provider")
    def provider_name(self, related):
        provider = related.provider if isinstance(related.provider, dict) else {}
        return provider.get("name") or provider.get("domain") or ""


# articles -------------------------------------------------------------------------------


class ArticleChangeList(DeclaredLookupsChangeList):
    """Rows leave the long texts behind."""

    LONG_TEXTS = ("excerpt", "body", "extra_yaml", "featured_content", "secured", "source_keys", "source_file")

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*self.LONG_TEXTS)


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin, CheckedParametersAdmin):
    list_display = [
        "headline", "provider", "published", "status", "quality", "heat", "flags",
    ]
    list_display_links = ["headline"]
    list_filter = [
        "status", ("type", IndexedValuesFilter), ("category", IndexedValuesFilter), ProviderFilter, TopicFilter,
        ("is_possible_duplicate", titled(admin.BooleanFieldListFilter, "possible duplicate")),
        ("changed_since_review", titled(admin.BooleanFieldListFilter, "changed since review")),
    ]
    list_select_related = ["provider"]
    list_per_page = 50
    search_fields = ["title", "excerpt", "provider__name"]
    search_help_text = "Searches titles, excerpts and provider names."
    date_hierarchy = "published_date_time"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["publish_selected", "unpublish_selected", "reject_selected"]
    form = ArticleAdminForm
    inlines = [ArticleImageInline, RelatedArticleInline]
    fieldsets = [
        (None, {"fields": ["title", "excerpt", ("quality", "heat", "status"), "version"]}),
        ("Review", {"fields": [
            ("reviewed_by", "reviewed_at"), ("published_by", "published_at"), ("current_version", "edited_fields"),
            ("changed_since_review", "is_possible_duplicate"), "duplicate_links",
        ]}),
        ("History", {"fields": ["audit_history"]}),
        ("Source", {"fields": [
            "provider", "topic_list", "category", "type", "published", "links", "featured_content",
            "secured_value", "source_key", "source_file", ("imported_at", "updated_at"),
        ]}),
    ]
    readonly_fields = [
        "title", "reviewed_by", "reviewed_at", "published_by", "published_at", "current_version", "edited_fields",
        "changed_since_review", "is_possible_duplicate", "duplicate_links", "audit_history", "provider",
        "topic_list", "category", "type", "published", "links", "featured_content", "secured_value",
        "source_key", "source_file", "imported_at", "updated_at",
    ]

    # permissions -----------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = DrillDownQuerySet(self.model)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def has_add_permission(self, request):
        return False  # articles come from the importer

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm(editorial.PUBLISH_PERMISSION)

    def get_readonly_fields(self, request, obj=None):
        if self.has_publish_permission(request):
            return self.readonly_fields
        return [*self.readonly_fields, "status"]

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "version"]})
                for name, options in self.fieldsets]

    # the list -----------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    @property
    def media(self):
        provider = Article._meta.get_field("provider")
        return super().media + AutocompleteSelect(provider, self.admin_site).media + forms.Media(css={"all": [STYLE]})

    def action_checkbox(self, article):
        """Django's row checkbox, the same HTML printed directly rather than through a widget template per row
        (measured: docs/PERFORMANCE.md)."""
        label = format_html(gettext("Select this object for an action - {}"), str(article))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, article.pk, label,
        )

    @admin.display(description="Title", ordering="title")
    def headline(self, article):
        """The title on at most two lines (admin.css); the whole of it on hover."""
        return format_html('<span title="{}">{}</span>', article.title, article.title)

    @admin.display(description="Published", ordering="published_date_time")
    def published(self, article):
        return shown_timestamp(article.published_date_time, self.get_empty_value_display())

    @admin.display(description="Flags")
    def flags(self, article):
        """Possible duplicate and changed since review in one column: two boolean columns cost a column's
        rendering each on every row, for a flag most rows do not have (the list filters select either)."""
        return ", ".join(label for flag, label in (
            (article.is_possible_duplicate, "possible duplicate"), (article.changed_since_review, "changed"),
        ) if flag)

    # the change form's read-only parts --------------------------------------------------------

    @admin.display(description="Topics")
    def topic_list(self, article):
        return ", ".join(link.topic.name for link in article.topic_links.select_related("topic"))

    @admin.display(description="Links")
    def links(self, article):
        urls = [
            ("Web", article.web_url), ("Original", article.original_url),
            ("AMP", article.amp_web_url), ("CDN AMP", article.cdn_amp_web_url),
        ]
        return format_html_join(mark_safe("<br>"), "{}: {}", ((label, safe_link(url)) for label, url in urls if url))

    @admin.display(description="Secured")
    def secured_value(self, article):
        """Opaque, shown as the review page shows it: its first characters and its length."""
        if not article.secured:
            return "—"
        return format_html(
            '<code title="Opaque value, kept verbatim">{}</code> ({} characters)', opaque(article.secured),
            len(article.secured),
        )

    @admin.display(description="Possible duplicates of")
    def duplicate_links(self, article):
        others = article.duplicates.only("pk", "title").order_by("pk")
        return format_html_join(
            mark_safe("<br>"), '<a href="{}">{}</a>',
            ((reverse("admin:articles_article_change", args=[other.pk]), other.title) for other in others),
        ) or "—"

    @admin.display(description="Latest changes")
    def audit_history(self, article):
        return render_to_string("articles/includes/audit_history.html", {
            "history": selectors.audit_history(article, limit=HISTORY_ROWS),
            "all_changes_url": self.history_url(article.pk),
        })

    @admin.display(description="Version")
    def current_version(self, article):
        return article.version

    @admin.display(description="Editor fields")
    def edited_fields(self, article):
        """The fields editors changed, which a re-import leaves alone."""
        return short_text(article.editor_fields, "editor_fields")

    # writes: all through the editorial service ------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = form.edits()
        if not changes:
            return
        result = editorial.update_article(
            obj.pk, user=request.user, source=SOURCE, changes=changes,
            expected_version=form.cleaned_data["version"],
        )
        if result.count:
            self.report(request, result)

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited here: topics, images and related articles belong to the importer."""

    def construct_change_message(self, request, form, formsets, add=False):
        return []

    def log_change(self, request, obj, message):
        """The audit trail is the history; an admin LogEntry would only duplicate it."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except EditConflict as conflict:  # someone saved between the form's check and ours
            self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def history_view(self, request, object_id, extra_context=None):
        return HttpResponseRedirect(self.history_url(object_id))

    @admin.action(description="Publish selected articles", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.PUBLISHED)

    @admin.action(description="Unpublish selected articles (back to awaiting review)", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.AWAITING_REVIEW)

    @admin.action(description="Reject selected articles", permissions=["publish"])
    def reject_selected(self, request, queryset):
        self.set_status(request, queryset, Article.Status.REJECTED)

    def set_status(self, request, queryset, status: str) -> None:
        result = editorial.bulk_set_status(queryset, status=status, user=request.user, source=SOURCE)
        self.report(request, result)

    def report(self, request, result: editorial.ChangeResult) -> None:
        if not result.count:
            self.message_user(request, result.message, messages.WARNING)
            return
        undo_url = reverse("admin:articles_article_undo", args=[result.batch])
        self.message_user(request, format_html('{} <a href="{}">Undo</a>', result.message, undo_url), messages.SUCCESS)

    # undo ---------------------------------------------------------------------------------

    def get_urls(self):
        undo = path("undo/<slug:batch>/", self.admin_site.admin_view(self.undo_view), name="articles_article_undo")
        return [undo, *super().get_urls()]

    def undo_view(self, request, batch: str):
        """GET: what undoing would put back. POST: undo it through the service."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:articles_article_changelist")
        if request.method == "POST":
            try:
                self.report(request, editorial.undo(batch, user=request.user, source=SOURCE))
            except EditConflict as conflict:
                self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(changelist)
        entries = AuditEntry.objects.filter(batch=batch).select_related("article", "user").order_by("id")
        context = {
            **self.admin_site.each_context(request),
            "title": "Undo this change?",
            "opts": self.opts,
            "entries": [
                (entry, *(short_text(value, entry.field, 80) for value in (entry.new_value, entry.old_value)))
                for entry in entries[:HISTORY_ROWS * 5]
            ],
            "total": entries.count(),
            "changelist_url": changelist,
        }
        return TemplateResponse(request, "admin/articles/article/undo.html", context)

    @staticmethod
    def history_url(article_id) -> str:
        return f"{reverse('admin:articles_auditentry_changelist')}?article__id__exact={article_id}"


# the rest -------------------------------------------------------------------------------


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ["name", "domain", "key"]
    search_fields = ["name", "domain", "key"]
    show_full_result_count = False


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    show_full_result_count = False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    def get_queryset(self, request):
        queryset, ordering = DrillDownImportRuns(self.model), self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    list_display = [
        "started_at", "finished_at", "status", "dry_run", "files", "created", "updated", "unchanged", "rejected",
        "error_count",
    ]
    list_filter = ["status", "dry_run"]
    date_hierarchy = "started_at"
    fields = [
        ("started_at", "finished_at"), ("status", "dry_run"), "arguments", "summary", "error_table",
    ]
    readonly_fields = ["started_at", "finished_at", "status", "dry_run", "arguments", "summary", "error_table"]

    @admin.display(description="Errors")
    def error_count(self, run):
        return max(run.rejected, len(run.errors or []))

    @admin.display(description="Errors")
    def error_table(self, run):
        errors = [error for error in run.errors or [] if isinstance(error, dict)]
        if not errors:
            return "None."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("path", ""), e.get("line") or "", e.get("message", "")) for e in errors[:IMPORT_ERRORS_SHOWN]),
        )
        hidden = max(run.rejected, len(errors)) - min(len(errors), IMPORT_ERRORS_SHOWN)  # the log keeps the first ones
        more = f"… and {hidden} more." if hidden else ""
        return format_html(
            "<table><thead><tr><th>File</th><th>Line</th><th>Problem</th></tr></thead><tbody>{}</tbody></table>{}",
            rows, more,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(LargeTableAdmin, ReadOnlyAdmin):
    id_lookups = ("article__id__exact",)  # an article's history (ArticleAdmin.history_url)
    list_display = ["at", "article_link", "who", "source", "action", "field", "old", "new", "batch"]
    list_filter = ["source", "action", "field"]
    list_select_related = ["article", "user"]
    search_fields = ["=batch", "article__title", "user__username"]
    search_help_text = "Searches article titles, usernames, or an exact batch id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = ["at", "article_link", "who", "source", "action", "field", "old", "new", "batch", "version"]
    readonly_fields = fields

    @admin.display(description="Article", ordering="article")
    def article_link(self, entry):
        url = reverse("admin:articles_article_change", args=[entry.article_id])
        return format_html('<a href="{}">{}</a>', url, short_text(entry.article.title, limit=60))

    @admin.display(description="Who", ordering="user")
    def who(self, entry):
        return entry.user.get_username() if entry.user else entry.get_source_display()

    @admin.display(description="Old value")
    def old(self, entry):
        return short_text(entry.old_value, entry.field, 80)

    @admin.display(description="New value")
    def new(self, entry):
        return short_text(entry.new_value, entry.field, 80)
