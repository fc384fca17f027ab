"""One validation layer for what comes in through query strings and forms: typed, bounded values.

Dates are the company's business dates: nothing before the company kept records, nothing years
ahead. Beyond being typing errors, such values overflow date arithmetic (9999-12-31 + 1 day)
and break pages that show them later (calendar feeds, weeks), so they are refused where they
enter, with a message, never at use with a 500.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum
from typing import TypeVar

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from wtforms.validators import ValidationError

from portal.timeutil import local_now, local_today

# The earliest business date the portal accepts (records before it are typing errors).
EARLIEST_DAY = date(2000, 1, 1)
# Filters and reports may look this far ahead of today.
REPORT_YEARS_AHEAD = 5
# Inspections, reinspections and deadlines are planned at most this far ahead.
PLANNING_DAYS_AHEAD = 366
# Times recorded on site (closure tests) may be this far ahead of the server's clock (a phone's).
CLOCK_SKEW = timedelta(minutes=15)
# Ids are 32-bit in the database; larger numbers are not ids.
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000

E = TypeVar("E", bound=Enum)


class BadParameter(BadRequest):
    """A query-string value that cannot be used: 400 with the reason shown to the user."""


def latest_report_day(today: date | None = None) -> date:
    """The last day a filter or report may name: the end of the year a few years ahead."""
    return date((today or local_today()).year + REPORT_YEARS_AHEAD, 12, 31)


def latest_planned_day(today: date | None = None) -> date:
    """The last day an inspection, reinspection or deadline may be planned for."""
    return (today or local_today()) + timedelta(days=PLANNING_DAYS_AHEAD)


def day_problem(day: date, latest: date) -> str | None:
    """Why ``day`` is outside [EARLIEST_DAY, latest], or None."""
    if EARLIEST_DAY <= day <= latest:
        return None
    return str(_l("Enter a date between %(first)s and %(last)s.", first=EARLIEST_DAY.isoformat(),
                  last=latest.isoformat()))


# --- query strings --------------------------------------------------------------------------

def arg_date(name: str, default: date | None = None) -> date | None:
    """``?name=YYYY-MM-DD`` as a business date; ``default`` when absent or empty; 400 when it is not one."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw[:10]) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadParameter(str(_l("“%(value)s” is not a date (YYYY-MM-DD).", value=raw[:20])))
    problem = day_problem(day, latest_report_day())
    if problem:
        raise BadParameter(problem)
    return day


def arg_int(name: str, default: int | None = None, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``?name=N`` as a whole number in [low, high]; ``default`` when absent or empty; 400 otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)) or not low <= int(raw) <= high:
        raise BadParameter(str(_l("“%(value)s” is not a number between %(low)s and %(high)s.",
                                  value=raw[:20], low=low, high=high)))
    return int(raw)


def arg_id(name: str) -> int | None:
    """``?name=<id>`` (an id of a record), or None when absent; 400 for anything that cannot be an id."""
    return arg_int(name, None, low=1, high=MAX_ID)


def arg_page(name: str = "page") -> int:
    """``?page=N``, 1 by default."""
    return arg_int(name, 1, low=1, high=MAX_PAGE)


def arg_choice(name: str, enum: type[E]) -> E | None:
    """``?name=value`` as a member of ``enum``, or None when absent; 400 for an unknown value."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError:
        raise BadParameter(str(_l("“%(value)s” is not one of the choices.", value=raw[:20]))) from None


# --- form validators ------------------------------------------------------------------------

def report_day(_form, field) -> None:
    """A date of a filter or report: within the company's life and a few years ahead."""
    if field.data is not None:
        problem = day_problem(field.data, latest_report_day())
        if problem:
            raise ValidationError(problem)


def planned_day(_form, field) -> None:
    """A date something is planned for (inspection, reinspection, deadline): at most a year ahead."""
    if field.data is not None:
        problem = day_problem(field.data, latest_planned_day())
        if problem:
            raise ValidationError(problem)


def recorded_time(_form, field) -> None:
    """A time recorded on site, in company time: something that happened, so not in the future."""
    if field.data is None:
        return
    now = local_now().replace(tzinfo=None)
    if not datetime.combine(EARLIEST_DAY, datetime.min.time()) <= field.data <= now + CLOCK_SKEW:
        raise ValidationError(_l("Enter a time between %(first)s and now.", first=EARLIEST_DAY.isoformat()))
