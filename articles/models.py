"""The article schema, and the editorial state kept beside the imported data.

Imported columns mirror the front matter of a news item file (see
`articles.frontmatter`). Absent keys are remembered through `source_keys`, so
an item exported again carries exactly the keys it came with (plus any an
editor set). Keys we do not model travel in `extra_yaml`, verbatim.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from . import schema
from .lookups import Among

models.BigAutoField.register_lookup(Among)  # id__among=[...]


class Provider(models.Model):
    """A news source, identified by its domain (its name when it has none).

    Name and logos are those of the first item that named the provider; an item
    whose provider mapping differs keeps its own copy (`Article.provider_variant`).
    """

    key = models.CharField(max_length=255, unique=True, help_text="Domain, lower-cased; the name when there is no domain.")
    name = models.CharField(max_length=255, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    mapping = models.JSONField(default=dict, help_text="The provider mapping as first imported (name, domain, images, ...).")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.domain

    @property
    def logos(self) -> list[dict]:
        return [image for image in self.mapping.get("images") or [] if isinstance(image, dict)]


class Topic(models.Model):
    name = models.CharField(max_length=255, unique=True)
    slug = models.SlugField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet):
    def awaiting_review(self):
        return self.filter(status=Article.Status.AWAITING_REVIEW)

    def published(self):
        return self.filter(status=Article.Status.PUBLISHED)

    def rejected(self):
        return self.filter(status=Article.Status.REJECTED)


class Article(models.Model):
    class Status(models.TextChoices):
        AWAITING_REVIEW = schema.AWAITING_REVIEW, "Awaiting review"
        PUBLISHED = schema.PUBLISHED, "Published"
        REJECTED = schema.REJECTED, "Rejected"

    # --- identity and provenance -------------------------------------------------
    source_key = models.CharField(max_length=255, unique=True, help_text="File name without extension.")
    source_file = models.TextField(help_text="Path of the file the item was last imported from.")
    content_hash = models.CharField(max_length=64, help_text="BLAKE2b of the file's bytes, to skip unchanged files.")
    source_keys = models.JSONField(default=list, help_text="Top-level keys of the source, in their order.")
    extra_yaml = models.TextField(blank=True, default="", help_text="Keys we do not model, as YAML, in source order.")

    # --- imported data -----------------------------------------------------------
    category = models.CharField(max_length=255, blank=True, default="")
    title = models.TextField()
    excerpt = models.TextField(blank=True, default="")
    published_date_time = models.DateTimeField(null=True, blank=True)
    published_date_time_raw = models.CharField(
        max_length=64, blank=True, default="", help_text="The timestamp as written in the source, for a faithful export."
    )
    original_url = models.TextField(blank=True, default="")
    web_url = models.TextField(blank=True, default="")
    amp_web_url = models.TextField(blank=True, default="")
    cdn_amp_web_url = models.TextField(blank=True, default="")
    type = models.CharField(max_length=64, blank=True, default="")
    quality = models.IntegerField(default=0)
    heat = models.IntegerField(default=-1, help_text="-1 means not scored.")
    featured_content = models.TextField(blank=True, default="", help_text="Raw embed HTML from the source; never rendered as-is.")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="articles")
    provider_variant = models.JSONField(
        null=True, blank=True, help_text="This item's own provider mapping, when it differs from the provider's."
    )
    topics = models.ManyToManyField(Topic, through="ArticleTopic", related_name="articles", blank=True)
    secured = models.TextField(blank=True, default="", help_text="Opaque; kept verbatim, never shown publicly.")
    body = models.TextField(blank=True, default="", help_text="Markdown after the front matter, verbatim.")

    # --- editorial state ---------------------------------------------------------
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING_REVIEW)
    editor_fields = models.JSONField(default=list, blank=True, help_text="Fields an editor changed; re-import keeps them.")
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every change, for conflict detection.")
    changed_since_review = models.BooleanField(default=False)
    is_possible_duplicate = models.BooleanField(default=False)
    duplicates = models.ManyToManyField("self", symmetrical=True, blank=True)
    web_url_key = models.CharField(max_length=40, blank=True, default="", help_text="SHA-1 of the canonical webUrl.")
    original_url_key = models.CharField(max_length=40, blank=True, default="", help_text="SHA-1 of the canonical originalUrl.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    needs_attention = models.BooleanField(default=False, help_text="Marked for an editor's attention (by a rule or an editor).")

    # --- story clusters (articles.clustering) --------------------------------------
    cluster = models.ForeignKey(
        "StoryCluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="members",
        help_text="The story this article reports, with the other providers' items on it.",
    )
    folded_into_cluster = models.BooleanField(
        default=False, help_text="A member other than its cluster's lead: the queue's one-row-per-story view folds it.",
    )
    cluster_set_by_editor = models.BooleanField(
        default=False, help_text="An editor took it out of a cluster or joined clusters: clustering leaves it there.",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_date_time", "-id"]
        permissions = [("publish_article", "Can publish, unpublish and reject articles")]
        indexes = [
            models.Index(fields=["status", "-heat", "-id"], name="article_status_heat_id"),
            models.Index(fields=["status", "-quality", "-id"], name="article_status_quality_id"),
            models.Index(fields=["status", "-published_date_time", "-id"], name="article_status_published_id"),
            models.Index(fields=["status", "-imported_at", "-id"], name="article_status_imported_id"),
            models.Index(fields=["-heat", "-id"], name="article_heat_id"),
            models.Index(fields=["-quality", "-id"], name="article_quality_id"),
            models.Index(fields=["-published_date_time", "-id"], name="article_published_id"),
            models.Index(fields=["-imported_at", "-id"], name="article_imported_id"),
            models.Index(fields=["provider", "-published_date_time", "-id"], name="article_provider_published_id"),
            models.Index(fields=["type"], name="article_type"),
            models.Index(fields=["category"], name="article_category"),
            models.Index(fields=["web_url_key"], name="article_web_url_key"),
            models.Index(fields=["original_url_key"], name="article_original_url_key"),
            models.Index(
                fields=["changed_since_review"], name="article_changed_since_review",
                condition=models.Q(changed_since_review=True),
            ),
            models.Index(
                fields=["is_possible_duplicate"], name="article_possible_duplicate",
                condition=models.Q(is_possible_duplicate=True),
            ),
            models.Index(Lower("title"), name="article_title_lower"),
            models.Index(
                fields=["needs_attention"], name="article_needs_attention", condition=models.Q(needs_attention=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("articles:review", args=[self.pk])

    @property
    def provider_mapping(self) -> dict | None:
        """The provider exactly as this item's source gave it."""
        if self.provider_variant is not None:
            return self.provider_variant
        return self.provider.mapping if self.provider_id else None

    @property
    def url(self) -> str:
        return self.web_url or self.original_url


