"""Complaint figures for report periods: open, overdue per step of the clock, time to close, by foreman.

000 第三节 9: 客服监察部要定期向公司总经理汇报近期投诉情况; 数据统计流程: weekly and monthly reports.
The report periods themselves (Thursday–Wednesday, 26th–25th) are the dashboard's rule
(``portal.dashboard.periods``); the dashboard sits above this package, so it passes the bounds in.

For a period [start, end] (local days, both included) seen at ``as_of`` = the end of the period, or
now when the period is still running:

- received: complaints received in the period; repeats: those of them that are second complaints;
- open: complaints received up to the end of the period and not closed at ``as_of`` (the backlog);
- overdue: open ones with a step of the clock past due at ``as_of``, also counted per step
  (a step done after ``as_of`` counts as not done then);
- closed: complaints closed in the period; hours to close: from received to closed, median and
  mean, of those closed in the period;
- by foreman: the same, per foreman of the complaint's project.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean, median

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.aftercare import clocks
from portal.aftercare.models import Complaint
from portal.aftercare.services import local_naive
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import local_day_start_utc

STEPS = ("pass_on", "answer")  # the steps of clocks.complaint_steps, in order
NO_FOREMAN = "—"


@dataclass
class Counts:
    """Counts of complaints for one period (all of them, or one foreman's)."""

    received: int = 0
    open: int = 0
    overdue: int = 0
    overdue_steps: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEPS, 0))
    closed: int = 0
    repeats: int = 0
    hours: list[float] = field(default_factory=list)  # received → closed, of those closed in the period

    @property
    def median_hours_to_close(self) -> float | None:
        """Median hours from received to closed (None: nothing closed in the period)."""
        return round(median(self.hours), 1) if self.hours else None

    @property
    def mean_hours_to_close(self) -> float | None:
        """Mean hours from received to closed (None: nothing closed in the period)."""
        return round(mean(self.hours), 1) if self.hours else None


@dataclass
class ForemanFigures(Counts):
    """One foreman's complaints (the foreman of the complaint's project)."""

    name: str = NO_FOREMAN


@dataclass
class ComplaintFigures(Counts):
    """The complaint figures of one period."""

    start: date | None = None
    end: date | None = None
    by_foreman: list[ForemanFigures] = field(default_factory=list)


def figures_for(periods: Sequence[tuple[date, date]], now: datetime) -> list[ComplaintFigures]:
    """The figures of each period (local days, both included), from one query; ``now`` in UTC."""
    if not periods:
        return []
    bounds = [(local_day_start_utc(start), local_day_start_utc(end + _DAY)) for start, end in periods]
    rows = _complaints_between(min(b[0] for b in bounds), max(b[1] for b in bounds))
    return [summarise(rows, start_utc, end_utc, min(now, end_utc), start, end)
            for (start, end), (start_utc, end_utc) in zip(periods, bounds)]


def complaint_figures(start: date, end: date, now: datetime) -> ComplaintFigures:
    """The figures of one period [start, end] (local days); ``now`` in UTC."""
    return figures_for([(start, end)], now)[0]


def _complaints_between(start_utc: datetime, end_utc: datetime) -> list[Complaint]:
    """Complaints that may count in [start_utc, end_utc): received before its end and not closed before its start."""
    return list(db.session.scalars(
        select(Complaint).where(Complaint.received_at < end_utc,
                                or_(Complaint.closed_at.is_(None), Complaint.closed_at >= start_utc))
        .options(selectinload(Complaint.project).selectinload(Project.foreman))))


def summarise(rows: list[Complaint], start_utc: datetime, end_utc: datetime, as_of: datetime,
              start: date | None = None, end: date | None = None) -> ComplaintFigures:
    """The figures of the period [start_utc, end_utc) (naive UTC) seen at ``as_of`` (naive UTC)."""
    figures = ComplaintFigures(start=start, end=end)
    foremen: dict[str, ForemanFigures] = {}
    for complaint in rows:
        foreman = complaint.project.foreman
        name = foreman.display_name if foreman else NO_FOREMAN
        entry = foremen.get(name) or ForemanFigures(name=name)
        if _count(complaint, start_utc, end_utc, as_of, (figures, entry)):
            foremen[name] = entry
    figures.by_foreman = sorted(foremen.values(), key=lambda f: (-f.received, -f.open, f.name))
    return figures


def _count(complaint: Complaint, start_utc: datetime, end_utc: datetime, as_of: datetime,
           targets: tuple[Counts, ...]) -> bool:
    """Add one complaint to ``targets``; False when it does not count in the period at all."""
    received = start_utc <= complaint.received_at < end_utc
    closed_in_period = complaint.closed_at is not None and start_utc <= complaint.closed_at < min(end_utc, as_of)
    still_open = complaint.received_at < min(end_utc, as_of) and (
        complaint.closed_at is None or complaint.closed_at >= as_of)
    late = late_steps(complaint, as_of) if still_open else []
    if not (received or closed_in_period or still_open):
        return False
    for counts in targets:
        counts.received += received
        counts.repeats += received and complaint.repeat_of_id is not None
        counts.open += still_open
        counts.overdue += bool(late)
        for name in late:
            counts.overdue_steps[name] += 1
        if closed_in_period:
            counts.closed += 1
            counts.hours.append((complaint.closed_at - complaint.received_at).total_seconds() / 3600)
    return True


def late_steps(complaint: Complaint, as_of: datetime) -> list[str]:
    """The names of the complaint's steps past due and not done at ``as_of`` (naive UTC)."""
    def done(moment: datetime | None) -> datetime | None:
        return local_naive(moment) if moment is not None and moment <= as_of else None

    steps = clocks.complaint_steps(local_naive(complaint.received_at), done(complaint.passed_on_at),
                                   done(complaint.answered_at))
    return [step.name for step in clocks.open_overdue(steps, local_naive(as_of))]


_DAY = timedelta(days=1)
