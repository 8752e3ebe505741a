"""Every editorial write: publish, unpublish, reject, scores, excerpt; the audit trail; edit conflicts.

Views, the admin and commands call these functions; nothing else changes an
article's editorial state, and no other module writes audit entries. A change
locks the article rows (`lock_articles`: always in id order, the importer's
batches included, so two writers never wait on each other in a cycle), refuses
when the editor saw an older version, writes only what differs, marks the
fields as an editor's (re-import keeps them), and records one audit entry per
changed field. Each entry takes the next version of its article, so versions
strictly increase and no two entries of an article share one: the version an
editor loaded says exactly which changes they have not seen.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import (
    BooleanField, Case, CharField, DateTimeField, Expression, F, IntegerField, JSONField, Max, Q, QuerySet, Value,
    When,
)
from django.utils import timezone

from .story_leads import recreate_clusters, refresh_leads, with_their_stories
from .display import actor, change_phrase, joined, moment, quoted
from .models import Article, ArticleTopic, AuditEntry
from .schema import EDITABLE_FIELDS, INT32

Status = Article.Status

STATUS_ACTIONS = {Status.PUBLISHED: "publish", Status.AWAITING_REVIEW: "unpublish", Status.REJECTED: "reject"}
STATUS_VERBS = {Status.PUBLISHED: "Published", Status.AWAITING_REVIEW: "Unpublished", Status.REJECTED: "Rejected"}
VIEW_PERMISSION = "articles.view_article"
CHANGE_PERMISSION = "articles.change_article"
PUBLISH_PERMISSION = "articles.publish_article"
CLUSTER_FIELDS = ("cluster", "cluster_set_by_editor")  # audited by `editorial_clusters`, restored by `undo`


class EditConflict(Exception):
    """Someone changed the article after the editor loaded it; nothing of the editor's was written."""

    def __init__(self, article: Article, their_changes: list[AuditEntry], *, outcome: str = "nothing of yours was saved"):
        self.article = article
        self.their_changes = their_changes
        self.outcome = outcome
        super().__init__(self.describe())

    def describe(self) -> str:
        if not self.their_changes:
            return (
                f"{quoted(self.article.title)} changed since you opened it (it is now at version "
                f"{self.article.version}); {self.outcome}."
            )
        parts = []
        for _, group in groupby(self.their_changes, key=lambda e: (e.user_id, e.source, e.batch, e.at)):
            entries = list(group)
            changes = joined([change_phrase(entry) for entry in entries])
            parts.append(f"{actor(entries[0])} changed {changes} {moment(entries[0].at)}")
        return "; ".join(parts) + f"; {self.outcome}."


@dataclass(frozen=True)
class ChangeResult:
    batch: str
    count: int
    message: str


def update_article(
    article_id: int, *, user, source: str, changes: dict, expected_version: int | None = None
) -> ChangeResult:
    check_source(source)
    changes = _clean(changes)
    require(user, CHANGE_PERMISSION)
    with transaction.atomic():
        locked = {row.pk: row for row in lock_articles(Article.objects.filter(with_their_stories(Q(pk=article_id))))}
        if article_id not in locked:
            raise Article.DoesNotExist("Article matching query does not exist.")
        article = locked[article_id]
        if expected_version is not None:
            check_version(article, expected_version=expected_version)
        diff = {name: value for name, value in changes.items() if getattr(article, name) != value}
        if "status" in diff:
            require(user, PUBLISH_PERMISSION)
        if not diff:
            return ChangeResult("", 0, _nothing_changed(article, changes))
        batch = new_batch()
        write_changes(
            Article.objects.filter(pk=article.pk),
            changes=diff,
            old_values={name: json_value(getattr(article, name)) for name in diff},
            editor_fields=[article.editor_fields],
            user=user, source=source, batch=batch,
        )
        refresh_leads(diff, [article.cluster_id])
    return ChangeResult(batch, 1, _changed_message(article, diff))


def publish(article_id: int, *, user, source: str, expected_version: int | None = None) -> ChangeResult:
    return _set_status(article_id, Status.PUBLISHED, user=user, source=source, expected_version=expected_version)


