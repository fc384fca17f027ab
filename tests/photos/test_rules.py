"""The 24-hour closure-test rule, as a plain function."""
from datetime import datetime, timedelta

import pytest

from portal.photos.rules import closure_end_error

START = datetime(2026, 5, 1, 8, 0)


@pytest.mark.parametrize(("ended", "now", "expected"), [
    (START + timedelta(hours=24), START + timedelta(hours=30), None),
    (START + timedelta(hours=30), START + timedelta(hours=30), None),
    (START + timedelta(hours=23, minutes=59), START + timedelta(hours=30), "too_short"),
    (START + timedelta(hours=1), START + timedelta(hours=30), "too_short"),
    (START + timedelta(hours=30, minutes=5), START + timedelta(hours=30), None),  # a phone clock a little ahead
    (START + timedelta(hours=30, minutes=6), START + timedelta(hours=30), "future"),
    (START + timedelta(hours=10), START, "future"),  # in the future comes first
])
def test_closure_end(ended, now, expected):
    assert closure_end_error(START, ended, now) == expected
