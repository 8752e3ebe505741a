"""Finding an import's files, and the worker processes that parse them.

Only regular files are read: a FIFO would block the importer forever, a socket
or device is not an item. Links leading outside the folder given are not
followed, names are shown escaped, names without a source key are refused,
and parser workers die with the importer.
"""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from articles import reading, validation
from articles.importing import import_paths
from articles.models import Article
from articles.reading import display_path, iter_files, open_regular
from tests.builders import item_text, write_item

PROJECT = Path(__file__).resolve().parent.parent


class Notice(NamedTuple):
    path: str
    reason: str
    rejected: bool


def found(paths) -> tuple[list[str], list[Notice]]:
    """(the files iter_files yields, relative to the first path's folder; what it leaves out, in order)."""
    notices: list[Notice] = []
    base = Path(paths[0]) if Path(paths[0]).is_dir() else Path(paths[0]).parent
    files = [
        os.path.relpath(path, base) for path in iter_files(
            paths, on_skip=lambda path, reason: notices.append(Notice(path, reason, False)),
            on_reject=lambda path, reason: notices.append(Notice(path, reason, True)),
        )
    ]
    return files, notices


def reasons(skipped: list[Notice]) -> dict[str, str]:
    return {notice.path.rsplit("/", 1)[-1]: notice.reason for notice in skipped}


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_item(folder, "good")
    return folder