def unpublish(article_id: int, *, user, source: str, expected_version: int | None = None) -> ChangeResult:
    return _set_status(article_id, Status.AWAITING_REVIEW, user=user, source=source, expected_version=expected_version)


def reject(article_id: int, *, user, source: str, expected_version: int | None = None) -> ChangeResult:
    return _set_status(article_id, Status.REJECTED, user=user, source=source, expected_version=expected_version)


def set_scores(
    article_id: int, *, user, source: str, quality: int | None = None, heat: int | None = None,
    expected_version: int | None = None,
) -> ChangeResult:
    changes = {name: value for name, value in (("quality", quality), ("heat", heat)) if value is not None}
    return update_article(article_id, user=user, source=source, changes=changes, expected_version=expected_version)


def edit_excerpt(
    article_id: int, *, user, source: str, excerpt: str, expected_version: int | None = None
) -> ChangeResult:
    return update_article(
        article_id, user=user, source=source, changes={"excerpt": excerpt}, expected_version=expected_version
    )


def bulk_set_status(article_ids: Iterable[int] | QuerySet, *, status: str, user, source: str) -> ChangeResult:
    """Sets one status on many articles as one batch, in a fixed number of queries.

    `article_ids` may be a queryset (the admin's "select all" over a whole
    filtered queue), which stays a subquery instead of a list of ids.
    No version check: the editor acts on the selection, whatever its versions.
    """
    check_source(source)
    _clean({"status": status})
    require(user, CHANGE_PERMISSION)
    require(user, PUBLISH_PERMISSION)
    ids = article_ids.values("pk") if isinstance(article_ids, QuerySet) else list(article_ids)
    with transaction.atomic():
        selected = Case(When(pk__in=ids, then=Value(True)), default=Value(False), output_field=BooleanField())
        locked = lock_articles(Article.objects.filter(with_their_stories(Q(pk__in=ids)))).annotate(selected=selected)
        rows = [row[:3] for row in locked.values_list("status", "editor_fields", "cluster_id", "selected") if row[3]]
        to_change = [editor_fields for current, editor_fields, _ in rows if current != status]
        if not to_change:
            return ChangeResult("", 0, _bulk_message(status, 0, len(rows)))
        batch = new_batch()
        count = write_changes(
            Article.objects.filter(pk__in=ids).exclude(status=status),
            changes={"status": status},
            old_values={"status": status_json()},
            editor_fields=to_change,
            user=user, source=source, batch=batch,
        )
        refresh_leads(["status"], [cluster_id for current, _, cluster_id in rows if current != status])
    return ChangeResult(batch, count, _bulk_message(status, count, len(rows) - count))


def undo(batch: str, *, user, source: str) -> ChangeResult:
    """Restores every field of `batch` to its old value, as a new batch audited as "undo".

    Refused (EditConflict, nothing restored) when any of those fields changed
    after the batch: undoing would silently overwrite someone else's work.
    """
    check_source(source)
    entries = list(AuditEntry.objects.filter(batch=batch).order_by("id")) if batch else []
    if not entries:
        return ChangeResult("", 0, "Nothing to undo.")
    for entry in entries:
        _clean({entry.field: entry.old_value}, allowed=EDITABLE_FIELDS + CLUSTER_FIELDS)
    fields = sorted({entry.field for entry in entries})
    require(user, CHANGE_PERMISSION)
    if "status" in fields:
        require(user, PUBLISH_PERMISSION)
    by_article = defaultdict(list)
    for entry in entries:
        by_article[entry.article_id].append(entry)
    with transaction.atomic():
        current = {
            row["pk"]: row
            for row in lock_articles(Article.objects.filter(with_their_stories(Q(pk__in=list(by_article)))))
            .values("pk", "title", "version", "editor_fields", "cluster_id", *fields)
        }
        later = list(
            AuditEntry.objects.filter(
                article_id__in=list(current), field__in=fields, version__gt=min(e.version for e in entries)
            )
            .exclude(batch=batch)
            .select_related("user")
            .order_by("version", "id")
        )
        _refuse_undo_if_changed(by_article, current, later)
        restored_clusters = {entry.old_value for entry in entries if entry.field == "cluster"} - {None}
        recreate_clusters(restored_clusters)
        undo_batch = new_batch()
        count = 0
        for restore, article_ids in _undo_groups(by_article, current).items():
            count += write_changes(
                Article.objects.filter(pk__in=article_ids),
                changes={field: json.loads(old) for field, old, _ in restore},
                old_values={field: json_value(json.loads(new)) for field, _, new in restore},
                editor_fields=[current[pk]["editor_fields"] for pk in article_ids],
                user=user, source=source, batch=undo_batch, action="undo",
            )
        refresh_leads(fields, [row["cluster_id"] for row in current.values()] + sorted(restored_clusters))
    if count == 1:
        title = next(current[pk] for pk in by_article if pk in current)["title"]
        return ChangeResult(undo_batch, count, f"Undid the change to {quoted(title)}.")
    return ChangeResult(undo_batch, count, f"Undid the change to {count} articles.")


