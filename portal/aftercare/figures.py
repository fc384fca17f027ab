"""Complaint figures for a week or a month (dashboard): open, overdue, time to close, by foreman.

000 第三节 9: 客服监察部要定期向公司总经理汇报近期投诉情况; 数据统计流程: weekly and monthly reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.aftercare.models import Complaint
from portal.aftercare.services import complaint_overdue, local_naive
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import local_day_start_utc


@dataclass
class ForemanFigures:
    """One foreman's complaints in the period."""

    name: str
    received: int = 0
    open: int = 0
    overdue: int = 0
    repeats: int = 0


@dataclass
class ComplaintFigures:
    """The period's complaint figures."""

    received: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    repeats: int = 0
    hours_to_close: float | None = None  # mean, of those closed in the period
    by_foreman: list[ForemanFigures] = field(default_factory=list)


def week_and_month(today: date, now: datetime) -> tuple[ComplaintFigures, ComplaintFigures]:
    """This week's (from Monday) and this month's figures, from one query."""
    week_start, month_start = today - timedelta(days=today.weekday()), today.replace(day=1)
    rows = received_between(min(week_start, month_start), today)
    return (summarise([c for c in rows if c.received_at >= local_day_start_utc(week_start)], now),
            summarise([c for c in rows if c.received_at >= local_day_start_utc(month_start)], now))


def received_between(start: date, end: date) -> list[Complaint]:
    """Complaints received in [start, end] (local days), with their projects and foremen."""
    return list(db.session.scalars(
        select(Complaint).where(Complaint.received_at >= local_day_start_utc(start),
                                Complaint.received_at < local_day_start_utc(end) + _DAY)
        .options(selectinload(Complaint.project).selectinload(Project.foreman))))


def complaint_figures(start: date, end: date, now: datetime) -> ComplaintFigures:
    """Complaints received in [start, end] (local days); open and overdue as of ``now`` (UTC)."""
    return summarise(received_between(start, end), now)


def summarise(rows: list[Complaint], now: datetime) -> ComplaintFigures:
    """The figures of these complaints."""
    figures = ComplaintFigures()
    foremen: dict[str, ForemanFigures] = {}
    hours = []
    for complaint in rows:
        foreman = complaint.project.foreman
        entry = foremen.setdefault(foreman.display_name if foreman else "—",
                                   ForemanFigures(foreman.display_name if foreman else "—"))
        overdue = bool(complaint_overdue(complaint, now))
        figures.received += 1
        entry.received += 1
        figures.repeats += complaint.repeat_of_id is not None
        entry.repeats += complaint.repeat_of_id is not None
        if complaint.closed_at is None:
            figures.open += 1
            entry.open += 1
            figures.overdue += overdue
            entry.overdue += overdue
        else:
            figures.closed += 1
            closed, received = local_naive(complaint.closed_at), local_naive(complaint.received_at)
            hours.append((closed - received).total_seconds() / 3600)
    figures.hours_to_close = round(sum(hours) / len(hours), 1) if hours else None
    figures.by_foreman = sorted(foremen.values(), key=lambda f: (-f.received, f.name))
    return figures


_DAY = timedelta(days=1)
