"""The dashboard's figures as tables of texts: one source for the HTML tables, the CSV files and the PDF.

Each table has a ``key`` (``?format=csv&table=<key>``), a title, columns and rows of ready
texts in the user's language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _

from portal.aftercare.figures import ComplaintFigures, Counts
from portal.aftercare.messages import STEP_NAMES
from portal.dashboard.awards import AwardRow
from portal.dashboard.periods import month_of
from portal.dashboard.queries import Failure, Figures, PersonFigures, Quality
from portal.dashboard.rates import NO_VALUE, number_text, percent_text
from portal.inspections.messages import grade_label


@dataclass(frozen=True)
class Column:
    """A column heading; numeric columns are right-aligned."""

    label: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """A titled table of texts; the first cell of each row names the row."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    empty_text: str = ""
    more: int = 0  # rows left out on the page (the CSV has them)


# The dashboard page lists at most this many foremen (and project managers), those who need
# attention first; a company of 500 foremen gets the whole list as CSV, not as a page to scroll.
PAGE_PEOPLE = 30


def build_tables(figures: Figures, awards: list[AwardRow], for_page: bool = False) -> dict[str, Table]:
    """Every table of the dashboard and the reports, by key, in display order.

    ``for_page``: the per-person tables as the page shows them (see :func:`people_table`).
    """
    limit = PAGE_PEOPLE if for_page else None
    tables = [workload_table(figures), notices_table(figures), quality_table(figures), trend_table(figures),
              failures_table("items", _("Most failed items"), _("Item"), figures.items, with_category=True),
              failures_table("categories", _("Most failed categories"), _("Category"), figures.categories),
              people_table("foremen", _("Per foreman"), _("Foreman"), figures.foremen, limit),
              people_table("managers", _("Per project manager"), _("Project manager"), figures.managers, limit),
              awards_table(awards)]
    return {table.key: table for table in tables}


def workload_table(figures: Figures) -> Table:
    """Inspections planned and done, reinspections due: today and this week."""
    w = figures.workload
    rows = [[_("Inspections planned"), w.planned_today, w.planned_week],
            [_("Inspections done"), w.done_today, w.done_week],
            [_("Reinspections due"), w.reinspections_due_today, w.reinspections_due_week],
            [_("Late schedule changes"), "—", w.late_changes_week]]
    return Table("workload", _("Today and this week (%(day)s)", day=figures.as_of.isoformat()),
                 [Column(_("Figure"), False), Column(_("Today")), Column(_("This week"))], _texts(rows))


def notices_table(figures: Figures) -> Table:
    """Open and overdue rectification notices, reinspections to schedule."""
    n = figures.notices
    rows = [[_("Open notices"), n.open], [_("Overdue notices"), n.overdue],
            [_("Reinspections requested, to schedule"), n.to_schedule]]
    return Table("notices", _("Rectification notices"), [Column(_("Figure"), False), Column(_("Now"))], _texts(rows))


def quality_rows(qualities: list[Quality]) -> list[list[str]]:
    """One row per quality figure, one column per period."""
    figures = [
        (_("Inspections finished"), lambda q: q.completed),
        (_("Round-1 inspections finished"), lambda q: q.first_rounds),
        (_("Passed the first time"), lambda q: q.first_passed),
        (_("First-time pass rate"), lambda q: percent_text(q.first_time_pass_rate)),
        (_("Projects passed"), lambda q: q.passed),
        (_("Average rounds to pass"), lambda q: number_text(q.average_rounds)),
        *[(grade_label(grade if grade != "failed" else None), lambda q, g=grade: q.grades[g])
          for grade in ("excellent", "good", "pass", "failed")],
    ]
    return _texts([[label, *[value(q) for q in qualities]] for label, value in figures])


def quality_table(figures: Figures) -> Table:
    """Quality in the period and the one before, and in the period's month and the month before
    (left out when the period is that month: the same numbers twice)."""
    columns = [Column(_("Figure"), False), Column(figures.period.label), Column(figures.previous.label)]
    qualities = [figures.quality, figures.previous_quality]
    month = month_of(figures.period.end)
    if (figures.period.start, figures.period.end) != (month.start, month.end):
        this_month, last_month = figures.trend[-1], figures.trend[-2]
        columns += [Column(f"{this_month.month:%Y-%m}"), Column(f"{last_month.month:%Y-%m}")]
        qualities += [this_month.quality, last_month.quality]
    return Table("quality", _("Quality"), columns, quality_rows(qualities))


def trend_table(figures: Figures) -> Table:
    """The 12-month trend, one row per month."""
    columns = [Column(_("Month"), False), Column(_("Round-1 inspections finished")), Column(_("Passed the first time")),
               Column(_("First-time pass rate")), Column(_("Projects passed")), Column(_("Average rounds to pass")),
               *[Column(grade_label(g)) for g in ("excellent", "good", "pass", None)]]
    rows = [[f"{m.month:%Y-%m}", m.quality.first_rounds, m.quality.first_passed,
             percent_text(m.quality.first_time_pass_rate), m.quality.passed, number_text(m.quality.average_rounds),
             *m.quality.grades.values()] for m in figures.trend]
    return Table("trend", _("12-month trend"), columns, _texts(rows))