def lock_articles(queryset: QuerySet) -> QuerySet:
    """`queryset` with its rows locked until the transaction ends, taken in id order.

    Every writer of articles (editors, bulk actions, undo, the importer) locks this
    way before reading what it will write, so a write never rests on a stale read,
    and two writers locking overlapping rows queue instead of deadlocking.
    """
    return queryset.select_for_update().order_by("pk")


@dataclass(frozen=True)
class UpstreamChange:
    """What a re-import changed on one field of a reviewed article."""

    field: str
    old_value: Any
    new_value: Any


def log_upstream_changes(changes: dict[int, tuple[int, list[UpstreamChange]]], *, at) -> dict[int, int]:
    """Audits what a re-import changed on reviewed articles: `changes` maps an article id to (its version as
    read under lock, its changes). Returns each article's version after them, for the importer to write.

    Called by the importer inside its batch transaction, the rows locked with `lock_articles`.
    """
    entries, versions, batch = [], {}, new_batch()
    for article_id, (version, fields) in changes.items():
        for offset, change in enumerate(fields, start=1):
            entries.append(AuditEntry(
                article_id=article_id, user=None, at=at, source=AuditEntry.Source.IMPORT, action="reimport",
                field=change.field, old_value=_jsonable(change.old_value), new_value=_jsonable(change.new_value),
                batch=batch, version=version + offset,
            ))
        versions[article_id] = version + max(len(fields), 1)
    AuditEntry.objects.bulk_create(entries)
    return versions


def check_version(article: Article, *, expected_version: int) -> None:
    """Raises EditConflict when `article` moved past the version the editor saw (forms call it to validate early)."""
    if article.version != expected_version:
        their_changes = list(
            AuditEntry.objects.filter(article=article, version__gt=expected_version)
            .select_related("user")
            .order_by("version", "id")
        )
        raise EditConflict(article, their_changes)


# writing ------------------------------------------------------------------------------


def write_changes(
    articles: QuerySet, *, changes: dict[str, Any], old_values: dict[str, Expression],
    editor_fields: list[list[str]], user, source: str, batch: str, action: str | None = None,
    rule=None, import_run=None, mark_reviewed: bool = True,
) -> int:
    """Logs, then writes, `changes` on every article of `articles`, whose rows the caller has locked.

    One INSERT per changed field and one UPDATE, however many articles.
    `editor_fields` holds the current editor_fields of those articles. The editorial core's other modules
    (clusters, rules) write through here too; a rule's change names the rule (and its import run) as actor,
    and leaves the review marks alone (`mark_reviewed=False`): a rule is no editor's review.
    """
    now = timezone.now()
    for offset, (name, value) in enumerate(changes.items(), start=1):
        _log(
            articles, field=name, old_value=old_values[name], new_value=value,
            action=action or _action(name, value), user=user, source=source, batch=batch, at=now, offset=offset,
            rule=rule, import_run=import_run,
        )
    update = {
        **changes,
        "version": F("version") + len(changes),
        "editor_fields": _with_editor_fields(editor_fields, list(changes)),
        "updated_at": now,
    }
    if mark_reviewed:
        update.update(reviewed_by=user, reviewed_at=now, changed_since_review=False)
    if "status" in changes:
        published = changes["status"] == Status.PUBLISHED
        update["published_by"] = user if published else None
        update["published_at"] = now if published else None
    return articles.update(**update)


