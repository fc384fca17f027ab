"""The after-sales rules as plain functions: warranty periods at their boundaries, the response clocks."""
from datetime import date, datetime

import pytest

from portal.aftercare import clocks, warranty

TABLE = warranty.periods()


# 民法典 第二百零一条 (the start day not counted) and 第二百零二条 (the corresponding day of the last month
# is the last day; without one, the month's last day).
@pytest.mark.parametrize("kind, start, day, covered, last", [
    ("general", date(2026, 3, 10), date(2026, 3, 10), True, date(2028, 3, 10)),     # first day (acceptance)
    ("general", date(2026, 3, 10), date(2028, 3, 10), True, date(2028, 3, 10)),     # last day
    ("general", date(2026, 3, 10), date(2028, 3, 11), False, date(2028, 3, 10)),    # day after
    ("general", date(2026, 3, 10), date(2026, 3, 9), False, date(2028, 3, 10)),     # before acceptance
    ("waterproofing", date(2026, 3, 10), date(2028, 3, 11), True, date(2031, 3, 10)),
    ("waterproofing", date(2026, 3, 10), date(2031, 3, 10), True, date(2031, 3, 10)),
    ("waterproofing", date(2026, 3, 10), date(2031, 3, 11), False, date(2031, 3, 10)),
    ("general", date(2024, 2, 29), date(2026, 2, 28), True, date(2026, 2, 28)),     # 29 Feb: no 29th in 2026
    ("general", date(2024, 2, 29), date(2026, 3, 1), False, date(2026, 2, 28)),
    ("waterproofing", date(2024, 2, 29), date(2029, 2, 28), True, date(2029, 2, 28)),
    ("general", date(2024, 2, 28), date(2026, 2, 28), True, date(2026, 2, 28)),
    ("general", date(2026, 12, 31), date(2028, 12, 31), True, date(2028, 12, 31)),  # year end
    ("general", date(2026, 12, 31), date(2029, 1, 1), False, date(2028, 12, 31)),
    ("mystery", date(2026, 1, 31), date(2028, 1, 31), True, date(2028, 1, 31)),     # unknown kind: general
])
def test_warranty_judgement_at_the_boundaries(kind, start, day, covered, last):
    judgement = warranty.judge(kind, start, day, TABLE)
    assert (judgement.covered, judgement.last_day) == (covered, last)


def test_no_warranty_before_completion_acceptance():
    assert warranty.judge("general", None, date(2026, 1, 1), TABLE) is None


def test_national_minimums_are_the_defaults_and_cannot_be_undercut():
    assert TABLE["general"] == 24 and TABLE["waterproofing"] == 60
    assert warranty.periods({"general": 36})["general"] == 36
    with pytest.raises(warranty.WarrantyConfigError):
        warranty.periods({"waterproofing": 24})
    with pytest.raises(warranty.WarrantyConfigError):
        warranty.periods({"roofing": 24})


@pytest.mark.parametrize("start, months, last", [
    (date(2026, 1, 31), 27, date(2028, 4, 30)),   # the 31st into a 30-day month: that month's last day
    (date(2026, 1, 31), 25, date(2028, 2, 29)),   # into a leap February
    (date(2026, 1, 30), 25, date(2028, 2, 29)),
    (date(2026, 1, 30), 26, date(2028, 3, 30)),   # a corresponding day exists: it is the last day
])
def test_longer_configured_periods_end_on_the_corresponding_day_or_the_month_end(start, months, last):
    table = warranty.periods({"general": months})
    assert warranty.judge("general", start, last, table).covered
    assert not warranty.judge("general", start, date.fromordinal(last.toordinal() + 1), table).covered
    assert warranty.last_covered_day(start, months) == last


def test_add_months_clamps_to_short_months():
    assert warranty.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert warranty.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


# 2026-12-04 is a Friday, 12-05 Saturday, 12-06 Sunday.
@pytest.mark.parametrize("received, due", [
    (datetime(2026, 12, 4, 9, 0), datetime(2026, 12, 4, 12, 0)),     # weekday morning
    (datetime(2026, 12, 4, 17, 0), datetime(2026, 12, 4, 20, 0)),    # ends exactly at closing
    (datetime(2026, 12, 4, 18, 30), datetime(2026, 12, 5, 9, 30)),   # evening: 1.5 h today, 1.5 h tomorrow
    (datetime(2026, 12, 4, 23, 15), datetime(2026, 12, 5, 11, 0)),   # night: from the next opening
    (datetime(2026, 12, 5, 2, 0), datetime(2026, 12, 5, 11, 0)),     # small hours, Saturday
    (datetime(2026, 12, 5, 10, 0), datetime(2026, 12, 5, 13, 0)),    # Saturday counts like a weekday
    (datetime(2026, 12, 6, 19, 59), datetime(2026, 12, 7, 10, 59)),  # Sunday evening into Monday
    (datetime(2026, 12, 4, 20, 0), datetime(2026, 12, 5, 11, 0)),    # at closing time: tomorrow
    (datetime(2026, 12, 4, 8, 0), datetime(2026, 12, 4, 11, 0)),     # at opening time
])
def test_three_hour_clocks_count_service_hours(received, due):
    assert clocks.repair_steps(received, None, None, None, None)[0].due == due
    assert clocks.complaint_steps(received, None, None)[0].due == due


def test_repair_plan_and_follow_up_are_calendar_hours():
    received = datetime(2026, 12, 4, 23, 0)
    steps = {s.name: s for s in clocks.repair_steps(received, None, None, datetime(2026, 12, 6, 15, 0), None)}
    assert steps["plan"].due == datetime(2026, 12, 5, 23, 0)
    assert steps["follow_up"].due == datetime(2026, 12, 8, 15, 0)
    assert clocks.repair_steps(received, None, None, None, None)[2].due is None  # not repaired yet


def test_overdue_and_late():
    received = datetime(2026, 12, 4, 9, 0)
    steps = clocks.repair_steps(received, datetime(2026, 12, 4, 12, 30), None, None, None)
    now = datetime(2026, 12, 5, 10, 0)
    assert steps[0].overdue(now)  # contacted, but half an hour late
    assert [s.name for s in clocks.open_overdue(steps, now)] == ["plan"]
    assert clocks.open_overdue(steps, datetime(2026, 12, 5, 8, 59)) == []


def test_complaint_answer_runs_from_passing_on():
    received = datetime(2026, 12, 4, 9, 0)
    steps = clocks.complaint_steps(received, datetime(2026, 12, 4, 10, 0), None)
    assert steps[1].due == datetime(2026, 12, 6, 10, 0)
    assert clocks.complaint_steps(received, None, None)[1].due == datetime(2026, 12, 6, 12, 0)
