"""What stops an import run, and what never does: a file's problem is that file's rejection; only the run's
own failure (the database gone) stops it, logged with where it stopped and its own exit code."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from articles import import_log, import_writer, importing
from articles.importing import ImportFailed, import_paths
from articles.management.commands.import_articles import EXIT_RUN_FAILED
from articles.models import Article, ImportRun
from tests.builders import write_item

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parent.parent


def test_an_unexpected_error_writing_one_file_rejects_that_file_alone(tmp_path, monkeypatch):
    for slug in ("first", "cursed", "last"):
        write_item(tmp_path, slug)
    original = import_writer.BatchWriter.write

    def write(self, items):
        if any(item.key == "cursed" for item in items):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return original(self, items)

    monkeypatch.setattr(import_writer.BatchWriter, "write", write)

    summary = import_paths([tmp_path], batch_size=10)

    assert (summary.created, summary.rejected) == (2, 1)
    [error] = summary.errors
    assert error.path.endswith("cursed.md")
    assert error.message.startswith("unexpected error while writing it: UnicodeEncodeError")
    assert set(Article.objects.values_list("source_key", flat=True)) == {"first", "last"}


def test_a_database_that_stops_answering_stops_the_run_and_logs_where(tmp_path, monkeypatch):
    for index in range(4):
        write_item(tmp_path, f"story-{index}")
    original = importing.Importer.write_batch

    def write_batch(self, items):
        if any(item.key == "story-2" for item in items):
            raise OperationalError("server closed the connection unexpectedly")
        return original(self, items)

    monkeypatch.setattr(importing.Importer, "write_batch", write_batch)
    monkeypatch.setattr(importing, "database_is_reachable", lambda: False)

    with pytest.raises(ImportFailed, match="stopped answering while writing .*story-2.md"):
        import_paths([tmp_path], batch_size=2)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED and "story-2.md" in run.failure
    assert run.created == 2  # the batch before it committed
    assert set(Article.objects.values_list("source_key", flat=True)) == {"story-0", "story-1"}


def test_the_command_exits_with_its_own_code_when_the_run_fails(tmp_path, monkeypatch):
    write_item(tmp_path, "story")
    monkeypatch.setattr(importing.Importer, "prepare", lambda *args: (_ for _ in ()).throw(OperationalError("gone")))

    with pytest.raises(CommandError, match="import stopped: the database stopped answering") as caught:
        call_command("import_articles", str(tmp_path), "--no-progress")

    assert caught.value.returncode == EXIT_RUN_FAILED == 3


def test_an_unreachable_database_exits_3_with_one_line_and_no_traceback(tmp_path):
    write_item(tmp_path, "story")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:9/none"}  # nothing listens on the discard port

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_articles", str(tmp_path), "--no-progress"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert finished.returncode == 3
    assert "import stopped: the database stopped answering" in finished.stderr
    assert "Traceback" not in finished.stderr + finished.stdout


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PRAGMA optimize is SQLite's housekeeping")
def test_housekeeping_after_the_writes_never_fails_the_run(tmp_path, monkeypatch, caplog):
    write_item(tmp_path, "story")
    original = connection.cursor

    class LockedForOptimize:
        def __init__(self):
            self.cursor = original()

        def __enter__(self):
            self.cursor.__enter__()
            return self

        def __exit__(self, *exc):
            return self.cursor.__exit__(*exc)

        def execute(self, sql, params=None):
            if sql == "PRAGMA optimize":
                raise OperationalError("database is locked")
            return self.cursor.execute(sql, params)

        def __getattr__(self, name):
            return getattr(self.cursor, name)

    monkeypatch.setattr(importing.connection, "cursor", LockedForOptimize)

    summary = import_paths([tmp_path])

    assert summary.created == 1 and ImportRun.objects.get().status == ImportRun.Status.FINISHED
    assert "Skipped refreshing the planner's statistics: database is locked" in caplog.text


def test_entries_that_are_not_files_are_skipped_with_a_warning_in_the_run_log(tmp_path):
    write_item(tmp_path, "good")
    os.mkfifo(tmp_path / "pipe.md")
    (tmp_path / "..md").write_text("---\ntitle: dots\n---\n")
    write_item(tmp_path, "bad\x1b[31mname")
    (tmp_path / "bad\x1b[31mname.md").write_text("---\ntitle: [\n---\n")
    results = []

    summary = import_paths([tmp_path], on_result=results.append)

    assert (summary.files, summary.created, summary.rejected, summary.skipped) == (3, 1, 2, 1)
    assert str(summary).endswith("1 created, 0 updated, 0 unchanged, 2 rejected, 1 skipped")
    [warning] = summary.warnings
    assert "pipe.md" in warning and "not a regular file (a FIFO)" in warning
    messages = " ".join(str(error) for error in summary.errors)
    assert "..md" in messages and "\x1b" not in messages and "\\x1b[31mname.md" in messages
    run = ImportRun.objects.get()
    assert run.skipped == 1 and run.warnings == summary.warnings
    assert [r.status for r in results].count("skipped") == 1


def test_the_command_prints_each_warning_once_and_reports_skipped_entries(tmp_path, capsys):
    source = tmp_path / "in"
    source.mkdir()
    write_item(source, "good")
    os.mkfifo(source / "pipe.md")
    report = tmp_path / "report.jsonl"

    call_command("import_articles", str(source), "--no-progress", "--report", str(report))

    err = capsys.readouterr().err
    assert err.count("pipe.md") == 1 and "skipped:" in err
    rows = [line for line in report.read_text().splitlines() if '"skipped"' in line]
    assert len(rows) == 1 and "pipe.md" in rows[0]


def test_the_run_log_keeps_the_first_errors_and_counts_every_rejected_file(tmp_path, monkeypatch):
    """Memory: a run of a million bad files must not hold a million errors; the report file has each one."""
    monkeypatch.setattr(import_log, "MAX_ERRORS_KEPT", 2)
    write_item(tmp_path, "good")
    for index in range(3):
        (tmp_path / f"bad-{index}.md").write_text("no front matter\n")
    results = []

    summary = import_paths([tmp_path], on_result=results.append)

    assert (summary.created, summary.rejected) == (1, 3)
    assert [error.path[-8:] for error in summary.errors] == ["bad-0.md", "bad-1.md"]
    assert [r.status for r in results].count("rejected") == 3
    run = ImportRun.objects.get()
    assert run.rejected == 3 and [error["path"][-8:] for error in run.errors] == ["bad-0.md", "bad-1.md"]
