"""Find an import's files and parse them, in this process or in worker processes.

Finding is a generator over the paths given (directories walked in name
order), so a million files never sit in memory as a list. Parsing runs
`validation.parse_item`, which needs no database, so forked workers can parse
the next batch while the importer writes the current one.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .validation import parse_item

EXTENSIONS = (".md", ".markdown", ".txt")


# --- finding files -------------------------------------------------------------------


def check_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The paths as Paths; FileNotFoundError for one that does not exist (a usage error, before any work)."""
    checked = [Path(raw) for raw in paths]
    for path in checked:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
    return checked


def iter_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Every news item file under `paths` (files as given, directories recursively, in name order).

    A generator, so a million files never sit in memory as a list.
    """
    for path in check_paths(paths):
        if not path.is_dir():
            yield path
            continue
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                if name.lower().endswith(EXTENSIONS):
                    yield Path(root, name)


def discover_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """`iter_files` as a list, for callers that want to count or reuse it."""
    return list(iter_files(paths))




class WorkerPool:
    """Parses the next batch in worker processes while this process writes the current one.

    Parsing YAML is most of an import's CPU time; overlapping it with the database
    writes is what keeps the import close to parse speed. Forked workers inherit the
    loaded code and never touch the database.
    """

    def __init__(self, jobs: int):
        self.executor = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=gc.disable
        )

    def start(self, datas: list[bytes]) -> Iterator:
        return self.executor.map(parse_item, datas, chunksize=32)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class InProcessParser:
    """Parses lazily, in this process, when the batch's results are collected."""

    @staticmethod
    def start(datas: list[bytes]) -> Iterator:
        return map(parse_item, datas)

    def close(self) -> None:
        pass


