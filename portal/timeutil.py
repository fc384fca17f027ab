"""Clock helpers. Times are stored in UTC; the company works in China Standard Time."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

COMPANY_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (as stored in the database)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_now() -> datetime:
    """The current wall-clock time at the company."""
    return datetime.now(COMPANY_TZ)


def local_today() -> date:
    """Today's date at the company (inspections are planned by local date)."""
    return local_now().date()


def to_local(value: datetime | None) -> datetime | None:
    """Convert a stored UTC time to the company's wall-clock time."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(COMPANY_TZ)


def local_day_start_utc(day: date) -> datetime:
    """Midnight at the company on ``day``, as a stored (naive UTC) time, for date filters."""
    return datetime.combine(day, datetime.min.time(), COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)
