"""The news item schema: which front matter key lives in which column. Shared by import and export."""

# Top-level scalar keys we model, in the pipeline's order, with their Article column.
SCALAR_FIELDS = {
    "category": "category",
    "title": "title",
    "excerpt": "excerpt",
    "publishedDateTime": "published_date_time",
    "originalUrl": "original_url",
    "webUrl": "web_url",
    "ampWebUrl": "amp_web_url",
    "cdnAmpWebUrl": "cdn_amp_web_url",
    "type": "type",
    "quality": "quality",
    "heat": "heat",
    "published": "status",
    "featuredContent": "featured_content",
    "secured": "secured",
}
# Top-level keys held in related tables.
COLLECTION_KEYS = ("provider", "topics", "images", "related")
MODELLED_KEYS = frozenset(SCALAR_FIELDS) | frozenset(COLLECTION_KEYS)
# Where a key an editor added (absent from the source) goes on export: the pipeline's order.
CANONICAL_ORDER = (
    "category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl",
    "type", "quality", "heat", "published", "featuredContent", "provider", "topics", "images", "related", "secured",
)

URL_KEYS = ("originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl")
LINK_KEYS = ("originalUrl", "webUrl")  # the item's own link: must name its host
STRING_KEYS = ("category", "title", "excerpt", "type", "featuredContent", "secured")
INTEGER_KEYS = ("quality", "heat")

# Nested mappings: known keys in the order they are written back.
IMAGE_FIELDS = {"url": "url", "width": "width", "height": "height", "title": "title", "isCached": "is_cached"}
RELATED_FIELDS = {
    "title": "title",
    "excerpt": "excerpt",
    "publishedDateTime": "published_date_time",
    "webUrl": "web_url",
    "ampWebUrl": "amp_web_url",
    "cdnAmpWebUrl": "cdn_amp_web_url",
    "type": "type",
    "provider": "provider",
    "quality": "quality",
    "images": "images",
}
PROVIDER_KEYS = ("name", "domain", "images")

# Article statuses (models.Article.Status gives them labels); a file's `published` key maps to the first two.
PUBLISHED = "published"
AWAITING_REVIEW = "awaiting"
REJECTED = "rejected"

# Article columns an editor may change, and so that re-import must respect.
EDITABLE_FIELDS = ("excerpt", "quality", "heat", "status")

INT32 = (-(2**31), 2**31 - 1)
