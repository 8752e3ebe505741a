"""The reads behind the story screens: a queue page's stories, and the story on an article's review page.

One query each, whatever the number of stories on the page: a story's members are read by their cluster id
(an index), never article by article.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .models import Article

MEMBER_FIELDS = (
    "pk", "title", "excerpt", "status", "quality", "heat", "version", "cluster_id", "web_url", "original_url",
    "published_date_time", "provider__key", "provider__name", "provider__domain",
)
FOLDED_FIELDS = ("pk", "title", "status", "cluster_id", "provider__key", "provider__name", "provider__domain")
MEMBER_ORDER = ("-quality", "-heat", "pk")  # the best scored first, as a story's lead is chosen among equals


def story_members(cluster_ids, *, fields=MEMBER_FIELDS) -> dict[int, list[Article]]:
    """The members of each story in `cluster_ids`, best scored first, with their providers."""
    members = defaultdict(list)
    rows = (
        Article.objects.filter(cluster_id__in=sorted(set(cluster_ids)))
        .select_related("provider").only(*fields).order_by(*MEMBER_ORDER)
    )
    for member in rows:
        members[member.cluster_id].append(member)
    return members


def with_story_members(items: list[Article]) -> list[Article]:
    """Gives each row of a queue page `story_others`: the other members of its story (none for an article in
    no story), for the one-row-per-story view's "+N sources"."""
    clustered = [item.cluster_id for item in items if item.cluster_id]
    members = story_members(clustered, fields=FOLDED_FIELDS) if clustered else {}
    for item in items:
        item.story_others = [member for member in members.get(item.cluster_id, ()) if member.pk != item.pk]
    return items


@dataclass(frozen=True)
class Story:
    """An article's story as its review page shows it: every member, and the versions the editor decides on."""

    article: Article
    members: list[Article]

    @property
    def others(self) -> list[Article]:
        return [member for member in self.members if member.pk != self.article.pk]

    @property
    def seen(self) -> list[str]:
        """`id:version` of every member, posted with a decision on the whole story (`editorial_clusters`)."""
        return [f"{member.pk}:{member.version}" for member in self.members]

    @property
    def undecided_others(self) -> int:
        return sum(1 for member in self.others if member.status != Article.Status.REJECTED)


def story_of(article: Article) -> Story | None:
    if article.cluster_id is None:
        return None
    members = story_members([article.cluster_id]).get(article.cluster_id, [])
    if not any(member.pk == article.pk for member in members):  # it left the story after the page's first read
        return None
    return Story(article, members)
