"""The editorial admin: the review queue for power users, plus import runs and the audit trail.

Every editorial write here (change form, list_editable, actions, undo) goes
through `articles.editorial`, so it is permission-checked, version-checked and
audited exactly like the dashboard's. Imported data (text, provider, topics,
images, related) is read-only: the importer owns it. The lists are built for a
large table (`articles.admin_lists`, `articles.admin_dates`): related rows are
joined or fetched in one query, provider and topic filters search instead of
listing every choice, and an unfiltered list is never counted row by row.
"""

import datetime as dt
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from . import editorial, selectors, timestamps
from .admin_dates import DrillDownImportRuns, DrillDownQuerySet
from .admin_lists import (
    AutocompleteFilter, CheckedParametersAdmin, DeclaredLookupsChangeList, IndexedValuesFilter, LargeTableAdmin,
    ReadOnlyAdmin, ReadOnlyInline, is_id, titled,
)
from .admin_rendering import FastChangelistWidgets
from .display import opaque, short_text
from .editorial import EditConflict
from .models import Article, ArticleImage, ArticleTopic, AuditEntry, ImportRun, Provider, RelatedArticle, Topic
from .schema import EDITABLE_FIELDS
from .throttling import ThrottledAdminAuthenticationForm
from .urlnorm import link_url

admin.site.login_form = ThrottledAdminAuthenticationForm
admin.site.site_header = "Newsroom administration"
admin.site.site_title = "Newsroom admin"

SOURCE = AuditEntry.Source.ADMIN
HISTORY_ROWS = 20
IMPORT_ERRORS_SHOWN = 500


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


# the editorial form ---------------------------------------------------------------------


