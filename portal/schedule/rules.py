"""Schedule rules as plain functions of dates and times (no Flask, no database).

The company works in local time (Asia/Shanghai). Weeks start on Monday; engineering's list
for a week is due by the end of the Wednesday before it; inspections are on Thursday; a
change later than 24 hours before the original slot is a "late change".
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from portal.timeutil import COMPANY_TZ

# The slots office picks from; an inspection takes about one and a half hours.
TIME_SLOTS: tuple[time, ...] = (time(9, 0), time(10, 30), time(14, 0), time(15, 30))
SLOT_LENGTH = timedelta(minutes=90)
NOTICE_BEFORE_SLOT = timedelta(hours=24)

MONDAY, WEDNESDAY, THURSDAY = 0, 2, 3


def week_start(day: date) -> date:
    """The Monday of the week containing ``day``."""
    return day - timedelta(days=day.weekday())


def next_week_start(today: date) -> date:
    """The Monday of the week after ``today``'s: the week engineering's list is for."""
    return week_start(today) + timedelta(days=7)


def week_days(start: date) -> list[date]:
    """The seven days of the week starting on ``start``."""
    return [start + timedelta(days=n) for n in range(7)]


def inspection_day(start: date) -> date:
    """The Thursday of the week starting on ``start``: pre-acceptance day."""
    return start + timedelta(days=THURSDAY)


def submission_deadline(start: date, tz: tzinfo = COMPANY_TZ) -> datetime:
    """The end of the Wednesday before the week starting on ``start``, local time (an aware datetime)."""
    wednesday = week_start(start) - timedelta(days=7 - WEDNESDAY)
    return datetime.combine(wednesday, time.max, tzinfo=tz)


def is_late(submitted_at_local: datetime, start: date, tz: tzinfo = COMPANY_TZ) -> bool:
    """True when the list for the week starting on ``start`` was submitted after its deadline.

    ``submitted_at_local`` is aware (any zone) or naive company-local wall time.
    """
    return _aware(submitted_at_local, tz) > submission_deadline(start, tz)


def slot_start(day: date, slot: time | None, tz: tzinfo = COMPANY_TZ) -> datetime:
    """When an inspection begins; one without a time slot counts from the start of its day."""
    return datetime.combine(day, slot or time.min, tzinfo=tz)


def is_late_change(slot_begins: datetime, now: datetime, tz: tzinfo = COMPANY_TZ) -> bool:
    """True when ``now`` is later than 24 hours before the slot (exactly 24 hours is still on time)."""
    return _aware(now, tz) > _aware(slot_begins, tz) - NOTICE_BEFORE_SLOT


def office_default_week(today: date) -> date:
    """The week office plans by default: from Wednesday on (next week's list is due) the next week, else this one."""
    return next_week_start(today) if today.weekday() >= WEDNESDAY else week_start(today)


def parse_slot(text: str | None) -> time | None:
    """One of TIME_SLOTS from ``HH:MM``, or None."""
    for slot in TIME_SLOTS:
        if text == slot.strftime("%H:%M"):
            return slot
    return None


def listing_refusal(work_complete: bool, owner_delay: bool, reason: str) -> str | None:
    """Why a project may not go on the weekly list, or None (3.1.2).

    Only projects whose company work is complete may be listed, unless the owner's own delay
    blocks completion and the reason is written down.
    """
    if owner_delay and not reason.strip():
        return "reason_required"
    if not work_complete and not owner_delay:
        return "not_complete"
    return None


def _aware(value: datetime, tz: tzinfo) -> datetime:
    """Naive datetimes are company-local wall time."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value