def write_topic_change(
    articles: QuerySet, *, topic, add: bool, user, source: str, batch: str, action: str, rule=None, import_run=None,
) -> int:
    """Adds `topic` to (or, `add=False`, takes it from) the articles of `articles` that lack (have) it, rows
    locked by the caller. Audited as field "topics", the topic's name as the new (added) or old (taken) value."""
    articles = articles.exclude(topic_links__topic=topic) if add else articles.filter(topic_links__topic=topic)
    targets = dict(articles.annotate(last=Max("topic_links__position")).values_list("pk", "last"))
    if not targets:
        return 0
    changed = Article.objects.filter(pk__among=list(targets))
    _log(changed, field="topics", old_value=json_value(None if add else topic.name), new_value=topic.name if add else None,
         action=action, user=user, source=source, batch=batch, at=timezone.now(), offset=1, rule=rule,
         import_run=import_run)
    if add:
        ArticleTopic.objects.bulk_create(
            ArticleTopic(article_id=pk, topic=topic, position=0 if last is None else last + 1, added_by_rule=rule is not None)
            for pk, last in targets.items()
        )
    else:
        ArticleTopic.objects.filter(article_id__in=list(targets), topic=topic).delete()
    return changed.update(version=F("version") + 1, updated_at=timezone.now())