class VersionField(forms.IntegerField):
    """The article version the editor loaded. It travels with the form but is never a change itself."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


class ExcerptField(forms.CharField):
    """Textareas post CRLF line ends; an excerpt the editor did not touch must not count as an edit."""

    def __init__(self, **kwargs):
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")

    def has_changed(self, initial, data) -> bool:
        return (initial or "").replace("\r\n", "\n") != self.to_python(data)


class EditorialForm(forms.ModelForm):
    """Excerpt, scores and status, plus the version the editor saw (checked before anything is saved).

    Each field also posts the value the editor saw (show_hidden_initial), so a
    change is what the editor typed, not any difference from the database: a
    list_editable row someone else changed meanwhile, and this editor left
    alone, is skipped instead of being written back with the old values.
    """

    seen_version = VersionField(min_value=1)
    can_publish = True

    class Meta:
        model = Article
        fields = list(EDITABLE_FIELDS)
        field_classes = {"excerpt": ExcerptField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("seen_version", self.instance.version)
        for name in EDITABLE_FIELDS:
            if name in self.fields:
                self.fields[name].show_hidden_initial = True
        if not self.can_publish and "status" in self.fields:
            self.fields["status"].disabled = True

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if seen is not None and self.instance.pk and self.has_changed():
            try:
                editorial.check_version(self.instance, expected_version=seen)
            except EditConflict as conflict:
                raise ValidationError(conflict.describe(), code="conflict") from conflict
        return cleaned

    def editorial_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in EDITABLE_FIELDS}


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
    """Rows leave the long texts behind, and get their images in one query for the whole page.

    The images are fetched after the page is cut: a subquery in the SELECT
    would run for every row an OFFSET skips on a deep page.
    """

    LONG_TEXTS = ("excerpt", "body", "extra_yaml", "featured_content", "secured", "source_keys", "source_file")

    def get_queryset(self, request, exclude_parameters=None):
        images = Prefetch("images", ArticleImage.objects.only("article_id", "position", "url"), to_attr="listed_images")
        return super().get_queryset(request, exclude_parameters).defer(*self.LONG_TEXTS).prefetch_related(images)


@admin.register(Article)
class ArticleAdmin(FastChangelistWidgets, LargeTableAdmin, CheckedParametersAdmin):
    list_display = [
        "thumbnail", "title", "provider", "published", "status", "quality", "heat",
        "possible_duplicate", "changed_upstream",
    ]
    list_display_links = ["title"]
    list_editable = ["status", "quality", "heat"]
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
    form = EditorialForm
    inlines = [ArticleImageInline, RelatedArticleInline]
    fieldsets = [
        (None, {"fields": ["title", "excerpt", ("quality", "heat", "status"), "seen_version"]}),
        ("Review", {"fields": [
            ("reviewed_by", "reviewed_at"), ("published_by", "published_at"), ("version", "edited_fields"),
            ("changed_since_review", "is_possible_duplicate"), "duplicate_links",
        ]}),
        ("History", {"fields": ["audit_history"]}),
        ("Source", {"fields": [
            "provider", "topic_list", "category", "type", "published", "links", "featured_content",
            "secured_value", "source_key", "source_file", ("imported_at", "updated_at"),
        ]}),
    ]
    readonly_fields = [
        "title", "reviewed_by", "reviewed_at", "published_by", "published_at", "version", "edited_fields",
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
        return [(name, {**options, "fields": [f for f in options["fields"] if f != "seen_version"]})
                for name, options in self.fieldsets]

    # the list -----------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_changelist_form(self, request, **kwargs):
        if not self.has_publish_permission(request):
            kwargs["form"] = type("ScoresOnlyForm", (EditorialForm,), {"can_publish": False})
        else:
            kwargs.setdefault("form", EditorialForm)
        return super().get_changelist_form(request, **kwargs)

    @property
    def media(self):
        provider = Article._meta.get_field("provider")
        return super().media + AutocompleteSelect(provider, self.admin_site).media

    @admin.display(description="")
    def thumbnail(self, article):
        images = getattr(article, "listed_images", None)
        return thumbnail_html(images[0].url) if images else ""

    @admin.display(description="published date time", ordering="published_date_time")
    def published(self, article):
        return shown_timestamp(article.published_date_time, self.get_empty_value_display())

    @admin.display(description="Duplicate?", boolean=True, ordering="is_possible_duplicate")
    def possible_duplicate(self, article):
        return article.is_possible_duplicate

    @admin.display(description="Changed upstream", boolean=True, ordering="changed_since_review")
    def changed_upstream(self, article):
        return article.changed_since_review

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

    @admin.display(description="Editor fields")
    def edited_fields(self, article):
        """The fields editors changed, which a re-import leaves alone."""
        return short_text(article.editor_fields, "editor_fields")

    # writes: all through the editorial service ------------------------------------------

    def save_model(self, request, obj, form, change):
        changes = form.editorial_changes()
        if not changes:
            return
        result = editorial.update_article(
            obj.pk, user=request.user, source=SOURCE, changes=changes,
            expected_version=form.cleaned_data.get("seen_version"),
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

    def changelist_view(self, request, extra_context=None):
        try:
            if not self.is_list_edit(request):
                return super().changelist_view(request, extra_context)
            with transaction.atomic():
                self.lock_edited_rows(request)
                return super().changelist_view(request, extra_context)
        except EditConflict as conflict:
            self.message_user(request, conflict.describe(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @staticmethod
    def is_list_edit(request) -> bool:
        return request.method == "POST" and "_save" in request.POST

    def lock_edited_rows(self, request) -> None:
        """A list_editable save changes its rows one by one in one transaction, in the list's order: lock them
        all first, in id order as every writer does (`editorial.lock_articles`), so it never deadlocks with an
        import batch or a bulk action holding some of them."""
        ids = [value for name, value in request.POST.items() if re.fullmatch(r"form-\d+-id", name) and is_id(value)]
        if ids:
            list(editorial.lock_articles(Article.objects.filter(pk__in=ids)).values_list("pk", flat=True))

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
        return len(run.errors or [])

    @admin.display(description="Errors")
    def error_table(self, run):
        errors = [error for error in run.errors or [] if isinstance(error, dict)]
        if not errors:
            return "None."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.get("path", ""), e.get("line") or "", e.get("message", "")) for e in errors[:IMPORT_ERRORS_SHOWN]),
        )
        more = f"… and {len(errors) - IMPORT_ERRORS_SHOWN} more." if len(errors) > IMPORT_ERRORS_SHOWN else ""
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