def test_files_come_in_name_order_each_folders_files_before_its_subfolders(tmp_path):
    for name in ("b.md", "a.txt", "sub/z.md", "sub/deeper/y.markdown", "sub/c.md", "a-sub/x.md", "notes.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(item_text())

    files, skipped = found([tmp_path])

    assert files == ["a.txt", "b.md", "a-sub/x.md", "sub/c.md", "sub/z.md", "sub/deeper/y.markdown"]
    assert skipped == []


# --- what is not a regular file --------------------------------------------------------


def test_a_fifo_is_skipped_with_a_warning(folder):
    os.mkfifo(folder / "pipe.md")

    files, skipped = found([folder])

    assert files == ["good.md"]
    assert reasons(skipped) == {"pipe.md": "not a regular file (a FIFO): skipped"}
    assert not skipped[0].rejected


def test_a_socket_is_skipped_with_a_warning(folder):
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(os.fspath(folder / "live.md"))
        files, skipped = found([folder])
    finally:
        server.close()

    assert files == ["good.md"]
    assert reasons(skipped) == {"live.md": "not a regular file (a socket): skipped"}


def test_a_device_is_skipped_with_a_warning(folder):
    try:
        os.mknod(folder / "null.md", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device file needs root")

    files, skipped = found([folder])

    assert files == ["good.md"]
    assert reasons(skipped) == {"null.md": "not a regular file (a character device): skipped"}


def test_a_fifo_named_on_the_command_line_is_skipped(folder):
    os.mkfifo(folder / "pipe.md")

    files, skipped = found([folder / "pipe.md", folder / "good.md"])

    assert files == ["good.md"]
    assert reasons(skipped) == {"pipe.md": "not a regular file (a FIFO): skipped"}


def run_import(*paths: Path, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SQLITE_PATH": str(database)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True, timeout=120)
    return subprocess.run(
        [sys.executable, "manage.py", "import_articles", *map(str, paths), "--no-progress"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )


def test_the_importer_does_not_wait_on_a_fifo(folder, tmp_path):
    os.mkfifo(folder / "pipe.md")
    os.mkfifo(folder / "direct.md")

    result = run_import(folder, folder / "direct.md", database=tmp_path / "db.sqlite3")  # would block forever before

    assert "1 files: 1 created" in result.stdout
    assert "pipe.md: not a regular file (a FIFO): skipped" in result.stderr


def test_open_regular_refuses_a_fifo_without_blocking(folder):
    os.mkfifo(folder / "pipe.md")

    with pytest.raises(OSError, match="not a regular file"):
        open_regular(folder / "pipe.md")
    with open_regular(folder / "good.md") as handle:
        assert handle.read().startswith(b"---\n")


# --- symbolic links -----------------------------------------------------------------------


def test_links_leading_outside_the_folder_are_not_followed(folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_item(outside, "secret")
    (folder / "secret.md").symlink_to(outside / "secret.md")
    (folder / "elsewhere").symlink_to(outside)
    (folder / "passwd.md").symlink_to("/etc/passwd")
    (folder / "null.md").symlink_to("/dev/null")

    files, skipped = found([folder])

    assert files == ["good.md"]
    assert set(reasons(skipped)) == {"secret.md", "elsewhere", "passwd.md", "null.md"}
    assert all("symbolic link leading outside" in notice.reason and "not followed" in notice.reason for notice in skipped)
    assert f"(to {outside / 'secret.md'})" in reasons(skipped)["secret.md"]


def test_links_inside_the_folder_are_followed_and_a_loop_is_searched_once(folder):
    (folder / "sub").mkdir()
    write_item(folder / "sub", "inner")
    (folder / "alias.md").symlink_to(folder / "good.md")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "zz-same-sub").symlink_to("sub")

    files, skipped = found([folder])

    assert files == ["alias.md", "good.md", "sub/inner.md"]
    assert {notice.reason for notice in skipped} == {
        "a directory already searched (through a link): not searched again"
    }


def test_a_linked_folder_named_on_the_command_line_is_searched(folder, tmp_path):
    (tmp_path / "link").symlink_to(folder)
    (folder / "alias.md").symlink_to("good.md")

    files, skipped = found([tmp_path / "link"])

    assert files == ["alias.md", "good.md"] and skipped == []


def test_a_dangling_link_is_left_to_the_importer_to_report(folder):
    (folder / "gone.md").symlink_to(folder / "missing.md")

    files, _ = found([folder])

    assert files == ["gone.md", "good.md"]


def test_an_unreadable_folder_is_a_warning(folder, monkeypatch):
    (folder / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(reading.os, "scandir", scandir)
    files, skipped = found([folder])

    assert files == ["good.md"]
    assert reasons(skipped) == {"locked": "cannot read directory: Permission denied"}


@pytest.fixture
def deep_tree(tmp_path):
    """1,200 nested folders (os.walk recursed once per level), removed bottom-up afterwards: shutil.rmtree
    recurses too, and would fail on it when pytest cleans its temporary folders."""
    folders = [os.fspath(tmp_path)]
    for _ in range(1200):
        folders.append(folders[-1] + "/d")
        os.mkdir(folders[-1])
    Path(folders[-1], "bottom.md").write_text(item_text())
    yield tmp_path
    os.unlink(Path(folders[-1], "bottom.md"))
    for folder in reversed(folders[1:]):
        os.rmdir(folder)


def test_a_very_deep_tree_is_searched_without_recursion(deep_tree):
    files, _ = found([deep_tree])

    assert files == ["/".join(["d"] * 1200 + ["bottom.md"])]


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["..md", "...md", ".md", "..MD", "....markdown", "..txt"])
def test_a_name_that_gives_no_source_key_is_refused(folder, name):
    (folder / name).write_text(item_text())

    files, skipped = found([folder])

    assert files == ["good.md"]
    assert skipped == [Notice(str(folder / name), "file name gives no source key (nothing but dots before the extension)",
                              rejected=True)]


def test_names_with_dots_and_a_key_are_fine(folder):
    for name in (".hidden.md", "a..md", "v1.2.md"):
        (folder / name).write_text(item_text())

    assert found([folder])[0] == [".hidden.md", "a..md", "good.md", "v1.2.md"]


@pytest.mark.parametrize("name, shown", [
    ("a\nb.md", "'a\\nb.md'"), ("\x1b[31mred.md", "'\\x1b[31mred.md'"), ("tab\there.md", "'tab\\there.md'"),
    ("\u202eexe.md", "'\\u202eexe.md'"), ("ünï ✓.md", "ünï ✓.md"),
])
def test_names_with_control_characters_are_shown_escaped(folder, name, shown):
    (folder / name).write_text(item_text())
    os.mkfifo(folder / f"{name}.md")

    files, skipped = found([folder])

    assert name in files
    assert display_path(name) == shown
    assert [notice.path for notice in skipped] == [display_path(folder / f"{name}.md")]
    assert skipped[0].path.isprintable() and "\x1b" not in skipped[0].path and "\u202e" not in skipped[0].path


def test_a_name_that_is_not_utf8_is_refused(folder):
    raw = os.fsencode(folder) + b"/caf\xe9.md"
    with open(raw, "w") as handle:
        handle.write(item_text())

    files, skipped = found([folder])

    assert files == ["good.md"]
    assert skipped[0].rejected and skipped[0].reason.startswith("file name is not valid UTF-8")
    assert skipped[0].path.endswith("caf\\udce9.md'") and skipped[0].path.isprintable()


@pytest.mark.django_db
def test_the_import_of_a_folder_with_odd_names_imports_the_rest(folder):
    with open(os.fsencode(folder) + b"/caf\xe9.md", "w") as handle:
        handle.write(item_text("cafe"))
    (folder / "..md").write_text(item_text("dots"))
    os.mkfifo(folder / "pipe.md")
    (folder / "a\x1b[31mb.md").write_text(item_text("escape"))

    summary = import_paths([folder])

    assert summary.created == 2
    assert sorted(Article.objects.values_list("source_key", flat=True)) == ["a\x1b[31mb", "good"]


def test_without_on_reject_a_refused_name_goes_to_on_skip(folder):
    (folder / "..md").write_text(item_text())
    notices = []

    assert [path.name for path in iter_files([folder], on_skip=lambda *notice: notices.append(notice))] == ["good.md"]
    assert notices == [(str(folder / "..md"), "file name gives no source key (nothing but dots before the extension)")]


def test_the_default_is_a_logged_warning(folder, caplog):
    os.mkfifo(folder / "pipe.md")

    assert [path.name for path in iter_files([folder])] == ["good.md"]
    assert f"{folder / 'pipe.md'}: not a regular file (a FIFO): skipped" in caplog.text


# --- workers die with the importer ---------------------------------------------------------

WORKERS = """
import sys
sys.path.insert(0, {project!r})
from articles import reading, validation
if {polling!r}:
    reading._set_parent_death_signal = lambda: False
    reading.ORPHAN_CHECK_SECONDS = 0.1
pool = reading.WorkerPool(2)
data = {data!r}
list(pool.start([data] * 64))
print("ready", flush=True)
while True:
    list(pool.start([data] * 2000))
"""


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in "ZX":
                children.append(int(entry.name))
    return children


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in "ZX"  # a zombie has exited; only its parent (init, here) has yet to reap it


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
@pytest.mark.parametrize("polling", [False, True], ids=["parent-death-signal", "polling-fallback"])
def test_workers_exit_when_the_importer_is_killed(polling):
    script = WORKERS.format(project=str(PROJECT), polling=polling, data=item_text("worker").encode())
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        assert parent.stdout.readline().strip() == "ready"
        workers = children_of(parent.pid)
        assert len(workers) == 2 and all(running(pid) for pid in workers)

        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)

        assert not any(running(pid) for pid in workers)
    finally:  # leave nothing running, whatever failed
        parent.kill()
        parent.wait(timeout=10)
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_a_worker_that_dies_does_not_end_the_run():
    pool = reading.WorkerPool(2)
    data = item_text("worker").encode()
    try:
        results = pool.start([data] * 400)
        collected = [next(results) for _ in range(40)]
        os.kill(children_of(os.getpid())[0], signal.SIGKILL)  # as the out-of-memory killer would
        collected += list(results)
        later = list(pool.start([data] * 10))
    finally:
        pool.close()

    assert len(collected) == 400 and len(later) == 10
    assert all(not isinstance(result, reading.FileError) for result in collected + later)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_a_worker_that_dies_between_batches_does_not_end_the_run():
    pool = reading.WorkerPool(2)
    data = item_text("worker").encode()
    try:
        first = list(pool.start([data] * 10))
        os.kill(children_of(os.getpid())[0], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not pool.executor._broken and time.monotonic() < deadline:  # the pool notices in its own thread
            time.sleep(0.01)
        assert pool.executor._broken, "the pool never noticed its dead worker"
        later = list(pool.start([data] * 10))
    finally:
        pool.close()

    assert len(first) == 10 and len(later) == 10
    assert all(not isinstance(result, reading.FileError) for result in first + later)


def test_a_file_its_worker_dies_on_is_that_files_error(monkeypatch):
    pool = reading.WorkerPool(1)
    deadly = item_text("deadly").encode()
    monkeypatch.setattr(reading, "parse_item", _die_on_deadly)  # what the workers are asked to run
    try:
        results = list(pool._one_by_one([item_text("a").encode(), deadly, item_text("b").encode()]))
    finally:
        pool.close()

    assert [type(result).__name__ for result in results] == ["tuple", "FileError", "tuple"]
    assert results[1].message == "the parser process died while reading this file"


def _die_on_deadly(data: bytes):
    if b"Deadly" in data:
        os._exit(9)
    return validation.parse_item(data)


def test_a_big_directory_is_listed_a_chunk_at_a_time_and_nothing_is_lost(tmp_path, monkeypatch):
    """Memory: the names of a directory are held LISTING_CHUNK at a time, each chunk in name order."""
    from articles import reading

    monkeypatch.setattr(reading, "LISTING_CHUNK", 3)
    names = {f"item-{index:02}.md" for index in range(8)}
    for name in names:
        (tmp_path / name).write_text("---\ntitle: x\n---\n")

    found = [path.name for path in reading.iter_files([tmp_path])]

    assert sorted(found) == sorted(names) and len(found) == len(names)
    for start in range(0, len(found), 3):
        assert found[start:start + 3] == sorted(found[start:start + 3])