class ArticleTopic(models.Model):
    """An article's topics, in the order the source lists them, then those ingest rules added."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="article_links")
    position = models.PositiveSmallIntegerField()
    added_by_rule = models.BooleanField(
        default=False, help_text="An ingest rule added it, not the source: a re-import of a changed file keeps it.",
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["article", "position"], name="article_topic_position")]
        indexes = [models.Index(fields=["topic", "article"], name="articletopic_topic_article")]


class ArticleImage(models.Model):
    """One of an article's images, in source order. NULL columns were absent in the source."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField()
    url = models.TextField()
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    title = models.TextField(null=True, blank=True)
    is_cached = models.BooleanField(null=True, blank=True)
    extra_yaml = models.TextField(blank=True, default="", help_text="Keys we do not model, as YAML.")

    class Meta:
        ordering = ["article", "position"]
        constraints = [models.UniqueConstraint(fields=["article", "position"], name="article_image_position")]

    def __str__(self) -> str:
        return self.url


class RelatedArticle(models.Model):
    """An item the source lists under `related`, in order. NULL columns were absent in the source."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related")
    position = models.PositiveSmallIntegerField()
    title = models.TextField(null=True, blank=True)
    excerpt = models.TextField(null=True, blank=True)
    published_date_time = models.DateTimeField(null=True, blank=True)
    published_date_time_raw = models.CharField(max_length=64, blank=True, default="")
    web_url = models.TextField(null=True, blank=True)
    amp_web_url = models.TextField(null=True, blank=True)
    cdn_amp_web_url = models.TextField(null=True, blank=True)
    type = models.CharField(max_length=64, null=True, blank=True)
    provider = models.JSONField(null=True, blank=True, help_text="The related item's provider mapping, verbatim.")
    quality = models.IntegerField(null=True, blank=True)
    images = models.JSONField(null=True, blank=True, help_text="The related item's images, verbatim.")
    extra_yaml = models.TextField(blank=True, default="", help_text="Keys we do not model, as YAML.")
    web_url_key = models.CharField(max_length=40, blank=True, default="", db_index=True)

    class Meta:
        ordering = ["article", "position"]
        constraints = [models.UniqueConstraint(fields=["article", "position"], name="related_article_position")]

    def __str__(self) -> str:
        return self.title or self.web_url or ""


class StoryCluster(models.Model):
    """Articles that report the same story, from any provider; `lead` is the one the queue shows for all."""

    lead = models.ForeignKey("Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    size = models.PositiveIntegerField(default=0, help_text="Number of member articles.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Story {self.pk} ({self.size} articles)"


class ClusterBand(models.Model):
    """One locality-sensitive hash band of an article's title and excerpt: articles sharing a band are candidates
    for the same cluster, found through the index instead of by comparing with every article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="cluster_bands")
    band = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["band", "article"], name="clusterband_band_article")]


