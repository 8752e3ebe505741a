"""Find an import's files and parse them, in this process or in worker processes.

Finding is a generator over the paths given (directories walked in name
order), so a million files never sit in memory as a list. Only regular files
are yielded: a FIFO would block the reader forever, a device or socket is not
an item; a symbolic link that leads outside the path given is not followed.
What is left out is reported, path and reason: to `on_skip` (a warning), or to
`on_reject` (a file refused for its name). Parsing runs `validation.parse_item`,
which needs no database, so forked workers can parse the next batch while the
importer writes the current one; they exit when the importer dies, however it dies.
Workers also work out each item's story text and bands for the clustering (`parse_for_import`),
which the writer's process would otherwise compute after writing.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import logging
import multiprocessing
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from . import clustering
from .yaml_loader import escape_controls
from .validation import ArticleRecord, FileError, parse_item

EXTENSIONS = (".md", ".markdown", ".txt")

logger = logging.getLogger(__name__)


# --- finding files -------------------------------------------------------------------


Notice = Callable[[str, str], None]  # (the path as display_path shows it, why it is left out)


def display_path(path: str | os.PathLike) -> str:
    """A path as messages show it: escaped (repr-like) when it holds a control character, a bidi mark or bytes
    that are not UTF-8, so that printing it to a terminal or storing it in the run log is safe."""
    return escape_controls(os.fsdecode(path))


def log_skipped(path: str, reason: str) -> None:
    """The default `on_skip`: a warning in the log."""
    logger.warning("%s: %s", path, reason)


def check_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The paths as Paths; FileNotFoundError for one that does not exist (a usage error, before any work)."""
    checked = [Path(raw) for raw in paths]
    for path in checked:
        if not path.exists():
            raise FileNotFoundError(f"{display_path(path)}: no such file or directory")
    return checked


def iter_files(
    paths: Iterable[str | os.PathLike], on_skip: Notice = log_skipped, on_reject: Notice | None = None
) -> Iterator[Path]:
    """Every news item file under `paths` (files as given, directories recursively, in name order).

    A generator, so a million files never sit in memory as a list. Never opens
    anything but directories. What it leaves out is reported as (path as
    `display_path` shows it, reason): to `on_skip` when it is not a news item file
    to read (not a regular file, a link leading outside the path given, a folder
    it cannot read or has searched already), a warning; to `on_reject` (default:
    `on_skip`) when it is an item file refused for its name (no source key, not
    UTF-8), which the importer should count as a rejected file.
    """
    def notify(path, reason: str, rejected: bool = False) -> None:
        ((on_reject or on_skip) if rejected else on_skip)(display_path(path), reason)

    for path in check_paths(paths):
        try:
            mode = path.stat().st_mode
        except OSError:  # gone, or unreadable: the importer reports it as that file's error
            mode = stat.S_IFREG
        if stat.S_ISDIR(mode):
            yield from _walk(path, notify)
        elif not stat.S_ISREG(mode):
            notify(path, f"not a regular file ({_kind(mode)}): skipped")
        elif problem := _name_problem(path, path.name):
            notify(path, problem, rejected=True)
        else:
            yield path


def discover_files(
    paths: Iterable[str | os.PathLike], on_skip: Notice = log_skipped, on_reject: Notice | None = None
) -> list[Path]:
    """`iter_files` as a list, for callers that want to count or reuse it."""
    return list(iter_files(paths, on_skip, on_reject))


def _walk(top: Path, notify) -> Iterator[Path]:
    """Depth first, each directory's files before its subdirectories (as os.walk, top-down).

    Symbolic links are followed only when they lead inside `top`, and a directory
    reached twice (a link to a parent, or to a sibling) is searched once. An
    explicit stack: no recursion limit, however deep the tree.
    """
    root = os.path.realpath(top)
    searched: set[tuple[int, int]] = set()
    pending: list[Iterator[str]] = [iter([os.fspath(top)])]
    while pending:
        directory = next(pending[-1], None)
        if directory is None:
            pending.pop()
            continue
        subdirectories: list[str] = []
        for name in _item_names(directory, root, searched, notify, subdirectories):
            yield Path(directory, name)
        pending.append(iter(sorted(subdirectories)))


