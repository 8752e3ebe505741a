"""Timestamps anywhere in a DateTimeField's range, shown and compared without ever raising.

An imported date can sit at the very edge of the calendar: 9999-12-31 23:59 UTC
is already the year 10000 east of Greenwich, and 0001-01-01 00:00 UTC is the
year 0 west of it, neither of which a Python datetime holds. A filter value
with an offset (0001-01-01T00:00:00+14:00) has the same problem once a
database adapter converts it to UTC. So: values a database is asked to
compare are checked first (`is_storable`), and local time for display falls
back to UTC (`shown`) or, for the admin's drill-down, to the first or last
moment local time can express (`local_or_edge`).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

UTC = dt.timezone.utc
RANGE_MESSAGE = "Enter a date and time between 0001-01-01 and 9999-12-31 in UTC."


def in_utc(value: dt.datetime) -> dt.datetime | None:
    """An aware `value` in UTC, or None when that falls outside what a datetime holds."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def is_storable(value) -> bool:
    """Whether a DateTimeField can hold `value` and a database compare against it: aware, and in range in UTC."""
    return isinstance(value, dt.datetime) and timezone.is_aware(value) and in_utc(value) is not None


def shown(value: dt.datetime) -> dt.datetime:
    """`value` in local time for display, or in UTC where local time would leave a datetime's range."""
    try:
        return timezone.localtime(value)
    except (OverflowError, ValueError):
        return value.astimezone(UTC)


def local_or_edge(value: dt.datetime) -> dt.datetime:
    """`value` in local time, or the first or last moment local time can express when it lies beyond them."""
    zone = timezone.get_current_timezone()
    try:
        return timezone.localtime(value, zone)
    except (OverflowError, ValueError):
        edge = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
        return edge.replace(tzinfo=zone)


def following(day: dt.date, kind: str) -> dt.date | None:
    """The first day of the year, month or day (`kind`) after the one `day` starts; None past 9999-12-31."""
    try:
        if kind == "year":
            return day.replace(year=day.year + 1, month=1, day=1)
        if kind == "month":
            return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return day + dt.timedelta(days=1)
    except (OverflowError, ValueError):
        return None


def start_of(day: dt.date, zone) -> dt.datetime:
    """Midnight starting `day` in `zone`, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), zone)