class IngestRule(models.Model):
    """An editor's rule, run in `position` order on imported articles: when every condition given holds,
    its actions apply (audited with the rule as actor); `stop_here` skips the rules after it."""

    class WordsIn(models.TextChoices):
        TITLE = "title", "Title"
        EXCERPT = "excerpt", "Excerpt"
        EITHER = "either", "Title or excerpt"

    class StatusAction(models.TextChoices):
        NONE = "", "Leave the status"
        PUBLISH = "publish", "Publish"
        REJECT = "reject", "Reject"

    position = models.PositiveIntegerField(default=0, db_index=True)
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=False)
    apply_to_changed = models.BooleanField(
        default=False, help_text="Also run on articles a re-import changed (never on what an editor decided)."
    )
    # conditions: every one given must hold; an empty one matches everything
    providers = models.JSONField(default=list, blank=True, help_text="Provider keys (domains).")
    categories = models.JSONField(default=list, blank=True)
    types = models.JSONField(default=list, blank=True)
    topics = models.JSONField(default=list, blank=True, help_text="Topic names; any one of them.")
    words = models.TextField(
        blank=True, default="", help_text='Whole words or "quoted phrases"; any one of them. Not a regular expression.'
    )
    words_in = models.CharField(max_length=16, choices=WordsIn.choices, default=WordsIn.EITHER)
    quality_min = models.IntegerField(null=True, blank=True)
    quality_max = models.IntegerField(null=True, blank=True)
    heat_min = models.IntegerField(null=True, blank=True)
    heat_max = models.IntegerField(null=True, blank=True)
    # actions
    status_action = models.CharField(max_length=16, choices=StatusAction.choices, default=StatusAction.NONE, blank=True)
    set_quality = models.IntegerField(null=True, blank=True)
    set_heat = models.IntegerField(null=True, blank=True)
    add_topic = models.CharField(max_length=255, blank=True, default="")
    mark_for_attention = models.BooleanField(default=False)
    stop_here = models.BooleanField(default=False, help_text="When this rule matches, the rules after it do not run.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        permissions = [("manage_rules", "Can add, change, reorder and apply ingest rules")]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """One changed field of one article: who (a user, or a rule), when, from where, old and new value."""

    class Source(models.TextChoices):
        DASHBOARD = "dashboard", "Dashboard"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"
        IMPORT = "import", "Import"
        RULE = "rule", "Ingest rule"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="audit_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    action = models.CharField(max_length=32, help_text="publish, unpublish, reject, edit, undo, reimport, ...")
    field = models.CharField(max_length=64)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    batch = models.CharField(max_length=32, blank=True, default="", help_text="Groups the entries of one action, for undo.")
    version = models.PositiveIntegerField(default=0, help_text="The article's version after this change.")
    rule = models.ForeignKey(
        IngestRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The rule that made it."
    )
    import_run = models.ForeignKey(
        "ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The import run during which a rule made it.",
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["article", "-at"], name="audit_article_at"),
            models.Index(fields=["batch"], name="audit_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.field} of article {self.article_id}"


class ImportRun(models.Model):
    """One run of `import_articles`: what it was asked, what it did, which files failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        INTERRUPTED = "interrupted", "Interrupted"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    arguments = models.JSONField(default=dict)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    files = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="One {path, line, message} per rejected file.")
    skipped = models.PositiveIntegerField(default=0, help_text="Entries that were not files to read (FIFOs, links out).")
    warnings = models.JSONField(default=list, blank=True, help_text="Why each skipped entry was left out.")
    failure = models.TextField(blank=True, default="", help_text="Why and where a failed run stopped.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Import of {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def summary(self) -> str:
        return self.describe_counts(self)

    @staticmethod
    def describe_counts(counts) -> str:
        """The summary line of a run, or of an import still counting (`import_log.ImportSummary`)."""
        line = (
            f"{counts.files} files: {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {counts.rejected} rejected"
        )
        return line + (f", {counts.skipped} skipped" if counts.skipped else "")
