"""The phone's clock against the server's: offset, flag, corrected capture time."""
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portal.fieldsync.clock import CLOCK_THRESHOLD, clock_is_off, clock_offset, corrected_capture, parse_phone_time

RECEIVED = datetime(2026, 12, 3, 8, 0, 0)


def test_phone_times_are_read_as_utc_and_need_a_zone():
    assert parse_phone_time("2026-12-03T07:59:30.120Z") == datetime(2026, 12, 3, 7, 59, 30, 120000)
    assert parse_phone_time("2026-12-03T15:59:30+08:00") == datetime(2026, 12, 3, 7, 59, 30)
    assert parse_phone_time("2026-12-03T15:59:30") is None  # no zone: no guess
    assert parse_phone_time("yesterday") is None
    assert parse_phone_time(None) is None and parse_phone_time("") is None


def test_offset_is_server_minus_phone_and_unknown_without_the_phone_clock():
    assert clock_offset(RECEIVED, RECEIVED - timedelta(minutes=10)) == timedelta(minutes=10)
    assert clock_offset(RECEIVED, RECEIVED + timedelta(hours=1)) == -timedelta(hours=1)
    assert clock_offset(RECEIVED, None) is None


def test_a_clock_more_than_five_minutes_off_either_way_is_flagged():
    assert not clock_is_off(None)
    assert not clock_is_off(CLOCK_THRESHOLD) and not clock_is_off(-CLOCK_THRESHOLD)
    assert clock_is_off(CLOCK_THRESHOLD + timedelta(seconds=1))
    assert clock_is_off(-timedelta(hours=3))


def test_capture_time_is_corrected_by_the_offset():
    # Done offline two hours ago on a phone running 1 hour slow.
    phone_capture = RECEIVED - timedelta(hours=3)
    assert corrected_capture(phone_capture, timedelta(hours=1), RECEIVED) == RECEIVED - timedelta(hours=2)


def test_capture_time_is_never_after_the_receive_time_and_defaults_to_it():
    ahead = RECEIVED + timedelta(days=1)  # a phone clock a day ahead, with no clock header
    assert corrected_capture(ahead, None, RECEIVED) == RECEIVED
    assert corrected_capture(None, timedelta(hours=2), RECEIVED) == RECEIVED


@given(st.integers(-10**7, 10**7), st.integers(0, 10**7))
def test_corrected_capture_is_the_true_time_when_the_offset_is_exact(offset_s, waited_s):
    offset, waited = timedelta(seconds=offset_s), timedelta(seconds=waited_s)
    true_capture = RECEIVED - waited
    phone_capture = true_capture - offset  # what the phone's clock showed then
    assert corrected_capture(phone_capture, offset, RECEIVED) == true_capture
