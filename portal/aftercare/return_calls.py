"""保修期电话回访: the quarterly return calls of the warranty (003 流程28 保修期服务).

"保修期内，由工程统计安排每一季度电话回访一次" — while a project is in its warranty, office calls the
owner once a quarter. The rules, as plain date arithmetic:

- the quarters are calendar quarters (January, April, July, October);
- a handed-over project is due in every quarter that begins after its warranty start and not
  after the last day of its general warranty (the card's "general" period, 2 years by default):
  the quarter of the handover itself had the completion acceptance's own evaluation;
- a call that does not reach the owner is kept as an attempt; the quarter is done once a call
  reaches him (a second one in the same quarter is refused: two desks must not both call).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.aftercare import warranty
from portal.aftercare.models import CompletionAcceptance, ReturnCall
from portal.aftercare.services import AftercareError
from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow

NOTE_MAX = 1000
GENERAL = "general"
# Cards older than this are not looked at: no general warranty runs ten years (the national minimum
# is two), and the list must not read every handover the company ever made.
WINDOW_MONTHS = 120


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def number(self) -> int:
        """1 to 4."""
        return (self.start.month - 1) // 3 + 1

    @property
    def label(self) -> str:
        """``2026 Q4``."""
        return f"{self.start.year} Q{self.number}"


def quarter_of(day: date) -> Quarter:
    """The calendar quarter containing ``day``."""
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Quarter(start, warranty.add_months(start, 3) - timedelta(days=1))


def general_last_day(warranty_start: date, months_table: dict | None) -> date:
    """The last day of the general warranty that started on ``warranty_start`` (the card's table)."""
    months = (months_table or {}).get(GENERAL) or warranty.DEFAULT_MONTHS[GENERAL]
    return warranty.last_covered_day(warranty_start, int(months))


def is_due(warranty_start: date | None, last_day: date | None, quarter: Quarter) -> bool:
    """Whether a project whose warranty runs ``warranty_start`` to ``last_day`` is called in ``quarter``."""
    if warranty_start is None or last_day is None:
        return False
    return warranty_start < quarter.start <= last_day


@dataclass
class CallRow:
    """A project due in a quarter: its acceptance, the last day of its general warranty and the calls
    made in that quarter (oldest first)."""

    acceptance: CompletionAcceptance
    last_day: date
    calls: list[ReturnCall] = field(default_factory=list)

    @property
    def project(self) -> Project:
        return self.acceptance.project

    @property
    def done(self) -> ReturnCall | None:
        """The call that reached the owner, if one did."""
        return next((call for call in self.calls if call.reached), None)

    @property
    def attempts(self) -> int:
        """Calls that did not reach him."""
        return sum(1 for call in self.calls if not call.reached)


def calls_for_quarter(quarter: Quarter) -> list[CallRow]:
    """Every project due in ``quarter``, with its calls so far: not yet reached first (fewest attempts
    first, then the oldest handover), then those done. Two queries whatever the number of projects."""
    # Each card keeps its own table of periods, so the last day is worked out here, not in SQL.
    acceptances = db.session.scalars(
        select(CompletionAcceptance).options(joinedload(CompletionAcceptance.project))
        .where(CompletionAcceptance.handed_over_at.is_not(None), CompletionAcceptance.warranty_start < quarter.start,
               CompletionAcceptance.warranty_start >= warranty.add_months(quarter.start, -WINDOW_MONTHS))
        .order_by(CompletionAcceptance.warranty_start, CompletionAcceptance.id))
    rows = {}
    for acceptance in acceptances:
        last_day = general_last_day(acceptance.warranty_start, acceptance.warranty_months)
        if is_due(acceptance.warranty_start, last_day, quarter):
            rows[acceptance.project_id] = CallRow(acceptance, last_day)
    if rows:
        for call in db.session.scalars(select(ReturnCall).where(ReturnCall.quarter_start == quarter.start,
                                                                ReturnCall.project_id.in_(rows))
                                       .order_by(ReturnCall.called_at, ReturnCall.id)):
            rows[call.project_id].calls.append(call)
    return sorted(rows.values(), key=lambda row: (row.done is not None, row.attempts))


def call_row(project: Project, quarter: Quarter) -> CallRow | None:
    """The project's row in ``quarter``, or None when it is not due then."""
    acceptance = db.session.scalar(select(CompletionAcceptance).where(CompletionAcceptance.project_id == project.id))
    if acceptance is None or acceptance.handed_over_at is None:
        return None
    last_day = general_last_day(acceptance.warranty_start, acceptance.warranty_months)
    if not is_due(acceptance.warranty_start, last_day, quarter):
        return None
    row = CallRow(acceptance, last_day)
    row.calls = list(db.session.scalars(select(ReturnCall).where(ReturnCall.project_id == project.id,
                                                                 ReturnCall.quarter_start == quarter.start)
                                        .order_by(ReturnCall.called_at, ReturnCall.id)))
    return row


def record_call(project: Project, user: User, quarter: Quarter, *, reached: bool, satisfied: bool | None,
                note: str) -> ReturnCall:
    """Record a call of ``quarter`` (the current one) to the project's owner.

    Raises AftercareError: ``call_not_due`` (not in its warranty's calls this quarter), ``call_done``
    (the owner was reached this quarter already), ``call_note_too_long``, ``call_note_required``
    (a reached owner's words are the point of the call).
    """
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise AftercareError("call_note_too_long")
    if reached and not note:
        raise AftercareError("call_note_required")
    # The project's row is locked while the call is written: two desks calling the same owner.
    db.session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    row = call_row(project, quarter)
    if row is None:
        raise AftercareError("call_not_due")
    if row.done is not None:
        raise AftercareError("call_done")
    call = ReturnCall(project_id=project.id, quarter_start=quarter.start, called_at=utcnow(), called_by_id=user.id,
                      reached=reached, satisfied=satisfied if reached else None, note=note)
    db.session.add(call)
    db.session.flush()
    return call
