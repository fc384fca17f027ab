"""Clock helpers. Times are stored in UTC; the company works in China Standard Time.

Every "now" in the portal comes from :func:`utcnow` (and :func:`local_now`, :func:`local_today`
built on it), so one switch moves the whole portal in time: :func:`clock_at` runs a block as if
the clock read a given moment. The demo generator uses it to replay a year of work through the
ordinary services (an inspection finished "last March" gets last March's timestamps, notice
number and deadlines); nothing else should.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

COMPANY_TZ = ZoneInfo("Asia/Shanghai")

# (moment the clock was set to (naive UTC), monotonic reading when it was set), or None: real time.
_SET_CLOCK: ContextVar[tuple[datetime, float] | None] = ContextVar("portal_clock", default=None)


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (as stored in the database)."""
    setting = _SET_CLOCK.get()
    if setting is not None:
        moment, started = setting
        return moment + timedelta(seconds=time.monotonic() - started)
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_now() -> datetime:
    """The current wall-clock time at the company."""
    return utcnow().replace(tzinfo=timezone.utc).astimezone(COMPANY_TZ)


def local_today() -> date:
    """Today's date at the company (inspections are planned by local date)."""
    return local_now().date()


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the block as if the clock read ``moment`` (aware, or naive company time), then went on ticking.

    Only this context (thread / task) sees the moved clock; it is back to real time after the block.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COMPANY_TZ)
    token = _SET_CLOCK.set((moment.astimezone(timezone.utc).replace(tzinfo=None), time.monotonic()))
    try:
        yield
    finally:
        _SET_CLOCK.reset(token)


def to_local(value: datetime | None) -> datetime | None:
    """Convert a stored UTC time to the company's wall-clock time."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(COMPANY_TZ)


def local_day_start_utc(day: date) -> datetime:
    """Midnight at the company on ``day``, as a stored (naive UTC) time, for date filters."""
    return datetime.combine(day, datetime.min.time(), COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)