LISTING_CHUNK = 10_000  # item names of one directory held at once


def _item_names(directory: str, root: str, searched: set, notify, subdirectories: list[str]) -> Iterator[str]:
    """The names of a directory's item files, in name order, LISTING_CHUNK at a time; fills `subdirectories`.

    A directory of up to LISTING_CHUNK item files comes in name order. A bigger one comes in
    name order within each run of LISTING_CHUNK names the file system lists: sorting the whole
    listing would hold every name of it in memory, a million names for a million files.
    """
    try:
        identity = _identity(directory)
        if identity in searched:
            notify(directory, "a directory already searched (through a link): not searched again")
            return
        searched.add(identity)
        scan = os.scandir(directory)
    except OSError as error:
        notify(directory, f"cannot read directory: {error.strerror or error}")
        return
    names, notices = [], []
    with scan:
        for entry in scan:
            kind, note = _entry_kind(entry, root)
            if kind == "file":
                problem = _name_problem(entry.path, entry.name)
                if problem:
                    notices.append((entry.path, problem, True))
                else:
                    names.append(entry.name)
            elif kind == "directory":
                subdirectories.append(entry.path)
            elif note:
                notices.append((entry.path, note, False))
            if len(names) >= LISTING_CHUNK:
                yield from _flush(names, notices, notify)
    yield from _flush(names, notices, notify)


def _flush(names: list[str], notices: list[tuple], notify) -> Iterator[str]:
    for notice in sorted(notices):
        notify(*notice)
    chunk = sorted(names)
    names.clear()
    notices.clear()
    yield from chunk


def _entry_kind(entry: os.DirEntry, root: str) -> tuple[str, str]:
    """("file" | "directory" | "", why it is left out) for one directory entry; mostly from the entry's type alone."""
    candidate = entry.name.lower().endswith(EXTENSIONS)
    try:
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not _inside(target, root):
                if candidate or entry.is_dir():
                    return "", (f"symbolic link leading outside {display_path(root)} "
                                f"(to {display_path(target)}): not followed")
                return "", ""
            mode = os.stat(entry.path).st_mode
        elif entry.is_dir(follow_symlinks=False):
            return "directory", ""
        elif not candidate:
            return "", ""
        elif entry.is_file(follow_symlinks=False):
            return "file", ""
        else:
            mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:  # a dangling or looping link, an entry gone meanwhile: the importer reports it as that file's
        return ("file", "") if candidate else ("", "")
    if stat.S_ISDIR(mode):
        return "directory", ""
    if not candidate:
        return "", ""
    if not stat.S_ISREG(mode):
        return "", f"not a regular file ({_kind(mode)}): skipped"
    return "file", ""


