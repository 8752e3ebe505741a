"""Logging filters for the project's one console handler."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (a 4xx: 403, 404, a bad CSRF token) is expected: its log line stays, its traceback goes.

    Django logs a PermissionDenied with the exception attached, so every 403 would print a full traceback
    that says nothing about a fault. Server errors (5xx) and everything else keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
