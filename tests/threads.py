"""Threads for the tests where two connections overlap (PostgreSQL's row and advisory locks)."""

import threading
from typing import Callable

from django.db import connections


def started(work: Callable[[], object], errors: list | None = None) -> threading.Thread:
    """`work` running in a thread of its own, on a database connection of its own that is closed when it ends;
    with `errors`, what it raises is put there for the test to assert on (else it is the thread's to report)."""

    def run():
        try:
            work()
        except Exception as error:
            if errors is None:
                raise
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