def _name_problem(path: str | os.PathLike, name: str) -> str | None:
    """Why a file's name cannot give an article's source key, or None."""
    extension = next((ext for ext in EXTENSIONS if name.lower().endswith(ext)), None)
    key = name[: len(name) - len(extension)] if extension else Path(name).stem
    if not key.strip("."):
        return "file name gives no source key (nothing but dots before the extension)"
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8: it cannot be stored or shown as it is"
    return None


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _identity(path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file"


def open_regular(path: str | os.PathLike):
    """Open a file for reading, refusing anything but a regular file *without blocking* (OSError).

    `iter_files` already leaves such files out; this closes the gap of a file
    replaced by a FIFO between finding it and reading it (open() of a FIFO waits
    for a writer forever; O_NONBLOCK makes it return at once).
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(f"not a regular file ({_kind(mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


# --- parsing ---------------------------------------------------------------------------


class WorkerPool:
    """Parses the next batch in worker processes while this process writes the current one.

    Parsing YAML is most of an import's CPU time; overlapping it with the database
    writes is what keeps the import close to parse speed. Forked workers inherit the
    loaded code and never touch the database. A worker that dies breaks the pool:
    the rest of the batch is then parsed one file at a time in fresh workers, so
    the run goes on and a file that kills its worker twice is that file's error.
    """

    def __init__(self, jobs: int, *, story_days: float | None = None):
        self.jobs = jobs
        self.parse = functools.partial(parse_for_import, story_days=story_days)
        self.executor = self.new_executor()

    def new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker, initargs=(os.getpid(),),
        )

    def start(self, datas: list[bytes]) -> Iterator:
        """Submit the batch now; its results, in order, as they are collected. A pool a worker died in after
        the last batch's results were all in (nothing noticed it then) is replaced first."""
        try:
            results = self.executor.map(self.parse, datas, chunksize=32)
        except BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self.new_executor()
            results = self.executor.map(self.parse, datas, chunksize=32)
        return self._collect(datas, results)

    def _collect(self, datas: list[bytes], results: Iterator) -> Iterator:
        collected = 0
        try:
            for result in results:
                yield result
                collected += 1
        except BrokenProcessPool:  # a worker died: killed, out of memory, or a crash in C
            yield from self._one_by_one(datas[collected:])

    def _one_by_one(self, datas: list[bytes]) -> Iterator:
        """The rest of a batch, one file per task in fresh workers: a file its worker dies on is that file's error."""
        for data in datas:
            try:
                yield self.executor.submit(self.parse, data).result()
            except BrokenProcessPool:
                self.executor.shutdown(wait=False, cancel_futures=True)
                self.executor = self.new_executor()
                try:
                    yield self.executor.submit(self.parse, data).result()
                except BrokenProcessPool:
                    self.executor.shutdown(wait=False, cancel_futures=True)
                    self.executor = self.new_executor()
                    yield FileError("", None, "the parser process died while reading this file")

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


PR_SET_PDEATHSIG = 1  # linux/prctl.h
ORPHAN_CHECK_SECONDS = 0.5  # where there is no prctl: how often a worker looks for its parent


# Workers keep the writer's priority: a lower one (niceness 5 to 19) made the import 10-20% faster on an idle
# two-core machine and 12-20% slower on a busy one, where the workers then ran only while the writer waited for
# them (docs/PERFORMANCE.md).
def _start_worker(parent: int) -> None:
    """Runs first in each worker: no cyclic garbage collector (parsing makes no cycles), and an exit
    as soon as the importer is gone, even killed with SIGKILL: nothing else would end a worker
    waiting for work, since its siblings hold the task queue open."""
    gc.disable()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a handler the importer may have installed before forking
    if not _set_parent_death_signal():
        threading.Thread(target=_exit_when_orphaned, args=(parent,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the importer died before the signal was asked for
        os._exit(1)


def _set_parent_death_signal() -> bool:
    """Linux: have the kernel send SIGTERM to this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _exit_when_orphaned(parent: int) -> None:
    """Elsewhere: poll the parent's pid (an orphan is adopted by another process)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


def parse_for_import(data: bytes, *, story_days: float | None = None) -> tuple | FileError:
    """`parse_item`'s (record, body) and, with `story_days`, the item's story hint: (record, body, hint or None).
    Never raises: a hint that cannot be made is left to the clustering, which then works it out itself."""
    outcome = parse_item(data)
    if isinstance(outcome, FileError):
        return outcome
    record, body = outcome
    hint = None
    if story_days is not None:
        try:
            hint = story_hint(record, story_days)
        except Exception:  # noqa: BLE001 - the file is good; only the shortcut is lost
            logger.debug("no story hint for an item", exc_info=True)
    return record, body, hint


def story_hint(record: ArticleRecord, days: float) -> clustering.StoryHint | None:
    """The item's story text and bands as the clustering would make them of the article stored from it (its
    provider's name and domain, unless the stored provider's differ; the hint is then not used). None for an
    item without a date: the clustering dates it by its import."""
    fields = record.fields
    if fields.get("published_date_time") is None:
        return None
    provider = record.provider or {}
    source = clustering.story_source(
        fields["title"], fields["excerpt"], (fields["web_url_key"], fields["original_url_key"]),
        fields["published_date_time"].timestamp(), (provider.get("name") or "", provider.get("domain") or ""),
    )
    return clustering.story_hint(source, days=days)


class InProcessParser:
    """Parses lazily, in this process, when the batch's results are collected (no story hints: this process
    would compute them either way)."""

    @staticmethod
    def start(datas: list[bytes]) -> Iterator:
        return map(parse_for_import, datas)

    def close(self) -> None:
        pass


