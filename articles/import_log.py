"""An import run's results and its log: one `FileResult` per file, the run's `ImportSummary`, and its `ImportRun`,
created before the first write that names it and finished when the run ends.

A run that writes nothing logs nothing; a run whose database is gone cannot log itself and says so. The summary
keeps counts and only the first errors and warnings, so a million bad files do not sit in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field

from django.db import DatabaseError
from django.utils import timezone

from .models import ImportRun
from .validation import FileError

logger = logging.getLogger(__name__)

MAX_WARNINGS_KEPT = 1000  # in the run's log; each one also reaches `on_result`
MAX_ERRORS_KEPT = 1000  # likewise; the count of rejected files stays exact


@dataclass
class FileResult:
    path: str
    key: str
    status: str  # created, updated, unchanged, rejected, skipped (not a file to read: a warning)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: FileError | None = None
    rules: list[dict] = field(default_factory=list)  # the ingest rules that matched it: id, name, actions

    def as_json(self) -> str:
        return json.dumps(
            {"path": self.path, "key": self.key, "status": self.status, "errors": self.errors, "warnings": self.warnings,
             "rules": self.rules},
            ensure_ascii=False,
        )


@dataclass
class ImportSummary:
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[FileError] = field(default_factory=list)  # the first MAX_ERRORS_KEPT of them
    warnings: list[str] = field(default_factory=list)  # the first MAX_WARNINGS_KEPT of them
    rules_fired: dict[str, int] = field(default_factory=dict)  # "name (actions)" -> files it matched

    def count(self, result: FileResult) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)
        for rule in result.rules:
            label = f"“{rule['name']}” ({rule['actions']})"
            self.rules_fired[label] = self.rules_fired.get(label, 0) + 1
        if result.status == "skipped":
            if len(self.warnings) < MAX_WARNINGS_KEPT:
                self.warnings.extend(result.warnings)
            return
        self.files += 1
        if result.error and len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(result.error)

    def __str__(self) -> str:
        return ImportRun.describe_counts(self)

    def rule_lines(self) -> list[str]:
        """One line per ingest rule that matched files in this run (the report says which files)."""
        return [f"rule {label}: {count} file{'s' if count != 1 else ''}" for label, count in self.rules_fired.items()]


@dataclass
class RunLog:
    """The run's `ImportRun`, created (status running) before the first batch whose ingest rules need to name
    it in the audit, and finished by `record_run`; a run that writes nothing still logs nothing."""

    started: dt.datetime
    arguments: dict
    run: ImportRun | None = None

    def started_run(self) -> ImportRun:
        if self.run is None:
            self.run = ImportRun.objects.create(
                status=ImportRun.Status.RUNNING, arguments={**self.arguments, "started": self.started.isoformat()}
            )
        return self.run


def record_run(summary: ImportSummary, *, started, status: str, failure: str = "", arguments: dict,
               run: ImportRun | None = None) -> ImportRun | None:
    """Log the run (or finish the one logged since its first write). A run whose database is gone cannot log
    itself: it says so, and its exit code tells."""
    try:
        return _save_run(summary, started=started, status=status, failure=failure, arguments=arguments, run=run)
    except DatabaseError as error:
        logger.warning("Could not log this import run: %s", error)
        return None


def _save_run(summary: ImportSummary, *, started, status: str, failure: str, arguments: dict,
              run: ImportRun | None) -> ImportRun:
    values = dict(
        failure=failure,
        finished_at=timezone.now(),
        arguments={**arguments, "started": started.isoformat()},
        status=status,
        files=summary.files,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        skipped=summary.skipped,
        warnings=summary.warnings,
        errors=[{"path": e.path, "line": e.line, "message": e.message} for e in summary.errors],
    )
    if run is None:
        return ImportRun.objects.create(**values)
    ImportRun.objects.filter(pk=run.pk).update(**values)
    return run
