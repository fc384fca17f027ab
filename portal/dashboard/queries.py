"""Dashboard figures from aggregate SQL (GROUP BY, COUNT, SUM(CASE …)).

Every function runs a fixed number of queries whatever the number of projects, and returns
plain frozen dataclasses (no ORM objects), so templates, CSV and the PDF cannot trigger
lazy loads. The figures:

- first-time pass rate: round-1 inspections that passed / round-1 inspections finished;
- average rounds to pass: mean round of the inspections that passed (1 = passed first time);
- grade distribution: finished inspections by grade, failed ones apart;
- most failed items and categories: failed answers of finished inspections (all rounds).

Periods are local dates; finish times are compared with their UTC bounds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from flask_babel import get_locale
from sqlalchemy import and_, case, func, literal_column, or_, select

from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.checklists.models import ChecklistCategory, ChecklistItem
from portal.dashboard.periods import Period, last_months, previous, shift_month, utc_bounds, week_of
from portal.dashboard.rates import ratio
from portal.extensions import db
from portal.inspections.models import Answer, Inspection, InspectionStatus, Outcome
from portal.penalties.models import Penalty
from portal.projects.models import Project
from portal.rectification.models import OPEN_NOTICE_STATES, NoticeStatus, RectificationNotice
from portal.timeutil import local_day_start_utc

COMPLETED = InspectionStatus.COMPLETED.value
GRADES = ("excellent", "good", "pass")
TOP_N = 10


@dataclass(frozen=True)
class Filters:
    """Narrow the figures to one design studio, foreman and/or inspector (None: all)."""

    design_studio: str | None = None
    foreman_id: int | None = None
    inspector_id: int | None = None


@dataclass(frozen=True)
class Quality:
    """Counts of finished inspections from which the quality rates follow."""

    completed: int = 0
    first_rounds: int = 0
    first_passed: int = 0
    passed: int = 0
    rounds_to_pass: int = 0  # sum of the rounds of the inspections that passed
    excellent: int = 0
    good: int = 0
    pass_grade: int = 0
    failed: int = 0

    @property
    def first_time_pass_rate(self) -> Fraction | None:
        """Round-1 passes / round-1 inspections finished."""
        return ratio(self.first_passed, self.first_rounds)

    @property
    def average_rounds(self) -> Fraction | None:
        """Mean number of rounds the passing projects needed."""
        return ratio(self.rounds_to_pass, self.passed)

    @property
    def grades(self) -> dict[str, int]:
        """Finished inspections by grade, best first, then the failed ones."""
        return {"excellent": self.excellent, "good": self.good, "pass": self.pass_grade, "failed": self.failed}


@dataclass(frozen=True)
class MonthQuality:
    """Quality of one calendar month (``month`` is its first day)."""

    month: date
    quality: Quality


@dataclass(frozen=True)
class Workload:
    """Inspections planned and done and reinspections due, today and in the calendar week."""

    planned_today: int = 0
    done_today: int = 0
    reinspections_due_today: int = 0
    planned_week: int = 0
    done_week: int = 0
    reinspections_due_week: int = 0
    late_changes_week: int = 0


@dataclass(frozen=True)
class NoticeCounts:
    """Rectification notices still open, overdue (deadline passed, rework not reported) and to schedule."""

    open: int = 0
    overdue: int = 0
    to_schedule: int = 0


@dataclass(frozen=True)
class Failure:
    """A checklist item or category with how often it failed out of how often it applied."""

    code: str
    text: str
    category: str
    failed: int
    applicable: int

    @property
    def share(self) -> Fraction | None:
        """Failed / applicable."""
        return ratio(self.failed, self.applicable)


@dataclass(frozen=True)
class PersonFigures:
    """One foreman's or project manager's figures."""

    person_id: int
    name: str
    quality: Quality = field(default_factory=Quality)
    open_notices: int = 0
    overdue_notices: int = 0
    penalties: int = 0


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard and the reports show."""

    period: Period
    previous: Period
    as_of: date
    workload: Workload
    notices: NoticeCounts
    quality: Quality
    previous_quality: Quality
    trend: list[MonthQuality]
    items: list[Failure]
    categories: list[Failure]
    foremen: list[PersonFigures]
    managers: list[PersonFigures]


