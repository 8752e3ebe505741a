"""The import_articles command as an engineer runs it: exit codes, summary line, report file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from articles.models import Article
from tests.builders import write_item

PROJECT = Path(__file__).resolve().parent.parent


def run_command(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "SQLITE_PATH": str(database)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "db.sqlite3"
    assert run_command("migrate", "-v0", database=path).returncode == 0
    return path


def test_exit_status_summary_and_report(tmp_path, database):
    source = tmp_path / "in"
    source.mkdir()
    write_item(source, "good")
    (source / "bad.md").write_text("---\ntitle: [\n---\n")
    report = tmp_path / "report.jsonl"

    first = run_command("import_articles", str(source), "--report", str(report), database=database)
    assert first.returncode == 1
    assert first.stdout.strip().endswith("2 files: 1 created, 0 updated, 0 unchanged, 1 rejected")
    assert "bad.md:3: YAML error" in first.stderr
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert {row["key"]: row["status"] for row in rows} == {"bad": "rejected", "good": "created"}
    assert set(rows[0]) == {"path", "key", "status", "errors", "warnings", "rules"}

    (source / "bad.md").unlink()
    second = run_command("import_articles", str(source), database=database)
    assert second.returncode == 0
    assert "1 files: 0 created, 0 updated, 1 unchanged, 0 rejected" in second.stdout


def test_usage_errors_exit_with_2(tmp_path, database):
    assert run_command("import_articles", database=database).returncode == 2
    missing = run_command("import_articles", str(tmp_path / "nope"), database=database)
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr


@pytest.mark.django_db
def test_dry_run_through_call_command(tmp_path, capsys):
    write_item(tmp_path, "good")
    call_command("import_articles", str(tmp_path), "--dry-run")
    assert "1 created" in capsys.readouterr().out
    assert not Article.objects.exists()
