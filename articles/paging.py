"""Paging through large sorted lists without reading what lies before a page: the queue, the API, the feeds and
the admin all page here.

Two ways, both cheap at any depth:
- by position (keyset): a page starts where the previous one ended, given as that row's sort values (a
  position, carried in URLs as a `cursors` token), so the database reads an index range from there, never the
  rows it skips. `first_rows` / `walk` / `page_after`.
- by number, for a page number typed in: its ids first, through the sort index alone, then only those rows
  ("ids first, then rows"): an OFFSET over full rows would read and discard every skipped row with its joins.
  `ids_at` / `rows_for`.

An ordering is a list of (field name, descending) that ends with the primary key, so it is total: pages never
overlap. Missing values of a nullable field sort last on every database.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet

from . import cursors, timestamps

Ordering = list[tuple[str, bool]]


def total_ordering(names, *, default: tuple[str, ...] = ()) -> Ordering:
    """`names` ("-heat", "quality", ...; `default` when there are none) as an ordering ending with the id."""
    ordering: Ordering = []
    for name in names or default:
        descending = name.startswith("-")
        field_name = name.lstrip("-")
        field_name = "id" if field_name == "pk" else field_name
        if field_name not in {f for f, _ in ordering}:
            ordering.append((field_name, descending))
    if "id" not in {f for f, _ in ordering}:
        ordering.append(("id", True))
    return ordering


def nullable(model, name: str) -> bool:
    return model._meta.get_field(name).null


def order_expressions(model, ordering: Ordering, *, nulls_first: bool = False) -> list:
    """ORDER BY terms. Only nullable columns get an explicit NULLS clause: on the others it would
    stop PostgreSQL from walking their index."""
    terms = []
    for name, descending in ordering:
        term = F(name).desc if descending else F(name).asc
        if nullable(model, name):
            terms.append(term(nulls_first=True) if nulls_first else term(nulls_last=True))
        else:
            terms.append(term())
    return terms


# --- by position -----------------------------------------------------------------------------


def first_rows(rows: QuerySet, ordering: Ordering, *, limit: int) -> list:
    """The first `limit` rows in `ordering`. A nullable first column is read in two blocks (values, then
    NULLs), each through its index: "NULLS LAST" on a descending index would make the database sort them all."""
    first, descending = ordering[0]
    if not nullable(rows.model, first):
        return list(rows.order_by(*order_expressions(rows.model, ordering))[:limit])
    order = _block_order(rows.model, ordering, backwards=False)
    found = list(rows.filter(**{f"{first}__isnull": False}).order_by(*order)[:limit])
    if len(found) < limit:
        found += rows.filter(**{f"{first}__isnull": True}).order_by(*order)[: limit - len(found)]
    return found


def walk(rows: QuerySet, position: dict, ordering: Ordering, *, backwards: bool, limit: int) -> list:
    """Up to `limit` rows beyond `position` (sort values by field name) walking `ordering`
    (backwards: walking it in reverse), in walking order.

    The walk starts from an index range on the first column (`heat <= 40`), so the database
    reads a few index entries rather than every row ahead of the position. Missing values of a
    nullable first column form a block of their own at the end: one more query crosses into
    (or out of) that block when the walk reaches its edge.
    """
    walk_order = [(name, descending != backwards) for name, descending in ordering]
    first, descending = walk_order[0]
    value = position[first]
    if value is None:
        block = rows.filter(**{f"{first}__isnull": True})
    else:
        block = rows.filter(**{f"{first}__{'lte' if descending else 'gte'}": value})
    order = _block_order(rows.model, walk_order, backwards=backwards)
    found = list(block.filter(_beyond(rows.model, position, walk_order, backwards=backwards)).order_by(*order)[:limit])
    if len(found) < limit and nullable(rows.model, first) and (value is None) == backwards:
        found += rows.filter(**{f"{first}__isnull": not backwards}).order_by(*order)[: limit - len(found)]
    return found


def page_after(rows: QuerySet, ordering: Ordering, *, position: dict | None, limit: int) -> tuple[list, dict | None]:
    """Up to `limit` rows after `position` (from the start when None), and the position to continue from
    (None at the end)."""
    if position is None:
        found = first_rows(rows, ordering, limit=limit + 1)
    else:
        found = walk(rows, position, ordering, backwards=False, limit=limit + 1)
    page = found[:limit]
    return page, position_of(page[-1], ordering) if len(found) > limit else None


def _block_order(model, walk_order: Ordering, *, backwards: bool) -> list:
    """ORDER BY terms inside one block: the first column without a NULLS clause (it is all values or all
    NULL there), so its index serves the walk; later columns as the list sorts them."""
    first, descending = walk_order[0]
    return [F(first).desc() if descending else F(first).asc(),
            *order_expressions(model, walk_order[1:], nulls_first=backwards)]


def _beyond(model, position: dict, walk_order: Ordering, *, backwards: bool) -> Q:
    """Rows strictly beyond `position` in the direction of `walk_order`, within its block: a lexicographic
    comparison. NULLs sort last, so they are beyond every value walking forwards and before every value
    walking backwards (the first column never mixes the two inside a block)."""
    condition, equal_so_far = Q(pk__in=[]), Q()
    for name, descending in walk_order:
        value = position[name]
        if value is None:
            beyond = Q(**{f"{name}__isnull": False}) if backwards else Q(pk__in=[])
            same = Q(**{f"{name}__isnull": True})
        else:
            beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            if not backwards and nullable(model, name):
                beyond |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        condition |= equal_so_far & beyond
        equal_so_far &= same
    return condition


# --- positions as tokens ------------------------------------------------------------------------


def position_of(row, ordering: Ordering) -> dict:
    return {name: getattr(row, name) for name, _ in ordering}


def encode_position(position: dict, ordering: Ordering) -> str:
    values = [position[name] for name, _ in ordering]
    return cursors.pack([value.isoformat() if isinstance(value, dt.datetime) else value for value in values])


def decode_position(model, token: str, ordering: Ordering) -> dict | None:
    """The sort values a token holds, by field name; None when it is not one for this ordering (from another
    sort order, edited by hand, or holding a date no database can compare)."""
    try:
        values = cursors.unpack(token)
    except ValueError:
        return None
    if len(values) != len(ordering):
        return None
    position = {}
    for (name, _), value in zip(ordering, values):
        field_type = model._meta.get_field(name).get_internal_type()
        if value is None and nullable(model, name):
            position[name] = None
        elif field_type == "DateTimeField" and isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return None
            if not timestamps.is_storable(moment):
                return None
            position[name] = moment
        elif field_type.endswith(("IntegerField", "AutoField")) and type(value) is int:
            position[name] = value
        elif field_type in {"CharField", "TextField"} and isinstance(value, str):
            position[name] = value
        else:
            return None
    return position


# --- by number -----------------------------------------------------------------------------------


def ids_at(rows: QuerySet, start: int, stop: int) -> list:
    """The primary keys of rows[start:stop], read through the sort index alone."""
    return list(rows.prefetch_related(None).values_list("pk", flat=True)[start:stop])


def rows_for(rows: QuerySet, ids: list) -> QuerySet:
    """Only the rows with these ids (in `rows`' order): the second half of "ids first, then rows"."""
    return rows.filter(pk__in=ids)


def in_order(rows, ids: list) -> list:
    """`rows` in the order of `ids`; an id whose row is not there (it left the list meanwhile) is skipped."""
    found = {row.pk: row for row in rows}
    return [found[pk] for pk in ids if pk in found]