def collect(period: Period, filters: Filters, as_of: date) -> Figures:
    """All figures for ``period``; workload and notices as of the day ``as_of``."""
    before = previous(period)
    items, categories = failures(period, filters)
    earlier, current = quality_between(_bounds(before.start, period.start, period.end + timedelta(days=1)), filters)
    return Figures(
        period=period, previous=before, as_of=as_of, workload=workload(as_of, filters),
        notices=notice_counts(as_of, filters), quality=current, previous_quality=earlier,
        trend=trend(period.end, filters), items=items, categories=categories,
        foremen=per_person(Role.FOREMAN, period, filters, as_of),
        managers=per_person(Role.PROJECT_MANAGER, period, filters, as_of))


# --- building blocks -----------------------------------------------------------------------

def _count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 on no rows."""
    return func.coalesce(func.sum(case((condition, literal_column("1")), else_=literal_column("0"))), 0)


def _sum_if(condition, value):
    """SUM(CASE WHEN condition THEN value ELSE 0 END), 0 on no rows."""
    return func.coalesce(func.sum(case((condition, value), else_=literal_column("0"))), 0)


def _bounds(*days: date) -> list[datetime]:
    """Local midnights as naive UTC."""
    return [local_day_start_utc(day) for day in days]


def _project_conditions(filters: Filters) -> list:
    """Filters on the project (studio, foreman)."""
    conditions = []
    if filters.design_studio:
        conditions.append(Project.design_studio == filters.design_studio)
    if filters.foreman_id:
        conditions.append(Project.foreman_id == filters.foreman_id)
    return conditions


def _inspection_conditions(filters: Filters) -> list:
    """Filters for a query over inspections joined to their project."""
    extra = [Inspection.inspector_id == filters.inspector_id] if filters.inspector_id else []
    return _project_conditions(filters) + extra


def _notice_conditions(filters: Filters) -> list:
    """Filters for a query over notices joined to their project (the notice's inspector)."""
    extra = [RectificationNotice.inspector_id == filters.inspector_id] if filters.inspector_id else []
    return _project_conditions(filters) + extra


def _finished_between(start: datetime, end: datetime, filters: Filters) -> list:
    """Completed inspections finished in [start, end), filtered."""
    return [Inspection.status == COMPLETED, Inspection.finished_at >= start, Inspection.finished_at < end,
            *_inspection_conditions(filters)]


def _quality_columns(round_, passed, grade) -> list:
    """The aggregates behind :class:`Quality`, in its field order."""
    first, ok = round_ == 1, passed.is_(True)
    return [func.count(), _count_if(first), _count_if(and_(first, ok)), _count_if(ok), _sum_if(ok, round_),
            *[_count_if(grade == g) for g in GRADES], _count_if(passed.is_(False))]


def _english() -> bool:
    """True when the user reads English."""
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _localized(text: str, text_en: str | None) -> str:
    """The English text for English users where there is one."""
    return text_en if text_en and _english() else text


# --- the figures ---------------------------------------------------------------------------

def quality_between(bounds: list[datetime], filters: Filters) -> list[Quality]:
    """Quality of the inspections finished in each [bounds[i], bounds[i + 1]): one query for all."""
    bucket = case(*[(Inspection.finished_at < bound, literal_column(str(i))) for i, bound in enumerate(bounds[1:])])
    rows = (select(bucket.label("bucket"), Inspection.round.label("round"), Inspection.passed.label("passed"),
                   Inspection.grade.label("grade"))
            .select_from(Inspection).join(Project, Project.id == Inspection.project_id)
            .where(*_finished_between(bounds[0], bounds[-1], filters)).subquery())
    query = select(rows.c.bucket, *_quality_columns(rows.c.round, rows.c.passed, rows.c.grade)).group_by(rows.c.bucket)
    found = {row[0]: Quality(*row[1:]) for row in db.session.execute(query)}
    return [found.get(i, Quality()) for i in range(len(bounds) - 1)]


def trend(last_day: date, filters: Filters, months: int = 12) -> list[MonthQuality]:
    """Quality per calendar month for the ``months`` months ending with ``last_day``'s month."""
    firsts = last_months(last_day, months)
    qualities = quality_between(_bounds(*firsts, shift_month(firsts[-1], 1)), filters)
    return [MonthQuality(month, quality) for month, quality in zip(firsts, qualities)]


def workload(today: date, filters: Filters) -> Workload:
    """Planned / done inspections, reinspections due (not done, scheduled up to the day) and late changes."""
    week = week_of(today)
    day_start, day_end = utc_bounds(Period(today, today))
    week_start, week_end = utc_bounds(week)
    done = Inspection.status == COMPLETED
    open_reinspection = and_(Inspection.round > 1, Inspection.status != COMPLETED)
    in_week = Inspection.scheduled_date.between(week.start, week.end)
    query = (select(
        _count_if(Inspection.scheduled_date == today),
        _count_if(and_(done, Inspection.finished_at >= day_start, Inspection.finished_at < day_end)),
        _count_if(and_(open_reinspection, Inspection.scheduled_date <= today)),
        _count_if(in_week),
        _count_if(and_(done, Inspection.finished_at >= week_start, Inspection.finished_at < week_end)),
        _count_if(and_(open_reinspection, Inspection.scheduled_date <= week.end)),
        _count_if(and_(in_week, Inspection.late_change.is_(True))))
        .select_from(Inspection).join(Project, Project.id == Inspection.project_id)
        .where(or_(Inspection.status != COMPLETED, Inspection.scheduled_date >= week.start,
                   Inspection.finished_at >= week_start), *_inspection_conditions(filters)))
    return Workload(*db.session.execute(query).one())


def notice_counts(today: date, filters: Filters) -> NoticeCounts:
    """Open notices now; overdue ones (still open after their deadline); requests to schedule."""
    query = (select(func.count(), _count_if(_overdue(today)),
                    _count_if(RectificationNotice.status == NoticeStatus.REQUESTED.value))
             .select_from(RectificationNotice).join(Project, Project.id == RectificationNotice.project_id)
             .where(RectificationNotice.status.in_(OPEN_NOTICE_STATES), *_notice_conditions(filters)))
    return NoticeCounts(*db.session.execute(query).one())


def _overdue(today: date):
    """Same rule as rectification.services.is_overdue: open (rework not reported) after the deadline."""
    return and_(RectificationNotice.status == NoticeStatus.OPEN.value, RectificationNotice.deadline < today)


def failures(period: Period, filters: Filters, limit: int = TOP_N) -> tuple[list[Failure], list[Failure]]:
    """(Most failed items, most failed categories) of inspections finished in ``period``; ties by code.

    A year holds ~450,000 answers, and reading them all made the dashboard the heaviest
    request on the server. Only the failed and N/A answers are read (a few percent, from the
    partial index ``ix_answers_failed_or_na``). How often an item applied follows without
    reading the rest: a finished inspection has exactly one answered row per item of its
    checklist version (published versions are frozen; finishing needs every item answered),
    so it is the number of finished inspections on that version minus the item's N/A answers.
    Items of several versions with the same code and text, and their categories, add up.
    """
    start, end = utc_bounds(period)
    per_version = dict(db.session.execute(_finished_inspections(start, end, filters, Inspection.template_id,
                                                                func.count()).group_by(Inspection.template_id)).all())
    if not per_version:
        return [], []
    counts = {(item_id, outcome): n for item_id, outcome, n in db.session.execute(
        _finished_inspections(start, end, filters, Answer.item_id, Answer.outcome, func.count())
        .join(Answer, Answer.inspection_id == Inspection.id)
        .where(Answer.outcome.in_([Outcome.FAIL.value, Outcome.NA.value])).group_by(Answer.item_id, Answer.outcome))}
    items: dict[tuple, list[int]] = {}
    categories: dict[tuple, list[int]] = {}
    for item_id, version, code, text, text_en, cat_code, title, title_en in db.session.execute(
            select(ChecklistItem.id, ChecklistItem.template_id, ChecklistItem.code, ChecklistItem.text,
                   ChecklistItem.text_en, ChecklistCategory.code, ChecklistCategory.title, ChecklistCategory.title_en)
            .join(ChecklistCategory, ChecklistCategory.id == ChecklistItem.category_id)
            .where(ChecklistItem.template_id.in_(list(per_version)), ChecklistItem.retired.is_(False))):
        failed = counts.get((item_id, Outcome.FAIL.value), 0)
        applicable = per_version[version] - counts.get((item_id, Outcome.NA.value), 0)
        for totals, key in ((items, (code, text, text_en, title, title_en)), (categories, (cat_code, title, title_en))):
            entry = totals.setdefault(key, [0, 0])
            entry[0] += failed
            entry[1] += applicable
    return ([Failure(code, _localized(text, text_en), _localized(title, title_en), failed, applicable)
             for (code, text, text_en, title, title_en), (failed, applicable) in _top(items, limit)],
            [Failure(code, _localized(title, title_en), _localized(title, title_en), failed, applicable)
             for (code, title, title_en), (failed, applicable) in _top(categories, limit)])


def _finished_inspections(start: datetime, end: datetime, filters: Filters, *columns):
    """SELECT ``columns`` FROM the inspections finished in [start, end), filtered (joined to the project if needed)."""
    query = select(*columns).select_from(Inspection)
    if _project_conditions(filters):
        query = query.join(Project, Project.id == Inspection.project_id)
    return query.where(*_finished_between(start, end, filters))


def _top(totals: dict[tuple, list[int]], limit: int) -> list[tuple[tuple, list[int]]]:
    """Entries with failures, most failed first, ties by their code (the key's first part)."""
    ranked = sorted(((key, value) for key, value in totals.items() if value[0] > 0), key=lambda kv: (-kv[1][0], kv[0][0]))
    return ranked[:limit]


def per_person(role: Role, period: Period, filters: Filters, today: date) -> list[PersonFigures]:
    """Figures per foreman or project manager (of the projects): four queries, whatever their number."""
    person = Project.foreman_id if role == Role.FOREMAN else Project.project_manager_id
    quality = _quality_by(person, period, filters)
    notices = _notices_by(person, today, filters)
    penalties = _penalties_by(role, period, filters)
    ids = set(quality) | set(notices) | set(penalties)
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
    rows = [PersonFigures(pid, names.get(pid, ""), quality.get(pid, Quality()), *notices.get(pid, (0, 0)),
                          penalties.get(pid, 0)) for pid in ids]
    return sorted(rows, key=lambda row: (row.name, row.person_id))


def _quality_by(person, period: Period, filters: Filters) -> dict[int, Quality]:
    """Quality of the inspections finished in ``period`` per value of ``person`` (a project column)."""
    start, end = utc_bounds(period)
    query = (select(person, *_quality_columns(Inspection.round, Inspection.passed, Inspection.grade))
             .select_from(Inspection).join(Project, Project.id == Inspection.project_id)
             .where(*_finished_between(start, end, filters), person.is_not(None)).group_by(person))
    return {row[0]: Quality(*row[1:]) for row in db.session.execute(query)}


def _notices_by(person, today: date, filters: Filters) -> dict[int, tuple[int, int]]:
    """(open, overdue) notices per value of ``person``."""
    query = (select(person, func.count(), _count_if(_overdue(today)))
             .select_from(RectificationNotice).join(Project, Project.id == RectificationNotice.project_id)
             .where(RectificationNotice.status.in_(OPEN_NOTICE_STATES), person.is_not(None),
                    *_notice_conditions(filters)).group_by(person))
    return {row[0]: (row[1], row[2]) for row in db.session.execute(query)}


def _penalties_by(role: Role, period: Period, filters: Filters) -> dict[int, int]:
    """Penalties in force recorded in ``period`` against people in ``role``."""
    start, end = utc_bounds(period)
    query = (select(Penalty.person_id, func.count()).select_from(Penalty)
             .join(Project, Project.id == Penalty.project_id).join(Inspection, Inspection.id == Penalty.inspection_id)
             .where(Penalty.role == role.value, Penalty.annulled_at.is_(None), Penalty.created_at >= start,
                    Penalty.created_at < end, *_inspection_conditions(filters))
             .group_by(Penalty.person_id))
    return dict(db.session.execute(query).all())


def people_with_role(role: Role) -> list[tuple[int, str]]:
    """(id, name) of the active users holding ``role``, by name, for the filters (one query)."""
    query = (select(User.id, User.display_name).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == role.value, User.active.is_(True)).order_by(User.display_name, User.id))
    return [(user_id, name) for user_id, name in db.session.execute(query)]


def filter_choices() -> tuple[list[str], list[tuple[int, str]], list[tuple[int, str]]]:
    """(design studios, foremen, inspectors) for the dashboard's filters."""
    return design_studios(), people_with_role(Role.FOREMAN), people_with_role(Role.INSPECTOR)


def design_studios() -> list[str]:
    """Every design studio with a project, for the filter."""
    return list(db.session.scalars(select(Project.design_studio).distinct().order_by(Project.design_studio)))
