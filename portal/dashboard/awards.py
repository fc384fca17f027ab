"""The monthly excellent-site award (000, 3.2.6): about 10 % of the month's completed projects, at most three.

The month's completed projects are those whose pre-acceptance passed in that month (local
date of the finish). They are ranked by final score; ties go to fewer rounds, then to the
earlier pass. Office reviews the proposal and confirms it; the confirmed list is kept as
``Award`` rows and the awarded foremen are told. The rules (``award_count``,
``rank_candidates``, ``proposal``) are plain functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.dashboard.periods import first_of_month, month_of, utc_bounds
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionStatus
from portal.notifications.services import notify
from portal.projects.models import Project
from portal.schedule.models import Award
from portal.web import path_for
from portal.timeutil import to_local

AWARD_PERCENT = 10
MAX_AWARDS = 3


def award_count(completed: int) -> int:
    """How many sites are awarded: 10 % of ``completed`` rounded down, at least 1 when any, at most 3."""
    if completed <= 0:
        return 0
    return min(MAX_AWARDS, max(1, completed * AWARD_PERCENT // 100))


@dataclass(frozen=True)
class Candidate:
    """A project that passed pre-acceptance in the month, with its passing inspection."""

    inspection_id: int
    project_id: int
    contract_no: str
    address: str
    foreman: str
    passed_count: int | None
    applicable_count: int | None
    overall_rate: Decimal | None
    round: int
    finished_at: datetime  # naive UTC
    grade: str | None = None

    @property
    def score(self) -> Fraction:
        """The final score exactly (passed / applicable); the stored rate when counts are missing."""
        if self.applicable_count:
            return Fraction(self.passed_count or 0, self.applicable_count)
        return Fraction(self.overall_rate or 0)

    @property
    def passed_on(self) -> date:
        """The local date of the pass."""
        return to_local(self.finished_at).date()


def ranking_key(candidate: Candidate) -> tuple:
    """Higher score first, then fewer rounds, then the earlier pass (then 档案号, to be stable)."""
    return (-candidate.score, candidate.round, candidate.finished_at, candidate.contract_no)


def rank_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates best first, one entry per project (its best inspection)."""
    best: dict[int, Candidate] = {}
    for candidate in sorted(candidates, key=ranking_key):
        best.setdefault(candidate.project_id, candidate)
    return sorted(best.values(), key=ranking_key)


def proposal(ranked: list[Candidate]) -> list[Candidate]:
    """The top of the ranking that gets the award."""
    return ranked[:award_count(len(ranked))]


# --- database --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AwardRow:
    """A confirmed award as plain data."""

    month: date
    rank: int
    project_id: int
    contract_no: str
    address: str
    foreman: str
    grade: str | None
    overall_rate: Decimal | None
    round: int
    confirmed_at: datetime


class AwardError(Exception):
    """Confirmation refused; ``code`` says why (see ``error_text``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def error_text(error: AwardError) -> str:
    """Why the confirmation was refused, in the user's language."""
    return {
        "month_not_over": _("The month is not over yet: more projects may still pass. Confirm it next month."),
        "already_confirmed": _("The awards of this month are already confirmed."),
        "nothing_to_award": _("No project passed pre-acceptance in this month."),
        "changed": _("The ranking changed while you were looking at it. Check the new proposal and confirm again."),
    }.get(error.code, error.code)


def candidates(month: date) -> list[Candidate]:
    """Passing inspections finished in ``month`` (local dates), with project and foreman: one query."""
    start, end = utc_bounds(month_of(month))
    query = (select(Inspection.id, Inspection.project_id, Project.contract_no, Project.address,
                    func.coalesce(User.display_name, ""), Inspection.passed_count, Inspection.applicable_count,
                    Inspection.overall_rate, Inspection.round, Inspection.finished_at, Inspection.grade)
             .select_from(Inspection).join(Project, Project.id == Inspection.project_id)
             .outerjoin(User, User.id == Project.foreman_id)
             .where(Inspection.status == InspectionStatus.COMPLETED.value, Inspection.passed.is_(True),
                    Inspection.finished_at >= start, Inspection.finished_at < end))
    return [Candidate(*row) for row in db.session.execute(query)]


def _award_rows(*conditions) -> list[AwardRow]:
    """Confirmed awards matching ``conditions`` with project, foreman and result: one query."""
    query = (select(Award.month, Award.rank, Award.project_id, Project.contract_no, Project.address,
                    func.coalesce(User.display_name, ""), Inspection.grade, Inspection.overall_rate, Inspection.round,
                    Award.confirmed_at)
             .select_from(Award).join(Project, Project.id == Award.project_id)
             .join(Inspection, Inspection.id == Award.inspection_id)
             .outerjoin(User, User.id == Project.foreman_id)
             .where(*conditions).order_by(Award.month.desc(), Award.rank))
    return [AwardRow(*row) for row in db.session.execute(query)]


def confirmed(month: date) -> list[AwardRow]:
    """The confirmed awards of ``month``, by rank."""
    return _award_rows(Award.month == first_of_month(month))


def latest_confirmed(up_to: date) -> list[AwardRow]:
    """The awards of the latest confirmed month not after ``up_to``'s month."""
    latest = select(func.max(Award.month)).where(Award.month <= first_of_month(up_to)).scalar_subquery()
    return _award_rows(Award.month == latest)


def awards_of_foreman(user_id: int) -> list[AwardRow]:
    """Awards of the projects the user is foreman of, newest month first."""
    return _award_rows(Project.foreman_id == user_id)


def confirm(month: date, seen: list[int], user: User, today: date) -> list[Award]:
    """Keep the proposal office saw (inspection ids ``seen``, in rank order) as the month's awards.

    Raises AwardError while the month runs, when already confirmed, when nothing passed, or
    when the proposal changed since it was shown. Flushes; the caller commits.
    """
    month = first_of_month(month)
    if month >= first_of_month(today):
        raise AwardError("month_not_over")
    if db.session.scalar(select(Award.id).where(Award.month == month).limit(1)) is not None:
        raise AwardError("already_confirmed")
    chosen = proposal(rank_candidates(candidates(month)))
    if not chosen:
        raise AwardError("nothing_to_award")
    if [c.inspection_id for c in chosen] != seen:
        raise AwardError("changed")
    awards = [Award(month=month, project_id=c.project_id, inspection_id=c.inspection_id, rank=rank,
                    confirmed_by_id=user.id) for rank, c in enumerate(chosen, start=1)]
    db.session.add_all(awards)
    db.session.flush()
    _tell_foremen(chosen, month)
    return awards


def _tell_foremen(chosen: list[Candidate], month: date) -> None:
    """Notify each awarded project's foreman (in his language), linking to his awards page."""
    projects = {p.id: p for p in db.session.scalars(select(Project).options(selectinload(Project.foreman)).where(
        Project.id.in_([c.project_id for c in chosen])))}
    for rank, candidate in enumerate(chosen, start=1):
        foreman = projects[candidate.project_id].foreman
        notify([foreman], "award", lambda c=candidate, r=rank: _(
            "Excellent site %(month)s: %(no)s is ranked %(rank)s. Well done!",
            month=f"{month:%Y-%m}", no=c.contract_no, rank=r),
            link=path_for("dashboard.my_awards"), dedupe=f"award:{month:%Y-%m}:{candidate.project_id}")