def _log(
    articles: QuerySet, *, field: str, old_value: Expression, new_value: Any, action: str, user,
    source: str, batch: str, at, offset: int, rule=None, import_run=None,
) -> None:
    """An editor's change of one field: one entry per article of `articles`, in a single INSERT … SELECT.

    Runs before the articles are updated: the entry's version is the current one plus `offset`
    (the field's place among the fields this change writes).
    """
    columns = {
        "article_id": F("pk"),
        "user_id": Value(user.pk if user is not None else None, output_field=IntegerField()),
        "at": Value(at, output_field=DateTimeField()),
        "source": Value(source, output_field=CharField()),
        "action": Value(action, output_field=CharField()),
        "field": Value(field, output_field=CharField()),
        "old_value": old_value,
        "new_value": json_value(new_value),
        "batch": Value(batch, output_field=CharField()),
        "version": F("version") + offset,
        "rule_id": Value(rule.pk if rule is not None else None, output_field=IntegerField()),
        "import_run_id": Value(import_run.pk if import_run is not None else None, output_field=IntegerField()),
    }
    aliases = {f"audit_{name}": expression for name, expression in columns.items()}
    select = articles.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    connection = connections[articles.db]
    quote = connection.ops.quote_name
    names = ", ".join(quote(AuditEntry._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(AuditEntry._meta.db_table)} ({names}) {sql}", params)


def _with_editor_fields(current: list[list[str]], names: list[str]) -> Expression:
    """editor_fields plus `names`, as one expression: a branch per distinct current list, not per article."""
    merged = {}
    for fields in current:
        merged.setdefault(json.dumps(fields), fields + [name for name in names if name not in fields])
    if len(merged) == 1:
        return json_value(next(iter(merged.values())))
    whens = [When(editor_fields=json_value(json.loads(old)), then=json_value(new)) for old, new in merged.items()]
    return Case(*whens, default=F("editor_fields"), output_field=JSONField())


def _set_status(article_id: int, status: str, *, user, source: str, expected_version: int | None) -> ChangeResult:
    return update_article(
        article_id, user=user, source=source, changes={"status": status}, expected_version=expected_version
    )


def _refuse_undo_if_changed(by_article: dict, current: dict, later: list[AuditEntry]) -> None:
    for article_id, entries in by_article.items():
        if article_id not in current:
            continue
        for entry in entries:
            overtaken = [
                other for other in later
                if other.article_id == article_id and other.field == entry.field and other.version > entry.version
            ]
            if overtaken or current[article_id][entry.field] != entry.new_value:
                article = Article.objects.get(pk=article_id)
                since = [other for other in later if other.article_id == article_id and other.version > entry.version]
                raise EditConflict(article, since, outcome="nothing was undone")


def _undo_groups(by_article: dict, current: dict) -> dict[tuple, list[int]]:
    """Articles grouped by what undoing restores, so each group is one write."""
    groups = defaultdict(list)
    for article_id, entries in by_article.items():
        if article_id in current:
            restore = tuple(sorted((e.field, json.dumps(e.old_value), json.dumps(e.new_value)) for e in entries))
            groups[restore].append(article_id)
    return groups


# checks -------------------------------------------------------------------------------


def check_source(source: str) -> None:
    if source not in AuditEntry.Source.values:
        raise ValueError(f"Unknown source {source!r}; use one of {', '.join(AuditEntry.Source.values)}.")


def require(user, permission: str) -> None:
    """user=None is the system (commands): no check. Anyone else needs the permission."""
    if user is None or user.has_perm(permission):
        return
    if permission == PUBLISH_PERMISSION:
        raise PermissionDenied("You may not publish, unpublish or reject articles.")
    raise PermissionDenied("You may not change articles.")


def _clean(changes: dict, *, allowed: tuple[str, ...] = EDITABLE_FIELDS) -> dict:
    errors = {}
    for name, value in changes.items():
        if name == "needs_attention":  # set by rules (and undone by editors), not an imported column
            if not isinstance(value, bool):
                errors[name] = "Needs attention must be true or false."
        elif name not in allowed:
            errors[name] = f"{name} cannot be changed by an editor."
        elif name == "cluster" and not (value is None or (isinstance(value, int) and not isinstance(value, bool))):
            errors[name] = "A story is named by its id."
        elif name == "cluster_set_by_editor" and not isinstance(value, bool):
            errors[name] = "Whether an editor placed the article is true or false."
        elif name in ("quality", "heat"):
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = f"{name.capitalize()} must be a whole number."
            elif not INT32[0] <= value <= INT32[1]:
                errors[name] = f"{name.capitalize()} must be between {INT32[0]} and {INT32[1]}."
        elif name == "status" and value not in Status.values:
            errors[name] = f"Status must be one of: {', '.join(Status.values)}."
        elif name == "excerpt" and not isinstance(value, str):
            errors[name] = "The excerpt must be text."
    if errors:
        raise ValidationError(errors)
    return dict(changes)


# values and messages ------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """A column value as JSON can hold it (timestamps as ISO 8601 text)."""
    return value.isoformat() if isinstance(value, dt.datetime) else value


def json_value(value: Any) -> Value:
    return Value(value, output_field=JSONField())


def status_json() -> Case:
    """The status column as a JSON value, for audit entries written straight from the rows."""
    return Case(*[When(status=value, then=json_value(value)) for value in Status.values], output_field=JSONField())


def _action(field: str, value: Any) -> str:
    return STATUS_ACTIONS[value] if field == "status" else "edit"


def new_batch() -> str:
    return uuid.uuid4().hex


def _changed_message(article: Article, diff: dict) -> str:
    edited = [name for name in diff if name != "status"]
    if "status" not in diff:
        return f"Saved the {joined(edited)} of {quoted(article.title)}."
    verb = STATUS_VERBS[diff["status"]]
    if not edited:
        return f"{verb} {quoted(article.title)}."
    return f"{verb} {quoted(article.title)} and saved its {joined(edited)}."


def _nothing_changed(article: Article, changes: dict) -> str:
    if list(changes) == ["status"]:
        return f"{quoted(article.title)} is already {Status(changes['status']).label.lower()}."
    return f"No changes to {quoted(article.title)}."


def _bulk_message(status: str, count: int, unchanged: int) -> str:
    label = Status(status).label.lower()
    if not count:
        return f"Nothing to change: the selected articles are already {label}." if unchanged else "No article selected."
    message = f"{STATUS_VERBS[status]} {count} article{'s' if count != 1 else ''}"
    if unchanged:
        message += f" ({unchanged} already {label})"
    return message + "."
