"""The plan that joins, creates or merges story clusters, given which articles are one story (`clustering`
decides that; `cluster_index` reads the articles and writes the plan). Pure Python: a union-find over
articles and clusters in which an editor's placement is never moved and never merged with another.
"""

from __future__ import annotations

from typing import Iterable

NEW = "new"


def plan_clusters(current: dict[int, int | None], pinned: set[int], released: set[int],
                  edges: Iterable[tuple[int, int]], *, moments: dict[int, float | None] | None = None,
                  longest: float | None = None,
                  unbounded: set[tuple[int, int]] = frozenset()) -> dict[int, int | tuple[str, int] | None]:
    """Which articles move to which cluster, given the verified same-story `edges`.

    `current`: every involved article's cluster (None: alone); all members of every cluster named are
    included. `pinned`: articles an editor placed, never moved; a cluster holding one is never merged
    into another, nor with another such cluster. `released`: articles whose text is judged afresh (new
    or changed), so their present cluster counts only through their edges.
    With `longest` (seconds), a story never spans more than that: an edge that would make it longer is left
    out. Each pair of items a few days apart can be one story while a chain of them runs for years (headlines
    written from one template); `moments` gives the involved articles' times (an unknown one bounds nothing),
    so an existing cluster spans from its first member to its last. Edges in `unbounded` (a shared canonical
    URL: one story whatever the dates) join regardless.
    Returns article -> existing cluster id, (NEW, n) for the n-th new cluster, or None (alone), for the
    articles whose cluster changes.
    """
    parent: dict[tuple, tuple] = {}
    moments = moments or {}
    extent: dict[tuple, tuple[float, float]] = {}  # a root -> its members' first and last time, where known

    def joined(first, second):
        if first is None or second is None:
            return first or second
        return min(first[0], second[0]), max(first[1], second[1])

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    held = {("c", current[pk]) for pk in pinned if current.get(pk) is not None}
    locked_roots: dict[tuple, bool] = {}

    def node_of(pk):
        if pk in pinned:
            return ("c", current[pk]) if current.get(pk) is not None else None
        if pk in released or current.get(pk) is None:
            return ("a", pk)
        return ("c", current[pk])

    for pk in current:
        node = node_of(pk)
        if node is not None:
            locked_roots.setdefault(find(node), node in held)
            moment = moments.get(pk)
            if moment is not None:
                extent[node] = joined(extent.get(node), (moment, moment))
    for a, b in sorted((min(x, y), max(x, y)) for x, y in edges if x != y):
        first, second = node_of(a), node_of(b)
        if first is None or second is None:
            continue
        root_a, root_b = find(first), find(second)
        if root_a == root_b or (locked_roots.get(root_a) and locked_roots.get(root_b)):
            continue
        merged = joined(extent.get(root_a), extent.get(root_b))
        if longest is not None and merged is not None and merged[1] - merged[0] > longest and (a, b) not in unbounded:
            continue
        keep, drop = (root_a, root_b) if (locked_roots.get(root_a), -_order(root_a)) >= (
            locked_roots.get(root_b), -_order(root_b)) else (root_b, root_a)
        parent[drop] = keep
        locked_roots[keep] = locked_roots.get(keep) or locked_roots.get(drop, False)
        if merged is not None:
            extent[keep] = merged

    components: dict[tuple, list[int]] = {}
    for pk in sorted(current):
        node = node_of(pk)
        if node is not None:
            components.setdefault(find(node), []).append(pk)
    moves: dict[int, int | tuple[str, int] | None] = {}
    new_count = 0
    for root, members in sorted(components.items(), key=lambda item: item[1][0]):
        clusters = sorted({current[pk] for pk in members if node_of(pk)[0] == "c"})
        if clusters:
            held_here = [cluster for cluster in clusters if ("c", cluster) in held]
            target = held_here[0] if held_here else clusters[0]
        elif len(members) >= 2:
            target = (NEW, new_count)
            new_count += 1
        else:
            target = None
        for pk in members:
            if current.get(pk) != target:
                moves[pk] = target
    return moves


def _order(node: tuple) -> int:
    """Existing clusters before free articles, older (smaller id) clusters first: the one a merge keeps."""
    kind, value = node
    return value if kind == "c" else 1 << 62
