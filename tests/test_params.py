"""The validation layer: typed, bounded values from query strings and forms."""
from datetime import date, datetime, timedelta
from enum import StrEnum

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeLocalField

from portal import params
from portal.params import BadParameter, arg_choice, arg_date, arg_id, arg_int, arg_page
from portal.timeutil import local_now, local_today


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def query(app, text: str):
    return app.test_request_context("/?" + text)


@pytest.mark.parametrize("text, expected", [
    ("", date(2026, 1, 1)), ("d=", date(2026, 1, 1)), ("d=2025-11-03", date(2025, 11, 3)),
    ("d=2000-01-01", date(2000, 1, 1)),
])
def test_dates_in_the_window_are_read(app, text, expected):
    with query(app, text):
        assert arg_date("d", date(2026, 1, 1)) == expected


@pytest.mark.parametrize("text", [
    "d=0001-01-01", "d=9999-12-31", "d=1999-12-31", "d=2025-02-30", "d=yesterday", "d=2025-1-1",
    "d=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95-01-01", "d=2025-01-01T00:00", "d=" + "9" * 40,
])
def test_anything_else_is_a_400_with_a_message(app, text):
    with query(app, text):
        with pytest.raises(BadParameter) as info:
            arg_date("d")
    assert info.value.code == 400 and info.value.description


def test_the_window_ends_a_few_years_ahead(app):
    last = params.latest_report_day()
    with query(app, f"d={last.isoformat()}"):
        assert arg_date("d") == last
    with query(app, f"d={(last + timedelta(days=1)).isoformat()}"):
        with pytest.raises(BadParameter):
            arg_date("d")


@pytest.mark.parametrize("text, expected", [("", None), ("n=1", 1), ("n=2147483647", 2**31 - 1)])
def test_ids(app, text, expected):
    with query(app, text):
        assert arg_id("n") == expected


@pytest.mark.parametrize("text", ["n=0", "n=-1", "n=2147483648", "n=" + "9" * 20, "n=1.5", "n=%EF%BC%91", "n=abc",
                                  "n=1e3"])
def test_bad_ids_are_400(app, text):
    with query(app, text):
        with pytest.raises(BadParameter):
            arg_id("n")


def test_pages_and_bounded_numbers(app):
    with query(app, ""):
        assert arg_page() == 1
    with query(app, "page=3&k=7"):
        assert arg_page() == 3 and arg_int("k", low=5, high=9) == 7
    for bad in ("page=0", "page=10001", "page=" + "1" * 20):
        with query(app, bad):
            with pytest.raises(BadParameter):
                arg_page()


def test_choices(app):
    with query(app, "c=blue"):
        assert arg_choice("c", Colour) is Colour.BLUE
    with query(app, ""):
        assert arg_choice("c", Colour) is None
    with query(app, "c=green"):
        with pytest.raises(BadParameter):
            arg_choice("c", Colour)


class PlanForm(FlaskForm):
    class Meta:
        csrf = False

    day = DateField(validators=[params.planned_day])
    report = DateField(validators=[params.report_day])
    started = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[params.recorded_time])


def _form_errors(app, **data):
    with app.test_request_context(method="POST"):
        form = PlanForm(formdata=MultiDict(data))
        form.validate()
        return form.errors


def test_form_validators_keep_dates_in_their_window(app):
    today = local_today()
    now = local_now().replace(tzinfo=None)
    fine = _form_errors(app, day=(today + timedelta(days=30)).isoformat(), report="2001-05-05",
                        started=(now - timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M"))
    assert fine == {}
    bad = _form_errors(app, day="9999-12-31", report="1970-01-01",
                       started=datetime(9999, 12, 31, 23, 59).strftime("%Y-%m-%dT%H:%M"))
    assert set(bad) == {"day", "report", "started"}
    assert _form_errors(app, day=(today + timedelta(days=400)).isoformat(), report="2001-01-01",
                        started=now.strftime("%Y-%m-%dT%H:%M")).keys() == {"day"}
