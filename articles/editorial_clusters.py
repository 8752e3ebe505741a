"""The editors' story actions: one decision for a whole story cluster, and the clusters an editor rearranges.

Each action is one audit batch written through `editorial.write_changes`, so `editorial.undo(batch)` restores
it whole, membership included (`cluster` and `cluster_set_by_editor` are audited like any other field).

An editor decides on a story as the review page showed it. The page posts each member's version (`seen`);
the members are locked (id order) and read again, and the action is refused, nothing written, when a member
changed, joined or left since: "reject the rest" must never reject an item the editor has not seen.
Taking an item out or joining two stories checks the version of the item acted on only (its story's other
members are not decided on), and marks the articles placed as `cluster_set_by_editor`: clustering never
moves them again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, JSONField, Q, When

from .display import quoted
from .editorial import (
    CHANGE_PERMISSION, PUBLISH_PERMISSION, ChangeResult, EditConflict, check_source, check_version, json_value,
    lock_articles, new_batch, require, status_json, write_changes,
)
from .models import Article, StoryCluster
from .story_leads import refresh_leads

Status = Article.Status
MEMBER_FIELDS = ("pk", "title", "status", "version", "editor_fields", "cluster_id", "cluster_set_by_editor")
TAKE_OUT, JOIN = "take out of story", "join stories"


class StoryChanged(EditConflict):
    """The story's membership changed after the editor loaded it: the decision was about other items."""

    def __init__(self, article: Article, reason: str):
        self.reason = reason
        super().__init__(article, [], outcome="nothing was changed")

    def describe(self) -> str:
        return f"The story changed since you opened it: {self.reason}; {self.outcome}."


def publish_and_reject_rest(article_id: int, *, user, source: str, seen: dict[int, int]) -> ChangeResult:
    """Publishes `article_id` and rejects every other member of its story not rejected yet: one batch."""
    return _decide_story(article_id, publish_this=True, user=user, source=source, seen=seen)


def reject_story(article_id: int, *, user, source: str, seen: dict[int, int]) -> ChangeResult:
    """Rejects every member of `article_id`'s story not rejected yet: one batch."""
    return _decide_story(article_id, publish_this=False, user=user, source=source, seen=seen)


def take_out_of_story(article_id: int, *, user, source: str, expected_version: int) -> ChangeResult:
    """`article_id` stands alone, for good: clustering never puts it into a story again. A story left with one
    member is dissolved here, audited, so that undo brings both back."""
    check_source(source)
    require(user, CHANGE_PERMISSION)
    with transaction.atomic():
        article, members = _lock_story(article_id)
        check_version(article, expected_version=expected_version)
        if article.cluster_id is None:
            return ChangeResult("", 0, f"{quoted(article.title)} is not part of a story.")
        batch = new_batch()
        count = _place(
            [article], cluster=None, by_editor=True, user=user, source=source, batch=batch, action=TAKE_OUT
        )
        rest = [member for member in members if member.pk != article.pk]
        if len(rest) == 1:
            _place(rest, cluster=None, by_editor=None, user=user, source=source, batch=batch, action=TAKE_OUT)
        refresh_leads(["cluster"], [article.cluster_id])
    return ChangeResult(batch, count, f"Took {quoted(article.title)} out of its story.")


def join_stories(article_id: int, other_id: int, *, user, source: str, expected_version: int) -> ChangeResult:
    """Puts `article_id`'s story (or the article alone) and `other_id`'s into one story, every member marked as
    placed by an editor so that clustering never splits them. The other story keeps its id when it has one."""
    check_source(source)
    require(user, CHANGE_PERMISSION)
    if article_id == other_id:
        raise ValidationError("An article cannot be joined with itself.")
    with transaction.atomic():
        clusters = dict(Article.objects.filter(pk__in=[article_id, other_id]).values_list("pk", "cluster_id"))
        if article_id not in clusters:
            raise Article.DoesNotExist
        if other_id not in clusters:
            raise ValidationError(f"There is no article #{other_id}.")
        this_cluster, other_cluster = clusters[article_id], clusters[other_id]
        everyone = _lock(Q(pk__in=[article_id, other_id]) | Q(cluster_id__in=[c for c in clusters.values() if c]))
        by_id = {member.pk: member for member in everyone}
        article = by_id[article_id]
        check_version(article, expected_version=expected_version)
        if (article.cluster_id, by_id[other_id].cluster_id) != (this_cluster, other_cluster):
            raise StoryChanged(article, "an article moved to another story")
        if this_cluster is not None and this_cluster == other_cluster:
            return ChangeResult("", 0, f"{quoted(article.title)} is already in that story.")
        target = other_cluster or this_cluster or StoryCluster.objects.create().pk
        batch = new_batch()
        count = _place(everyone, cluster=target, by_editor=True, user=user, source=source, batch=batch, action=JOIN)
        refresh_leads(["cluster"], [this_cluster, other_cluster, target])
    return ChangeResult(batch, count, f"Joined the stories: {len(everyone)} articles in story #{target}.")


