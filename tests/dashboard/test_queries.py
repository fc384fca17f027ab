"""Dashboard figures against hand-computed fixtures; periods and rate arithmetic without Flask.

October 2026 (company time) on the graded checklist (20 electrical items 电气xx, 4 carpentry
items 木作xx; see tests.factories.make_graded_template). Foreman 甲 (projects 1–3) and
foreman 乙 (projects 4–5), one project manager 丙 for all:

    project  rounds (failing items → result, local finish)
    1  甲    ()                          → excellent, 1 Oct 00:10 (30 Sep in UTC: still October)
    2  甲    (电气01, 电气02)             → good 22/24, 10 Oct
    3  甲    (电气01, 电气02, 电气03)      → pass 21/24, 12 Oct
    4  乙    (木作01) → fail, 8 Oct;  () → excellent, 20 Oct
    5  乙    (木作01, 电气01) → fail, 3 Oct;  (木作01) → fail, 15 Oct;  () → excellent, 25 Oct
    6  甲    ()                          → 30 Sep 23:50 (September)
    7  甲    (电气01)                     → 1 Nov 00:10 (31 Oct in UTC: November)

By hand, for October: 8 inspections finished; round 1: 5 finished, 3 passed → 60.0 %;
5 projects passed in rounds 1, 1, 1, 2, 3 → 8/5 = 1.60 rounds; grades: excellent 3 (1, 4b, 5c),
good 1, pass 1, failed 3. Failed answers: 木作01 ×3 (4a, 5a, 5b), 电气01 ×3 (2, 3, 5a),
电气02 ×2, 电气03 ×1, each item checked in all 8 inspections (reinspections carry the passed
items over as passed). Categories: electrical 6 of 160, carpentry 3 of 32. Penalties in
October: 乙 round 1 ×2 (4a, 5a) and round 2 (5b) = 3; 丙 round 2 (5b) = 1.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import case

from portal.auth.roles import Role
from portal.dashboard import queries
from portal.dashboard.periods import (
    Period, PeriodKind, last_months, month_of, previous, report_month, report_week, shift_month, utc_bounds, week_of,
)
from portal.dashboard.queries import Filters, Quality
from portal.dashboard.rates import number_text, percent_text, ratio
from portal.extensions import db
from portal.rectification.models import NoticeStatus
from portal.timeutil import local_day_start_utc
from tests.factories import (
    make_failed_inspection, make_graded_template, make_project_rounds, make_user,
)

OCTOBER = month_of(date(2026, 10, 1))


@pytest.fixture
def october():
    """The projects of the module docstring; returns the people by name."""
    template = make_graded_template()
    people = {"甲": make_user(Role.FOREMAN, display_name="工长甲"), "乙": make_user(Role.FOREMAN, display_name="工长乙"),
              "丙": make_user(Role.PROJECT_MANAGER, display_name="经理丙"),
              "inspector": make_user(Role.INSPECTOR, display_name="检查员"),
              "other_inspector": make_user(Role.INSPECTOR, display_name="另一检查员")}

    def project(foreman, *rounds, studio="A 曲江设计室", inspector="inspector"):
        return make_project_rounds(list(rounds), template=template, foreman=people[foreman],
                                   project_manager=people["丙"], design_studio=studio, inspector=people[inspector])

    project("甲", ((), datetime(2026, 10, 1, 0, 10)), inspector="other_inspector")
    project("甲", (("电气01", "电气02"), datetime(2026, 10, 10, 9)))
    project("甲", (("电气01", "电气02", "电气03"), datetime(2026, 10, 12, 9)))
    project("乙", (("木作01",), datetime(2026, 10, 8, 9)), ((), datetime(2026, 10, 20, 9)), studio="B 经开设计室")
    project("乙", (("木作01", "电气01"), datetime(2026, 10, 3, 9)), (("木作01",), datetime(2026, 10, 15, 9)),
            ((), datetime(2026, 10, 25, 9)), studio="B 经开设计室")
    project("甲", ((), datetime(2026, 9, 30, 23, 50)))
    project("甲", (("电气01",), datetime(2026, 11, 1, 0, 10)))
    return people


# --- the figures of October ---------------------------------------------------------------------

def test_quality_of_the_month_matches_the_hand_count(october):
    quality = queries.quality_between(list(utc_bounds(OCTOBER)), Filters())[0]
    assert quality == Quality(completed=8, first_rounds=5, first_passed=3, passed=5, rounds_to_pass=8,
                              excellent=3, good=1, pass_grade=1, failed=3)
    assert quality.first_time_pass_rate == Fraction(3, 5) and percent_text(quality.first_time_pass_rate) == "60.0%"
    assert quality.average_rounds == Fraction(8, 5) and number_text(quality.average_rounds) == "1.60"
    assert quality.grades == {"excellent": 3, "good": 1, "pass": 1, "failed": 3}


def test_month_boundaries_are_company_midnights(october):
    september, october_, november = (queries.quality_between(list(utc_bounds(month_of(date(2026, m, 1)))), Filters())[0]
                                     for m in (9, 10, 11))
    assert (september.completed, october_.completed, november.completed) == (1, 8, 1)
    assert november.excellent == 1  # 1 of 24 failed: 95.8 %


def test_most_failed_items_in_order_with_ties_by_code(october):
    items, _categories = queries.failures(OCTOBER, Filters())
    assert [(i.code, i.text, i.category, i.failed, i.applicable) for i in items] == [
        ("carpentry.01", "木作01", "木作", 3, 8),
        ("electrical.01", "电气01", "电气", 3, 8),
        ("electrical.02", "电气02", "电气", 2, 8),
        ("electrical.03", "电气03", "电气", 1, 8),
    ]
    assert items[0].share == Fraction(3, 8)


def test_most_failed_categories(october):
    _items, categories = queries.failures(OCTOBER, Filters())
    assert [(c.code, c.failed, c.applicable) for c in categories] == [("electrical", 6, 160), ("carpentry", 3, 32)]


def test_failures_follow_the_filters(october):
    """Foreman 乙: projects 4 and 5, five inspections in October; 木作01 failed in 4a, 5a, 5b, 电气01 in 5a."""
    items, categories = queries.failures(OCTOBER, Filters(foreman_id=october["乙"].id))
    assert [(i.code, i.failed, i.applicable) for i in items] == [("carpentry.01", 3, 5), ("electrical.01", 1, 5)]
    assert [(c.code, c.failed, c.applicable) for c in categories] == [("carpentry", 3, 20), ("electrical", 1, 100)]
    assert queries.failures(OCTOBER, Filters(design_studio="nobody")) == ([], [])


def test_failures_agree_with_counting_every_answer(october):
    """The counts derived from failed/N/A answers and checklist versions equal a count of all answers."""
    from sqlalchemy import func, select

    from portal.checklists.models import ChecklistItem
    from portal.inspections.models import Answer, Inspection

    start, end = utc_bounds(OCTOBER)
    brute = {code: (int(failed), int(applicable)) for code, failed, applicable in db.session.execute(
        select(ChecklistItem.code, func.sum(case((Answer.outcome == "fail", 1), else_=0)),
               func.sum(case((Answer.outcome.in_(["pass", "fail"]), 1), else_=0)))
        .join(Answer, Answer.item_id == ChecklistItem.id).join(Inspection, Inspection.id == Answer.inspection_id)
        .where(Inspection.status == "completed", Inspection.finished_at >= start, Inspection.finished_at < end)
        .group_by(ChecklistItem.code))}
    items, _categories = queries.failures(OCTOBER, Filters(), limit=1000)
    assert {i.code: (i.failed, i.applicable) for i in items} == {c: v for c, v in brute.items() if v[0]}


def test_top_ten_only(october):
    items, categories = queries.failures(OCTOBER, Filters(), limit=2)
    assert (len(items), len(categories)) == (2, 2)


def test_per_foreman(october):
    rows = {row.name: row for row in queries.per_person(Role.FOREMAN, OCTOBER, Filters(), date(2026, 10, 31))}
    assert set(rows) == {"工长甲", "工长乙"}
    first, second = rows["工长甲"], rows["工长乙"]
    assert (first.quality.completed, first.quality.first_time_pass_rate, first.quality.average_rounds) == (3, 1, 1)
    assert (second.quality.completed, second.quality.first_rounds, second.quality.first_time_pass_rate) == (5, 2, 0)
    assert second.quality.average_rounds == Fraction(5, 2)
    assert (first.penalties, second.penalties) == (0, 3)
    assert (second.open_notices, second.overdue_notices) == (0, 0)  # every notice closed by a passing round


def test_per_project_manager(october):
    (row,) = queries.per_person(Role.PROJECT_MANAGER, OCTOBER, Filters(), date(2026, 10, 31))
    assert row.name == "经理丙" and row.penalties == 1
    assert (row.quality.completed, row.quality.first_time_pass_rate, row.quality.average_rounds) == \
        (8, Fraction(3, 5), Fraction(8, 5))


def test_filters_by_studio_foreman_and_inspector(october):
    def completed(**kwargs):
        return queries.quality_between(list(utc_bounds(OCTOBER)), Filters(**kwargs))[0].completed

    assert completed(design_studio="B 经开设计室") == 5
    assert completed(foreman_id=october["甲"].id) == 3
    assert completed(inspector_id=october["other_inspector"].id) == 1
    assert completed(design_studio="B 经开设计室", foreman_id=october["甲"].id) == 0


def test_trend_has_twelve_months_ending_with_the_period(october):
    months = queries.trend(date(2026, 10, 31), Filters())
    assert [m.month for m in months] == last_months(date(2026, 10, 1))
    assert months[0].month == date(2025, 11, 1) and months[-1].month == date(2026, 10, 1)
    assert months[-1].quality.completed == 8 and months[-2].quality.completed == 1
    assert all(m.quality == Quality() for m in months[:-2])


def test_collect_puts_it_together(october):
    figures = queries.collect(OCTOBER, Filters(), date(2026, 10, 31))
    assert figures.previous == month_of(date(2026, 9, 1))
    assert (figures.quality.completed, figures.previous_quality.completed) == (8, 1)
    assert figures.trend[-1].quality == figures.quality
    assert len(figures.items) == 4 and len(figures.foremen) == 2 and len(figures.managers) == 1


def test_nothing_finished_gives_empty_figures():
    figures = queries.collect(OCTOBER, Filters(design_studio="nobody"), date(2026, 10, 31))
    assert figures.quality == Quality() and figures.quality.first_time_pass_rate is None
    assert figures.items == [] and figures.foremen == []


# --- today, this week, notices ------------------------------------------------------------------

def test_open_and_overdue_notices_and_workload():
    from portal.timeutil import local_today

    today = local_today()
    inspection, notice = make_failed_inspection()
    _other, late = make_failed_inspection()
    late.deadline = date(2020, 1, 1)
    _third, requested = make_failed_inspection()
    requested.status = NoticeStatus.REQUESTED.value
    requested.deadline = date(2020, 1, 1)  # rework reported: not overdue
    db.session.flush()
    counts = queries.notice_counts(today, Filters())
    assert (counts.open, counts.overdue, counts.to_schedule) == (3, 1, 1)
    assert queries.notice_counts(today, Filters(foreman_id=inspection.project.foreman_id)).open == 1
    work = queries.workload(today, Filters())
    assert (work.planned_today, work.done_today) == (3, 3)
    assert work.planned_week == 3 and work.done_week == 3 and work.reinspections_due_today == 0


def test_reinspections_due():
    from portal.rectification.services import schedule_reinspection
    from portal.timeutil import local_today

    today = local_today()
    _inspection, notice = make_failed_inspection()
    schedule_reinspection(notice, today, notice.inspector, make_user(Role.OFFICE))
    work = queries.workload(today, Filters())
    assert (work.reinspections_due_today, work.reinspections_due_week) == (1, 1)
    assert queries.notice_counts(today, Filters()).open == 1  # scheduled is still open


# --- periods (pure) -----------------------------------------------------------------------------

def test_week_and_month():
    assert week_of(date(2026, 11, 25)) == Period(date(2026, 11, 23), date(2026, 11, 29), PeriodKind.WEEK)
    assert month_of(date(2026, 2, 10)) == Period(date(2026, 2, 1), date(2026, 2, 28), PeriodKind.MONTH)
    assert month_of(date(2026, 12, 31)).end == date(2026, 12, 31)


@pytest.mark.parametrize("day, start, end", [
    (date(2026, 11, 25), date(2026, 11, 19), date(2026, 11, 25)),  # a Wednesday: the week up to today
    (date(2026, 11, 26), date(2026, 11, 26), date(2026, 12, 2)),   # Thursday starts the next one
    (date(2026, 11, 24), date(2026, 11, 19), date(2026, 11, 25)),
])
def test_weekly_report_runs_thursday_to_wednesday(day, start, end):
    assert (report_week(day).start, report_week(day).end) == (start, end)


@pytest.mark.parametrize("day, start, end", [
    (date(2026, 11, 25), date(2026, 10, 26), date(2026, 11, 25)),
    (date(2026, 11, 26), date(2026, 11, 26), date(2026, 12, 25)),
    (date(2026, 1, 5), date(2025, 12, 26), date(2026, 1, 25)),
    (date(2026, 12, 31), date(2026, 12, 26), date(2027, 1, 25)),
])
def test_monthly_report_runs_26th_to_25th(day, start, end):
    assert (report_month(day).start, report_month(day).end) == (start, end)


def test_previous_periods():
    assert previous(month_of(date(2026, 3, 5))) == month_of(date(2026, 2, 1))
    assert previous(week_of(date(2026, 11, 25))).start == date(2026, 11, 16)
    assert previous(report_month(date(2026, 11, 25))) == report_month(date(2026, 10, 25))
    assert previous(Period(date(2026, 11, 10), date(2026, 11, 12))) == Period(date(2026, 11, 7), date(2026, 11, 9))


def test_utc_bounds_are_company_midnights():
    assert local_day_start_utc(date(2026, 10, 1)) == datetime(2026, 9, 30, 16, 0)
    assert utc_bounds(Period(date(2026, 10, 1), date(2026, 10, 31))) == \
        (datetime(2026, 9, 30, 16), datetime(2026, 10, 31, 16))


def test_month_arithmetic():
    assert shift_month(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert shift_month(date(2026, 1, 31), 1) == date(2026, 2, 1)  # a month, not a day: always the first
    assert last_months(date(2026, 3, 15), 3) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


# --- rates (pure) -------------------------------------------------------------------------------

def test_rates_are_exact_and_rounded_half_up_at_the_end():
    assert ratio(2, 3) == Fraction(2, 3) and ratio(1, 0) is None
    assert percent_text(Fraction(2, 3)) == "66.7%" and percent_text(Fraction(1, 8)) == "12.5%"
    assert percent_text(Fraction(1, 3), places=0) == "33%" and percent_text(None) == "—"
    assert percent_text(Fraction(1, 1)) == "100.0%" and percent_text(Fraction(0)) == "0.0%"
    assert number_text(Fraction(8, 5)) == "1.60" and number_text(Fraction(5, 3)) == "1.67"
    assert number_text(Fraction(Decimal("1.005"))) == "1.01" and number_text(None) == "—"
