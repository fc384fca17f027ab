"""The 档案号 rule: studio letter + real date YYMMDD + day's sequence 01–99."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.projects.contract_no import is_valid_contract_no, parse_contract_no


def test_parse_valid_number():
    assert parse_contract_no("A25110301") == ("A", date(2025, 11, 3), 1)


@pytest.mark.parametrize("value", ["a25110301", "A2511030", "A251103011", "AA5110301", "A25 110301", "", "A25110300",
                                   "A25023001", "A25130101", "A25000101", "A23022901", "１25110301", "A２5110301", "A25110301\n"])
def test_invalid_numbers(value):
    assert not is_valid_contract_no(value)


def test_leap_day_is_a_real_date():
    assert is_valid_contract_no("B24022901")


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.integers(1, 99))
def test_every_real_date_round_trips(day, letter, seq):
    value = f"{letter}{day:%y%m%d}{seq:02d}"
    assert parse_contract_no(value) == (letter, day, seq)


@given(st.text(max_size=12))
def test_arbitrary_text_never_crashes(value):
    assert is_valid_contract_no(value) in (True, False)
