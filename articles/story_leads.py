"""A story's lead and folded members: what the queue shows for each story cluster.

`refresh_clusters` is the one place a cluster's size, lead and folded members are recomputed, after
clustering (`cluster_index`: import, re-cluster), an editor's story action, or a change to a member's
status or scores (`editorial`) moved who leads it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from django.db.models import Case, IntegerField, Q, Value, When

from .models import Article, StoryCluster

Status = Article.Status


def lead_order_key(member: dict) -> tuple:
    """The lead is the member an editor should read first: one still awaiting review before the decided ones,
    then the best scored, then the first published (the original report), then the first imported."""
    published = member["published_date_time"]
    return (
        member["status"] != Status.AWAITING_REVIEW,
        -member["quality"],
        -member["heat"],
        published is None,
        published.timestamp() if published is not None else 0,
        member["pk"],
    )


def refresh_clusters(cluster_ids: Iterable[int]) -> None:
    """Recomputes size, lead and folded members of `cluster_ids`; a cluster left with fewer than two members
    is dissolved (its last member stands alone again). Callers hold the member rows' locks.

    Writes only what changes: a member row is rewritten when its folded flag flips, a cluster when its lead or
    size moves (an article row is wide and indexed, and most refreshes change one lead or nothing).
    """
    cluster_ids = sorted(set(cluster_ids))
    if not cluster_ids:
        return
    members = defaultdict(list)
    for row in Article.objects.filter(cluster_id__in=cluster_ids).order_by().values(
        "pk", "cluster_id", "status", "quality", "heat", "published_date_time", "folded_into_cluster"
    ):
        members[row["cluster_id"]].append(row)
    dissolved = [cluster_id for cluster_id in cluster_ids if len(members.get(cluster_id, ())) < 2]
    kept = {cluster_id: sorted(rows, key=lead_order_key) for cluster_id, rows in members.items() if len(rows) >= 2}
    if dissolved:
        Article.objects.filter(cluster_id__in=dissolved).update(cluster=None, folded_into_cluster=False)
        StoryCluster.objects.filter(pk__in=dissolved).delete()
    if not kept:
        return
    unfold = [rows[0]["pk"] for rows in kept.values() if rows[0]["folded_into_cluster"]]
    fold = [row["pk"] for rows in kept.values() for row in rows[1:] if not row["folded_into_cluster"]]
    if unfold:
        Article.objects.filter(pk__in=unfold).update(folded_into_cluster=False)
    if fold:
        Article.objects.filter(pk__in=fold).update(folded_into_cluster=True)
    current = {
        pk: (lead_id, size)
        for pk, lead_id, size in StoryCluster.objects.filter(pk__in=list(kept)).values_list("pk", "lead_id", "size")
    }
    changed = {
        cluster_id: rows for cluster_id, rows in kept.items()
        if current.get(cluster_id) != (rows[0]["pk"], len(rows))
    }
    if changed:
        StoryCluster.objects.filter(pk__in=list(changed)).update(
            lead_id=Case(*[When(pk=cluster_id, then=Value(rows[0]["pk"])) for cluster_id, rows in changed.items()],
                         output_field=IntegerField()),
            size=Case(*[When(pk=cluster_id, then=Value(len(rows))) for cluster_id, rows in changed.items()],
                      output_field=IntegerField()),
        )


LEAD_FIELDS = frozenset({"status", "quality", "heat", "cluster"})  # what decides a story's lead (lead_order_key)


def refresh_leads(fields: Iterable[str], cluster_ids: Iterable[int | None]) -> None:
    """Stories' leads again after a change of `fields` on their members: a published lead would hide, in the
    one-row-per-story queue, its story's items still awaiting review."""
    if LEAD_FIELDS.intersection(fields):
        refresh_clusters(cluster_id for cluster_id in cluster_ids if cluster_id is not None)


def with_their_stories(articles: Q) -> Q:
    """`articles` and the other members of their stories: a change may move a story's lead, which writes its
    members' rows (`refresh_leads`), so a writer locks them all at once, in id order, like every lock. The
    stories are read first: an OR with a subquery would make PostgreSQL scan the whole table to lock."""
    stories = Article.objects.filter(articles, cluster__isnull=False).order_by().values_list("cluster_id", flat=True)
    stories = sorted(set(stories))
    return articles | Q(cluster_id__in=stories) if stories else articles


def recreate_clusters(cluster_ids: set[int]) -> None:
    """Undoing a take-out or a join may put articles back into a story dissolved since: its row, under its old id."""
    existing = set(StoryCluster.objects.filter(pk__in=cluster_ids).values_list("pk", flat=True))
    StoryCluster.objects.bulk_create(StoryCluster(pk=pk) for pk in sorted(cluster_ids - existing))