# deciding a story -------------------------------------------------------------------------


def _decide_story(article_id: int, *, publish_this: bool, user, source: str, seen: dict[int, int]) -> ChangeResult:
    check_source(source)
    require(user, CHANGE_PERMISSION)
    require(user, PUBLISH_PERMISSION)
    with transaction.atomic():
        article, members = _lock_story(article_id)
        if article.cluster_id is None and set(seen) <= {article.pk}:
            raise ValidationError(f"{quoted(article.title)} is not part of a story.")
        _check_seen(article, members, seen)
        batch = new_batch()
        kept = [article] if publish_this else []
        rest = [member for member in members if member not in kept]
        published = _set_status(kept, Status.PUBLISHED, user=user, source=source, batch=batch)
        rejected = _set_status(rest, Status.REJECTED, user=user, source=source, batch=batch)
        refresh_leads(["status"], [article.cluster_id])
    if not published + rejected:
        return ChangeResult("", 0, "Nothing to change: the story is already decided that way.")
    verb = f"Published {quoted(article.title)} and rejected" if publish_this else "Rejected"
    items = f"{rejected} item{'s' if rejected != 1 else ''}"
    return ChangeResult(batch, published + rejected, f"{verb} {items} of the story.")


def _check_seen(article: Article, members: list[Article], seen: dict[int, int]) -> None:
    """Refuses a decision on a story that is not the one the editor saw (see the module's docstring)."""
    current = {member.pk: member for member in members}
    joined = [member for member in members if member.pk not in seen]
    if joined:
        raise StoryChanged(joined[0], f"{quoted(joined[0].title)} joined it")
    left = sorted(set(seen) - set(current))
    if left:
        raise StoryChanged(article, f"{len(left)} item{'s' if len(left) != 1 else ''} left it")
    for pk in sorted(current):
        check_version(current[pk], expected_version=seen[pk])


def _set_status(members: list[Article], status: str, *, user, source: str, batch: str) -> int:
    to_change = [member for member in members if member.status != status]
    if not to_change:
        return 0
    return write_changes(
        Article.objects.filter(pk__in=[member.pk for member in to_change]),
        changes={"status": status}, old_values={"status": status_json()},
        editor_fields=[member.editor_fields for member in to_change], user=user, source=source, batch=batch,
    )


# membership -------------------------------------------------------------------------------


def _lock(condition: Q) -> list[Article]:
    return list(lock_articles(Article.objects.filter(condition)).only(*MEMBER_FIELDS))


def _lock_story(article_id: int) -> tuple[Article, list[Article]]:
    """The article and its story's members (itself included), locked in id order and read under the lock.
    Raises Article.DoesNotExist; StoryChanged when the article moved to another story meanwhile."""
    cluster_id = Article.objects.values_list("cluster_id", flat=True).get(pk=article_id)
    condition = Q(pk=article_id) | Q(cluster_id=cluster_id) if cluster_id is not None else Q(pk=article_id)
    rows = _lock(condition)
    article = next(row for row in rows if row.pk == article_id)
    if article.cluster_id != cluster_id:
        raise StoryChanged(article, f"{quoted(article.title)} moved to another story")
    return article, [row for row in rows if row.cluster_id == cluster_id or row.pk == article_id]


def _place(
    articles: list[Article], *, cluster: int | None, by_editor: bool | None, user, source: str, batch: str,
    action: str,
) -> int:
    """Writes `cluster` (and `cluster_set_by_editor`, unless None) where they differ: one write per set of
    differing fields, whatever the number of articles."""
    target: dict[str, Any] = {"cluster": cluster}
    if by_editor is not None:
        target["cluster_set_by_editor"] = by_editor
    groups = defaultdict(list)
    for article in articles:
        differing = tuple(name for name, value in target.items() if _current(article, name) != value)
        if differing:
            groups[differing].append(article)
    count = 0
    for names, group in groups.items():
        count += write_changes(
            Article.objects.filter(pk__in=[article.pk for article in group]),
            changes={name: target[name] for name in names},
            old_values={name: _old_values(group, name) for name in names},
            editor_fields=[article.editor_fields for article in group],
            user=user, source=source, batch=batch, action=action,
        )
    return count


def _current(article: Article, name: str):
    return article.cluster_id if name == "cluster" else getattr(article, name)


def _old_values(group: list[Article], name: str):
    """The audit's old value of `name` for each article of `group`, as one SQL expression."""
    values = sorted({_current(article, name) for article in group}, key=lambda value: (value is None, value))
    if len(values) == 1:
        return json_value(values[0])
    column = "cluster_id" if name == "cluster" else name
    whens = [When(**{column: value}, then=json_value(value)) for value in values if value is not None]
    return Case(*whens, default=json_value(None), output_field=JSONField())

