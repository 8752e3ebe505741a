"""The news item schema: which front matter key lives in which column. Shared by import and export."""

import datetime as dt

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
TEXT_KEYS = ("category", "title", "excerpt", "type")  # a number or date written there is taken as its text
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
MAX_ID = 2**63 - 1  # the primary keys' range (BigAutoField)

# A heat the pipeline did not give is written -1; any negative heat reads "not scored". Quality has no such value.
UNSCORED_HEAT = -1
NOT_SCORED = "not scored"


def is_unscored(field: str, value) -> bool:
    """Whether `value` of the score `field` ("quality" or "heat") means "not scored"."""
    return field == "heat" and isinstance(value, int) and value < 0

# Limits a file is held to before any database sees it, so that SQLite and PostgreSQL accept the same items
# (README: "What is refused, and why").
# PostgreSQL's B-tree index on lower(title) takes entries of at most 2,704 bytes; SQLite has no such limit.
# 600 characters of at most 4 UTF-8 bytes each stay under it.
MAX_TITLE_LENGTH = 600
# varchar(255) (category, provider name and domain, topic names) and varchar(64) (type) columns:
# PostgreSQL refuses longer text, SQLite stores it.
MAX_NAME_LENGTH = 255
MAX_TYPE_LENGTH = 64
# Topics, images and related items are rows numbered by a smallint position (at most 32,767 on PostgreSQL,
# unbounded on SQLite); no real item comes near a thousand, and a page must still show them all.
MAX_TOPICS = 1000
MAX_IMAGES = 1000
MAX_RELATED = 1000
# Timestamps the columns hold: a day inside Python's range at each end, so that showing one in any time
# zone cannot overflow.
EARLIEST_TIMESTAMP = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
LATEST_TIMESTAMP = dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
