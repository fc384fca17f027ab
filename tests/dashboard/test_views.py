"""The dashboard pages: figures, filters, bad periods, CSV, htmx body, reports (HTML, PDF), awards."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.dashboard.awards import candidates, rank_candidates
from portal.dashboard.periods import previous, report_month, report_week
from portal.dashboard.tables import PAGE_PEOPLE
from portal.extensions import db
from portal.params import latest_report_day
from portal.schedule.models import Award
from portal.timeutil import local_today
from tests.conftest import form_errors, log_in_client
from tests.factories import make_graded_template, make_project, make_project_rounds, make_user


@pytest.fixture
def season():
    """Two projects finished this month: one passed the first time, one failed 木作01 then passed."""
    today = local_today()
    template = make_graded_template()
    foreman = make_user(Role.FOREMAN, display_name="工长丁")
    first = make_project_rounds([((), None)], template=template, foreman=foreman, design_studio="D 测试设计室")
    second = make_project_rounds([(("木作01",), None), ((), None)], template=template, design_studio="E 另一设计室")
    return {"today": today, "foreman": foreman, "first": first, "second": second}


def csv_rows(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# --- dashboard ----------------------------------------------------------------------------------

def test_dashboard_shows_figures_charts_and_tables(client, login_as, season):
    login_as(Role.OFFICE)
    html = client.get("/dashboard/?period=month").text
    assert "<h1>工作台</h1>" in html
    assert html.count("<svg") == 3 and 'id="chart-trend"' in html and 'id="chart-items"' in html
    for key in ("workload", "notices", "quality", "trend", "items", "categories", "foremen", "managers", "awards"):
        assert f'id="table-{key}"' in html
    assert "工长丁" in html and "木作01" in html
    assert "50.0%" in html  # first-time pass rate: 1 of 2 round-1 inspections


def test_dashboard_in_english(client, login_as, season):
    user = login_as(Role.OFFICE)
    user.locale = "en"
    db.session.commit()
    html = client.get("/dashboard/").text
    assert "<h1>Dashboard</h1>" in html and "First-time pass rate" in html
    assert "Carpentry 01" in html  # the item's English text


def test_custom_period_with_end_before_start_is_a_form_error(client, login_as, season):
    login_as(Role.OFFICE)
    response = client.get("/dashboard/?period=custom&start=2026-11-10&end=2026-11-01")
    assert response.status_code == 422
    assert form_errors(response.text) == ["期间的结束日期早于开始日期。"]
    assert "<svg" not in response.text


@pytest.mark.parametrize("query, error", [
    ("period=custom&start=2026-11-10", "Enter the last day of the period."),
    ("period=custom&end=2026-11-10", "Enter the first day of the period."),
    ("period=custom&start=1900-01-01&end=2026-11-10",
     f"Enter a date between 2000-01-01 and {latest_report_day().isoformat()}."),
    ("period=custom&start=2026-01-01&end=9999-12-31",
     f"Enter a date between 2000-01-01 and {latest_report_day().isoformat()}."),
    ("period=custom&start=yesterday&end=2026-11-10", "Not a valid date value."),
    ("period=year", "Not a valid choice."),
    ("foreman=abc", "Invalid Choice: could not coerce."),
    ("inspector=999999", "Not a valid choice."),
])
def test_bad_filters_are_form_errors(client, login_as, query, error):
    user = login_as(Role.OFFICE)
    user.locale = "en"
    db.session.commit()
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 422
    assert error in form_errors(response.text)


def test_custom_period_and_filters(client, login_as, season):
    login_as(Role.OFFICE)
    today = season["today"].isoformat()
    html = client.get(f"/dashboard/?period=custom&start={today}&end={today}&studio=D+测试设计室").text
    assert "工长丁" in html and "木作01" not in html
    html = client.get(f"/dashboard/?period=week&foreman={season['foreman'].id}").text
    assert "木作01" not in html


def test_htmx_filter_swaps_the_body_only(client, login_as, season):
    login_as(Role.OFFICE)
    response = client.get("/dashboard/?period=week", headers={"HX-Request": "true", "HX-Target": "dashboard-body"})
    assert response.status_code == 200 and "<html" not in response.text and 'id="table-quality"' in response.text
    assert "HX-Target" in response.headers["Vary"]
    bad = client.get("/dashboard/?period=custom&start=2026-11-10&end=2026-11-01",
                     headers={"HX-Request": "true", "HX-Target": "dashboard-body"})
    assert bad.status_code == 422 and "<html" not in bad.text and form_errors(bad.text)


def test_boosted_request_gets_the_whole_page(client, login_as):
    login_as(Role.OFFICE)
    response = client.get("/dashboard/", headers={"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "main"})
    assert "<html" in response.text


def test_each_table_as_csv_with_bom(client, login_as, season):
    login_as(Role.OFFICE)
    response = client.get("/dashboard/?period=month&format=csv&table=items")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="dashboard-items.csv"' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows[0]) == 5  # item, category, failed, checked, failure share
    assert rows[1][0] == "木作01" and rows[1][2:4] == ["1", "3"]
    foremen = csv_rows(client.get("/dashboard/?period=month&format=csv&table=foremen"))
    assert any(row[0] == "工长丁" and row[1] == "1" and row[3] == "100.0%" for row in foremen[1:])


def test_csv_links_keep_the_filters(client, login_as, season):
    login_as(Role.OFFICE)
    html = client.get("/dashboard/?period=week&studio=D+测试设计室").text
    assert "format=csv" in html and "table=trend" in html and "period=week" in html


@pytest.mark.parametrize("query", ["endpoint=x", "_scheme=javascript", "_external=1", "_method=POST"])
def test_url_options_in_the_query_string_do_not_reach_the_csv_links(client, login_as, query):
    login_as(Role.OFFICE)
    response = client.get(f"/dashboard/?period=week&{query}")
    assert response.status_code == 200
    links = re.findall(r'href="([^"]*format=csv[^"]*)"', response.text)
    assert links and not any(query.split("=")[0] + "=" in link for link in links)


def test_unknown_csv_table_is_404(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/dashboard/?format=csv&table=secrets").status_code == 404


@pytest.mark.parametrize("kind, period_of", [("report_week", report_week), ("report_month", report_month)])
def test_the_dashboard_shows_the_reports_periods(client, login_as, season, kind, period_of):
    login_as(Role.OFFICE)
    html = client.get(f"/dashboard/?period={kind}").text
    period = period_of(season["today"])
    assert f": {period.label}" in html  # the period shown with the filters
    assert re.search(rf'<option[^>]*selected[^>]*value="{kind}"|<option[^>]*value="{kind}"[^>]*selected', html)
    assert previous(period).label in html  # the quality table compares it with the report period before


# --- reports ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_report_page_has_the_same_figures(client, login_as, season, kind):
    login_as(Role.OFFICE)
    html = client.get(f"/dashboard/reports/{kind}").text
    assert 'id="table-foremen"' in html and 'id="chart-trend"' in html and "format=csv" not in html
    assert f"/dashboard/reports/{kind}/pdf?day=" in html


def test_monthly_report_for_another_day(client, login_as):
    login_as(Role.OFFICE)
    html = client.get("/dashboard/reports/monthly?day=2026-10-30").text
    assert report_month(date(2026, 10, 30)).label in html  # 2026-10-26 – 2026-11-25


def test_report_pdf(client, login_as, season):
    from pypdf import PdfReader

    login_as(Role.OFFICE)
    response = client.get("/dashboard/reports/monthly/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "工长丁" in text and "木作01" in text


def test_report_with_a_bad_day_is_422(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/dashboard/reports/weekly/pdf?day=2026-02-30").status_code == 422


# --- awards -------------------------------------------------------------------------------------

@pytest.fixture
def october_pass():
    """A project of 工长戊 that passed on 10 October 2026."""
    foreman = make_user(Role.FOREMAN, display_name="工长戊")
    (inspection,) = make_project_rounds([((), datetime(2026, 10, 10, 9))], foreman=foreman)
    return inspection


def test_awards_page_shows_the_ranking_and_proposal(client, login_as, october_pass):
    login_as(Role.OFFICE)
    html = client.get("/dashboard/awards?month=2026-10").text
    assert october_pass.project.contract_no in html and "工长戊" in html and "award-chosen" in html
    assert f'value="{october_pass.id}"' in html  # the proposal sent back on confirmation


def test_confirm_then_the_foreman_sees_his_award(app, client, login_as, october_pass):
    login_as(Role.OFFICE)
    response = client.post("/dashboard/awards", data={"month": "2026-10", "proposal": str(october_pass.id)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/dashboard/awards?month=2026-10")
    award = db.session.scalar(select(Award))
    assert (award.month, award.inspection_id, award.rank) == (date(2026, 10, 1), october_pass.id, 1)
    assert october_pass.project.contract_no in client.get("/dashboard/").text  # on the dashboard

    foreman_client = app.test_client()
    log_in_client(foreman_client, october_pass.project.foreman)
    html = foreman_client.get("/dashboard/awards/mine").text
    assert october_pass.project.contract_no in html and "/dashboard/awards/mine" in html  # page and nav link


def test_confirm_a_stale_proposal_is_409(client, login_as, october_pass):
    login_as(Role.OFFICE)
    response = client.post("/dashboard/awards", data={"month": "2026-10", "proposal": "999999"})
    assert response.status_code == 409 and db.session.scalar(select(Award)) is None


def test_confirm_the_running_month_is_422(client, login_as):
    login_as(Role.OFFICE)
    month = f"{local_today():%Y-%m}"
    response = client.post("/dashboard/awards", data={"month": month, "proposal": "1"})
    assert response.status_code == 422


def test_confirm_without_csrf_is_refused(client, login_as, october_pass):
    login_as(Role.OFFICE)
    response = client.post("/dashboard/awards", data={"month": "2026-10", "proposal": str(october_pass.id)}, csrf=False)
    assert response.status_code in (400, 422) and db.session.scalar(select(Award)) is None


def test_another_foreman_sees_no_award(client, login_as, october_pass):
    from portal.dashboard.awards import confirm

    confirm(date(2026, 10, 1), [c.inspection_id for c in rank_candidates(candidates(date(2026, 10, 1)))][:1],
            make_user(Role.OFFICE), date(2026, 11, 2))
    login_as(Role.FOREMAN)
    assert october_pass.project.contract_no not in client.get("/dashboard/awards/mine").text


def test_csv_cells_cannot_be_formulas(client, login_as):
    make_project_rounds([((), None)], foreman=make_user(Role.FOREMAN, display_name="=HYPERLINK(\"http://x\")"))
    login_as(Role.OFFICE)
    rows = csv_rows(client.get("/dashboard/?format=csv&table=foremen"))
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")"


def test_awards_page_with_a_bad_month_is_422(client, login_as):
    login_as(Role.OFFICE)
    response = client.get("/dashboard/awards?month=2026-13")
    assert response.status_code == 422 and form_errors(response.text)


def test_quality_compares_the_period_with_the_one_before_and_with_the_months(client, login_as, season):
    login_as(Role.OFFICE)
    rows = csv_rows(client.get("/dashboard/?period=month&format=csv&table=quality"))
    assert len(rows[0]) == 3  # figure, this month, last month (no repeated month columns)
    rows = csv_rows(client.get("/dashboard/?period=week&format=csv&table=quality"))
    assert len(rows[0]) == 5  # figure, this week, last week, this month, last month
    first_time_pass_rate = rows[4]  # after inspections finished, round-1 finished, passed the first time
    assert first_time_pass_rate[1] == first_time_pass_rate[3] == "50.0%"  # both round 1s were finished today



def test_filter_choices_are_kept_until_a_project_or_person_changes(client, login_as):
    """The drop-downs are kept with the figures, under the same data version, and follow new rows."""
    login_as(Role.OFFICE)
    make_project(design_studio="F 第一设计室")
    db.session.commit()
    assert "F 第一设计室" in client.get("/dashboard/").text
    make_project(design_studio="G 新设计室", foreman=make_user(Role.FOREMAN, display_name="工长新"))
    db.session.commit()
    page = client.get("/dashboard/").text
    assert "G 新设计室" in page and "工长新" in page


def test_the_page_lists_at_most_30_foremen_and_the_csv_all_of_them(client, login_as):
    template = make_graded_template()
    for n in range(PAGE_PEOPLE + 3):
        make_project_rounds([((), None)], template=template,
                            foreman=make_user(Role.FOREMAN, display_name=f"工长{n:03d}"))
    db.session.commit()
    login_as(Role.OFFICE)
    page = client.get("/dashboard/").text
    foremen = re.search(r'id="table-foremen".*?</section>', page, re.S).group(0)
    shown = foremen.count("<tr>") - 1  # the heading row
    assert shown == PAGE_PEOPLE and "CSV" in foremen
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/?format=csv&table=foremen").text.lstrip("\ufeff"))))
    assert len(rows) - 1 == PAGE_PEOPLE + 3
    assert "另有 3 名见 CSV" in foremen
