"""Complaint figures in the company's report periods (Thursday–Wednesday, 26th–25th): dashboard, reports, PDF."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from portal.aftercare.figures import figures_for
from portal.auth.roles import Role
from portal.dashboard.periods import report_month, report_week
from portal.timeutil import local_today, utcnow
from tests.aftercare.test_figures import add, utc
from tests.factories import make_project, make_user

LATER = utc(datetime(2026, 4, 30, 12))


def received_in(period, moment: datetime) -> int:
    """Complaints received in ``period`` once one came in at ``moment`` (local)."""
    add(make_project(), moment)
    return figures_for([(period.start, period.end)], LATER)[0].received


@pytest.mark.parametrize("moment, day, expected", [
    (datetime(2026, 3, 11, 23, 59), date(2026, 3, 11), 1),  # Wednesday 23:59: the week handed in that Wednesday
    (datetime(2026, 3, 11, 23, 59), date(2026, 3, 12), 0),
    (datetime(2026, 3, 12, 0, 0), date(2026, 3, 11), 0),    # Thursday 00:00: the next week
    (datetime(2026, 3, 12, 0, 0), date(2026, 3, 12), 1),
    (datetime(2026, 3, 5, 0, 0), date(2026, 3, 11), 1),     # the week's first minute
])
def test_report_week_boundaries(moment, day, expected):
    assert received_in(report_week(day), moment) == expected


@pytest.mark.parametrize("moment, day, expected", [
    (datetime(2026, 3, 25, 23, 59), date(2026, 3, 25), 1),  # the 25th: the month handed in that day
    (datetime(2026, 3, 25, 23, 59), date(2026, 3, 26), 0),
    (datetime(2026, 3, 26, 0, 0), date(2026, 3, 25), 0),    # the 26th: the next report month
    (datetime(2026, 3, 26, 0, 0), date(2026, 4, 25), 1),
    (datetime(2026, 2, 26, 0, 0), date(2026, 3, 1), 1),     # 26 Feb opens the month ending 25 Mar
])
def test_report_month_boundaries(moment, day, expected):
    assert received_in(report_month(day), moment) == expected


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_dashboard_shows_this_report_week_and_month(client, login_as):
    project = make_project(foreman=make_user(Role.FOREMAN, display_name="工长投"))
    complaint = add(project, datetime(2026, 1, 1))
    complaint.received_at = utcnow()
    login_as(Role.OFFICE)
    html = client.get("/dashboard/").text
    assert 'id="table-complaints"' in html and 'id="table-complaint_foremen"' in html and "工长投" in html
    rows = csv_rows(client.get("/dashboard/?format=csv&table=complaints"))
    week, month = report_week(local_today()), report_month(local_today())
    assert rows[0][1:] == [f"周 {week.label}", f"月 {month.label}"]
    assert rows[1] == ["收到", "1", "1"] and rows[2] == ["未结案", "1", "1"]
    foremen = csv_rows(client.get("/dashboard/?format=csv&table=complaint_foremen"))
    assert foremen[1][:3] == ["工长投", "1", "1"]


def test_weekly_report_and_pdf_show_the_weeks_complaints(client, login_as):
    project = make_project(foreman=make_user(Role.FOREMAN, display_name="工长周"))
    add(project, datetime(2026, 3, 11, 9), datetime(2026, 3, 11, 10), datetime(2026, 3, 11, 12),
        datetime(2026, 3, 11, 21))  # closed in 12 hours
    add(make_project(), datetime(2026, 3, 12, 9))  # the next week
    login_as(Role.OFFICE)
    html = client.get("/dashboard/reports/weekly?day=2026-03-09").text
    assert 'id="table-complaints"' in html and "工长周" in html and "12.0" in html
    pdf = client.get("/dashboard/reports/weekly/pdf?day=2026-03-09")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "投诉" in text and "工长周" in text and "12.0" in text
    monthly = client.get("/dashboard/reports/monthly?day=2026-03-20").text
    assert "工长周" in monthly and 'id="table-complaint_foremen"' in monthly