def failures_table(key: str, title: str, label: str, failures: list[Failure], with_category: bool = False) -> Table:
    """Items or categories that failed most, with how often they applied."""
    columns = [Column(label, False), *([Column(_("Category"), False)] if with_category else []),
               Column(_("Failed")), Column(_("Checked")), Column(_("Failure share"))]
    rows = [[f.text, *([f.category] if with_category else []), f.failed, f.applicable, percent_text(f.share)]
            for f in failures]
    return Table(key, title, columns, _texts(rows), _("Nothing failed in this period."))


def people_table(key: str, title: str, label: str, people: list[PersonFigures], limit: int | None = None) -> Table:
    """Per person: inspections, first-time pass rate, average rounds, open/overdue notices, penalties.

    By name; with ``limit``, the people who need attention first (overdue notices, open notices,
    penalties, then the lowest first-time pass rate) and at most ``limit`` of them.
    """
    more = 0
    if limit is not None and len(people) > limit:
        people, more = sorted(people, key=_attention)[:limit], len(people) - limit
    columns = [Column(label, False), Column(_("Inspections finished")), Column(_("Round-1 inspections finished")),
               Column(_("First-time pass rate")), Column(_("Average rounds to pass")), Column(_("Open notices")),
               Column(_("Overdue notices")), Column(_("Penalties"))]
    rows = [[p.name, p.quality.completed, p.quality.first_rounds, percent_text(p.quality.first_time_pass_rate),
             number_text(p.quality.average_rounds), p.open_notices, p.overdue_notices, p.penalties] for p in people]
    return Table(key, title, columns, _texts(rows), _("Nobody to show for this period."), more)


def _attention(person: PersonFigures) -> tuple:
    """Sort key: who needs the office's attention first."""
    rate = person.quality.first_time_pass_rate
    return (-person.overdue_notices, -person.open_notices, -person.penalties,
            rate if rate is not None else 2, person.name, person.person_id)


def awards_table(awards: list[AwardRow]) -> Table:
    """The latest confirmed excellent sites."""
    title = (_("Excellent sites %(month)s", month=f"{awards[0].month:%Y-%m}") if awards
             else _("Excellent sites"))
    columns = [Column(_("Rank"), False), Column(_("Project"), False), Column(_("Foreman"), False),
               Column(_("Grade"), False), Column(_("Score")), Column(_("Rounds"))]
    rows = [[a.rank, a.contract_no, a.foreman, grade_label(a.grade), _rate_text(a.overall_rate), a.round]
            for a in awards]
    return Table("awards", title, columns, _texts(rows), _("No awards confirmed yet."))


def complaint_tables(periods: list[tuple[str, ComplaintFigures]], per_foreman: tuple[str, ComplaintFigures]
                     ) -> dict[str, Table]:
    """The complaint figures (000 第三节 9): one column per (label, figures) period, and per foreman of one period."""
    rows = [(_("Received"), lambda c: c.received), (_("Still open"), lambda c: c.open),
            (_("Overdue"), lambda c: c.overdue),
            *[(_("Overdue: %(step)s", step=STEP_NAMES[name]), lambda c, n=name: c.overdue_steps[n])
              for name in ("pass_on", "answer")],
            (_("Closed after the return visit"), lambda c: c.closed), (_("Second complaints"), lambda c: c.repeats),
            (_("Hours to close (median)"), lambda c: _hours(c.median_hours_to_close)),
            (_("Hours to close (mean)"), lambda c: _hours(c.mean_hours_to_close))]
    overview = Table("complaints", _("Complaints"),
                     [Column(_("Figure"), False), *[Column(label) for label, _figures in periods]],
                     _texts([[label, *[value(figures) for _label, figures in periods]] for label, value in rows]))
    label, figures = per_foreman
    foremen = Table("complaint_foremen", _("Complaints per foreman (%(period)s)", period=label),
                    [Column(_("Foreman"), False), Column(_("Received")), Column(_("Still open")),
                     Column(_("Overdue")), Column(_("Closed after the return visit")), Column(_("Second complaints")),
                     Column(_("Hours to close (median)"))],
                    _texts([[f.name, *_foreman_cells(f)] for f in figures.by_foreman]),
                    _("No complaints in this period."))
    return {overview.key: overview, foremen.key: foremen}


def _foreman_cells(counts: Counts) -> list:
    """One foreman's complaint counts, in the columns of the per-foreman table."""
    return [counts.received, counts.open, counts.overdue, counts.closed, counts.repeats,
            _hours(counts.median_hours_to_close)]


def _hours(value: float | None) -> str:
    """Hours with one decimal; ``—`` when nothing was closed."""
    return NO_VALUE if value is None else f"{value:.1f}"


def _rate_text(rate: Decimal | None) -> str:
    """A stored overall rate (0..1) as a percentage with two decimals."""
    return percent_text(Fraction(rate) if rate is not None else None, places=2)


def _texts(rows: list[list]) -> list[list[str]]:
    """Every cell as text."""
    return [[str(cell) for cell in row] for row in rows]


@dataclass(frozen=True)
class Headline:
    """A big number at the top of the dashboard; ``alert`` when it needs attention."""

    label: str
    value: str
    alert: bool = False


def headlines(figures: Figures) -> list[Headline]:
    """The four numbers a manager looks at first."""
    quality, notices = figures.quality, figures.notices
    return [Headline(_("First-time pass rate"), percent_text(quality.first_time_pass_rate)),
            Headline(_("Average rounds to pass"), number_text(quality.average_rounds)),
            Headline(_("Open notices"), str(notices.open)),
            Headline(_("Overdue notices"), str(notices.overdue), alert=notices.overdue > 0)]
