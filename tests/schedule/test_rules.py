"""Schedule rules as pure functions, on a fixed clock (no app, no database)."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from portal.schedule import rules
from portal.timeutil import COMPANY_TZ

MON = date(2026, 11, 23)  # a Monday; the list for this week is due Wednesday 2026-11-18


def local(*args) -> datetime:
    return datetime(*args, tzinfo=COMPANY_TZ)


@pytest.mark.parametrize("day", [MON + timedelta(days=n) for n in range(7)])
def test_week_start_is_the_monday_of_the_week(day):
    assert rules.week_start(day) == MON


def test_week_start_across_the_year_boundary():
    assert rules.week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # Friday → Monday of the old year
    assert rules.week_start(date(2027, 1, 4)) == date(2027, 1, 4)


def test_next_week_start_from_sunday_and_monday():
    assert rules.next_week_start(date(2026, 11, 22)) == MON  # Sunday: next week starts tomorrow
    assert rules.next_week_start(MON) == MON + timedelta(days=7)


def test_inspection_day_is_thursday():
    assert rules.inspection_day(MON) == date(2026, 11, 26)
    assert rules.inspection_day(MON).weekday() == 3


def test_deadline_is_the_end_of_the_wednesday_before_the_week():
    deadline = rules.submission_deadline(MON)
    assert deadline.date() == date(2026, 11, 18) and deadline.weekday() == 2
    assert deadline.time() == time.max and deadline.tzinfo == COMPANY_TZ


def test_deadline_across_the_year_boundary():
    assert rules.submission_deadline(date(2027, 1, 4)).date() == date(2026, 12, 30)


def test_deadline_of_any_day_is_that_of_its_week():
    assert rules.submission_deadline(MON + timedelta(days=4)) == rules.submission_deadline(MON)


@pytest.mark.parametrize("submitted, late", [
    (local(2026, 11, 16, 9, 0), False),            # Monday before
    (local(2026, 11, 18, 23, 59, 59), False),      # Wednesday, last second
    (local(2026, 11, 19, 0, 0), True),             # Thursday, midnight
    (local(2026, 11, 19, 0, 0, 1), True),
    (local(2026, 11, 23, 8, 0), True),             # during the week itself
])
def test_is_late(submitted, late):
    assert rules.is_late(submitted, MON) is late


def test_is_late_compares_in_company_time_not_utc():
    # 16:30 UTC on Wednesday is 00:30 Thursday in Shanghai: late.
    assert rules.is_late(datetime(2026, 11, 18, 16, 30, tzinfo=timezone.utc), MON) is True
    # 15:59 UTC on Wednesday is 23:59 in Shanghai: on time.
    assert rules.is_late(datetime(2026, 11, 18, 15, 59, tzinfo=timezone.utc), MON) is False


def test_is_late_takes_naive_times_as_local():
    assert rules.is_late(datetime(2026, 11, 18, 23, 0), MON) is False
    assert rules.is_late(datetime(2026, 11, 19, 0, 30), MON) is True


SLOT = local(2026, 11, 26, 9, 0)  # Thursday 09:00


@pytest.mark.parametrize("now, late", [
    (SLOT - timedelta(hours=48), False),
    (SLOT - timedelta(hours=24, seconds=1), False),
    (SLOT - timedelta(hours=24), False),                       # exactly 24 hours: still on time
    (SLOT - timedelta(hours=24) + timedelta(seconds=1), True),
    (SLOT - timedelta(hours=1), True),
    (SLOT + timedelta(hours=1), True),                         # after the slot
])
def test_is_late_change_around_24_hours(now, late):
    assert rules.is_late_change(SLOT, now) is late


def test_is_late_change_across_midnight():
    slot = local(2026, 11, 27, 9, 0)  # Friday 09:00
    assert rules.is_late_change(slot, local(2026, 11, 26, 8, 59)) is False   # Thursday morning
    assert rules.is_late_change(slot, local(2026, 11, 26, 9, 1)) is True
    assert rules.is_late_change(slot, local(2026, 11, 26, 23, 59)) is True


def test_is_late_change_across_the_week_boundary():
    slot = local(2026, 11, 30, 9, 0)  # Monday 09:00
    assert rules.is_late_change(slot, local(2026, 11, 29, 8, 0)) is False    # Sunday 08:00
    assert rules.is_late_change(slot, local(2026, 11, 29, 10, 0)) is True    # Sunday 10:00


def test_is_late_change_in_utc_is_the_same_instant():
    now = (SLOT - timedelta(hours=23)).astimezone(timezone.utc)
    assert rules.is_late_change(SLOT, now) is True


def test_slot_start_without_a_time_is_the_start_of_the_day():
    assert rules.slot_start(date(2026, 11, 26), None) == local(2026, 11, 26, 0, 0)
    assert rules.slot_start(date(2026, 11, 26), time(14, 0)) == local(2026, 11, 26, 14, 0)


@pytest.mark.parametrize("today, expected", [
    (date(2026, 11, 23), MON),                          # Monday: this week's Thursday is being finalised
    (date(2026, 11, 24), MON),
    (date(2026, 11, 25), MON + timedelta(days=7)),      # Wednesday: next week's list is due
    (date(2026, 11, 29), MON + timedelta(days=7)),      # Sunday
])
def test_office_default_week(today, expected):
    assert rules.office_default_week(today) == expected


def test_parse_slot_accepts_only_the_slots():
    assert rules.parse_slot("09:00") == time(9, 0)
    assert rules.parse_slot("15:30") == time(15, 30)
    assert rules.parse_slot("12:00") is None
    assert rules.parse_slot(None) is None


@pytest.mark.parametrize("complete, delay, reason, refusal", [
    (True, False, "", None),
    (False, False, "", "not_complete"),
    (False, True, "业主自购橱柜未到货", None),
    (False, True, "   ", "reason_required"),
    (True, True, "", "reason_required"),
])
def test_listing_refusal(complete, delay, reason, refusal):
    assert rules.listing_refusal(complete, delay, reason) == refusal
