"""Reporting periods: plain date arithmetic, no Flask inside.

Dates are the company's local dates; a period includes both ``start`` and ``end``. The
database stores finish times in naive UTC, so a period is turned into UTC bounds
(``utc_bounds``) before it reaches SQL.

Report periods (000, 数据统计流程): the weekly report is handed in on Wednesday and covers
the seven days up to that Wednesday (Thursday, the inspection day, to Wednesday); the
monthly report is handed in on the 25th and covers the 26th of the month before to the 25th.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from portal.timeutil import local_day_start_utc

WEDNESDAY = 2
MONTHLY_CUTOFF = 25


class PeriodKind(StrEnum):
    """How a period was chosen; it decides what the previous period is."""

    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"
    REPORT_WEEK = "report_week"
    REPORT_MONTH = "report_month"


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` to ``end``, both included."""

    start: date
    end: date
    kind: PeriodKind = PeriodKind.CUSTOM

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """``2026-11-01 – 2026-11-30``."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC covering the local days of ``period``."""
    return local_day_start_utc(period.start), local_day_start_utc(period.end + timedelta(days=1))


def first_of_month(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def shift_month(month: date, n: int) -> date:
    """The first day of the month ``n`` months after ``month``'s month (negative: before).

    Months as reporting periods: the day of ``month`` is ignored. Not to be confused with
    :func:`portal.rectification.escalation.add_months`, which keeps the day (an order stop of
    three months from 15 March ends on 15 June).
    """
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def week_of(day: date) -> Period:
    """The calendar week (Monday to Sunday) containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), PeriodKind.WEEK)


def month_of(day: date) -> Period:
    """The calendar month containing ``day``."""
    first = first_of_month(day)
    return Period(first, shift_month(first, 1) - timedelta(days=1), PeriodKind.MONTH)


def report_week(day: date) -> Period:
    """The weekly report's period containing ``day``: Thursday to the Wednesday it is handed in."""
    wednesday = day + timedelta(days=(WEDNESDAY - day.weekday()) % 7)
    return Period(wednesday - timedelta(days=6), wednesday, PeriodKind.REPORT_WEEK)


def report_month(day: date) -> Period:
    """The monthly report's period containing ``day``: the 26th of one month to the 25th of the next."""
    end_month = first_of_month(day) if day.day <= MONTHLY_CUTOFF else shift_month(first_of_month(day), 1)
    start = shift_month(end_month, -1).replace(day=MONTHLY_CUTOFF + 1)
    return Period(start, end_month.replace(day=MONTHLY_CUTOFF), PeriodKind.REPORT_MONTH)


def previous(period: Period) -> Period:
    """The period before ``period`` of the same kind (custom: as many days, just before)."""
    if period.kind == PeriodKind.MONTH:
        return month_of(period.start - timedelta(days=1))
    if period.kind == PeriodKind.REPORT_MONTH:
        return report_month(period.start - timedelta(days=1))
    shift = timedelta(days=period.days)
    return Period(period.start - shift, period.end - shift, period.kind)


def last_months(month: date, n: int = 12) -> list[date]:
    """The first days of the ``n`` months ending with ``month``'s month, oldest first."""
    last = first_of_month(month)
    return [shift_month(last, i) for i in range(-(n - 1), 1)]
