"""Complaint figures of a period: received, open, overdue per step of the clock, time to close, by foreman."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.aftercare.figures import complaint_figures
from portal.aftercare.models import Complaint
from portal.auth.roles import Role
from portal.extensions import db
from portal.timeutil import COMPANY_TZ
from tests.factories import make_project, make_user

WEEK = (date(2026, 3, 5), date(2026, 3, 11))  # Thursday to Wednesday


def utc(local: datetime | None) -> datetime | None:
    """A company wall-clock time as stored (naive UTC)."""
    if local is None:
        return None
    return local.replace(tzinfo=COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)


def add(project, received, passed=None, answered=None, closed=None, repeat_of=None) -> Complaint:
    """A complaint with its clock's times (local) as they happened."""
    office = make_user(Role.OFFICE)
    complaint = Complaint(project_id=project.id, matter="噪音", description="周末施工", recorded_by_id=office.id,
                          received_at=utc(received), passed_on_at=utc(passed), handler_id=office.id if passed else None,
                          answered_at=utc(answered), answer="已处理" if answered else "", closed_at=utc(closed),
                          satisfied=True if closed else None, repeat_of_id=repeat_of.id if repeat_of else None)
    db.session.add(complaint)
    db.session.flush()
    return complaint


@pytest.fixture
def week_rows():
    """Complaints around the week of 5–11 March 2026, two foremen's projects (see the table in the test)."""
    x = make_project(foreman=make_user(Role.FOREMAN, display_name="甲工长"))
    y = make_project(foreman=make_user(Role.FOREMAN, display_name="乙工长"))
    d = datetime
    add(x, d(2026, 3, 9, 8))                                                   # A: pass-on due 11:00, not passed
    add(x, d(2026, 3, 6, 10), d(2026, 3, 6, 11))                               # B: answer due 8th 11:00, none
    add(y, d(2026, 3, 5, 9), d(2026, 3, 5, 15), d(2026, 3, 6, 9))              # C: passed late, answered: not overdue
    add(y, d(2026, 3, 7, 10), d(2026, 3, 7, 10, 30), d(2026, 3, 8), d(2026, 3, 8, 10))  # D: closed in 24 h
    add(y, d(2026, 3, 1, 9), d(2026, 3, 1, 10), d(2026, 3, 2), d(2026, 3, 6, 9))  # E: closed in the week: 120 h
    add(y, d(2026, 3, 2, 9))                                                   # F: earlier, open, both steps overdue
    g = add(y, d(2026, 3, 1, 9), d(2026, 3, 1, 10), d(2026, 3, 2), d(2026, 3, 4))  # G: all before the week
    add(y, d(2026, 3, 8, 10), d(2026, 3, 8, 10, 10), repeat_of=g)              # H: second complaint, answer not due
    add(y, d(2026, 3, 8, 8), d(2026, 3, 8, 9), d(2026, 3, 8, 12), d(2026, 3, 8, 14))  # I: closed in 6 h


def test_figures_of_a_running_week(week_rows):
    figures = complaint_figures(*WEEK, utc(datetime(2026, 3, 9, 12)))
    assert (figures.received, figures.open, figures.overdue, figures.closed, figures.repeats) == (6, 5, 3, 3, 1)
    assert figures.overdue_steps == {"pass_on": 2, "answer": 2}  # A and F; B and F
    assert sorted(figures.hours) == pytest.approx([6, 24, 120])
    assert (figures.median_hours_to_close, figures.mean_hours_to_close) == (24.0, 50.0)
    by_name = {f.name: f for f in figures.by_foreman}
    assert [f.name for f in figures.by_foreman] == ["乙工长", "甲工长"]  # most received first
    x, y = by_name["甲工长"], by_name["乙工长"]
    assert (x.received, x.open, x.overdue, x.closed, x.overdue_steps) == (2, 2, 2, 0, {"pass_on": 1, "answer": 1})
    assert (y.received, y.open, y.overdue, y.closed, y.repeats) == (4, 3, 1, 3, 1)
    assert (y.median_hours_to_close, x.median_hours_to_close) == (24.0, None)


def test_a_past_week_is_seen_as_at_its_end():
    """Steps done and complaints closed after the week count as not done then; time to close is of the week."""
    project = make_project()
    add(project, datetime(2026, 3, 11, 9), datetime(2026, 3, 12, 9), datetime(2026, 3, 12, 10),
        datetime(2026, 3, 13, 9))
    figures = complaint_figures(*WEEK, utc(datetime(2026, 3, 20, 9)))
    assert (figures.received, figures.open, figures.overdue, figures.closed) == (1, 1, 1, 0)
    assert figures.overdue_steps == {"pass_on": 1, "answer": 0}
    assert figures.median_hours_to_close is None
    following = complaint_figures(date(2026, 3, 12), date(2026, 3, 18), utc(datetime(2026, 3, 20, 9)))
    assert (following.received, following.open, following.closed, following.median_hours_to_close) == (0, 0, 1, 48.0)


def test_no_complaints_no_hours():
    figures = complaint_figures(*WEEK, utc(datetime(2026, 3, 9, 12)))
    assert (figures.received, figures.open, figures.by_foreman, figures.mean_hours_to_close) == (0, 0, [], None)
