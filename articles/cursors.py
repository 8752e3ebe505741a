"""Opaque position tokens for keyset pagination (the API's `cursor`, the queue's `after`/`before`).

A token is the sort values of one row, as compact JSON in URL-safe base64: it
says where a page ends, so the next page starts there with an index range
instead of an OFFSET that reads every row it skips.
"""

from __future__ import annotations

import base64
import binascii
import json


def pack(values: list) -> str:
    """JSON-serialisable `values` as a token."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def unpack(token: str) -> list:
    """The values `pack` was given; ValueError for anything that is not such a token."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("not a position token") from error
    if not isinstance(values, list):
        raise ValueError("not a position token")
    return values
