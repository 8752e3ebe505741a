"""The C heap of a long import, kept from fragmenting as the run goes on (glibc; elsewhere nothing is done).

A batch frees what it allocated, but glibc serves it from a heap that grows when what outlives the batch sits
between the freed blocks. Two things made that heap grow with the run (docs/PERFORMANCE.md, Importer memory):
glibc's mmap threshold rises to the size of any large block freed (one of 15 MiB was seen), after which such
blocks come from the heap and leave holes in it; and the free pages inside the heap stay resident until trimmed.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from moving


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


GLIBC = _glibc()


def keep_large_blocks_out_of_the_heap() -> None:
    """Blocks of 128 KiB and more are mapped on their own and unmapped when freed, for the rest of the process:
    a fixed threshold, where glibc would raise it after each large free."""
    if GLIBC is not None:
        GLIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def return_freed_memory() -> None:
    """Give the heap's free pages back to the system (between batches; well under a millisecond)."""
    if GLIBC is not None:
        GLIBC.malloc_trim(0)
