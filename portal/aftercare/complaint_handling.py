"""Complaints (000 第三节 投诉处理制度): registered at once, passed on within 3 hours, answered
within 48 hours, closed with a return visit; a second complaint on the same matter flags the first
handler."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from portal.aftercare import clocks, complaint_penalty
from portal.aftercare.models import Complaint
from portal.aftercare.services import AftercareError, local_naive
from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


def register_complaint(project: Project, *, matter: str, description: str, complained_about: str, user: User,
                       repeat_of: Complaint | None = None) -> Complaint:
    """Register a complaint at once (000 第三节 1). A second complaint on a matter that went through a
    full round flags the first one's handler and records his fault in the penalty register (000 第三节 5:
    对第一次处理投诉不力的部门和承办人，要进行过失处罚; see :mod:`portal.aftercare.complaint_penalty`)."""
    if not matter.strip() or not description.strip():
        raise AftercareError("description_required")
    if repeat_of is not None and repeat_of.project_id != project.id:
        raise AftercareError("bad_repeat")
    if repeat_of is not None and repeat_of.closed_at is None:
        raise AftercareError("first_still_open")  # a second complaint follows a complete round (000 第三节 5)
    complaint = Complaint(project_id=project.id, matter=matter.strip()[:200], description=description.strip()[:4000],
                          complained_about=complained_about.strip()[:100], recorded_by_id=user.id,
                          received_at=utcnow(), repeat_of_id=repeat_of.id if repeat_of else None)
    db.session.add(complaint)
    if repeat_of is not None and repeat_of.handler_flagged_at is None:
        repeat_of.handler_flagged_at = utcnow()
    db.session.flush()
    if repeat_of is not None:
        complaint_penalty.penalise_first_handling(repeat_of, repeat_penalty_rule())
    return complaint


def repeat_penalty_rule() -> complaint_penalty.RepeatPenalty:
    """The configured penalty for the first handler of a complaint that comes back (checked at start-up)."""
    return complaint_penalty.parse_rule(current_app.config.get("COMPLAINT_REPEAT_PENALTY"))


def pass_on(complaint: Complaint, handler: User) -> None:
    """Passed on to the head of the department concerned (000: within 3 hours)."""
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    complaint.handler_id = handler.id
    complaint.passed_on_at = complaint.passed_on_at or utcnow()
    db.session.flush()


def answer_complaint(complaint: Complaint, answer: str) -> None:
    """The department's result or progress (000: within 48 hours of being passed on)."""
    if complaint.passed_on_at is None:
        raise AftercareError("not_passed_on")
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    if not answer.strip():
        raise AftercareError("answer_required")
    complaint.answer, complaint.answered_at = answer.strip()[:4000], utcnow()
    db.session.flush()


def close_complaint(complaint: Complaint, return_visit: str, satisfied: bool) -> None:
    """Closed after the return visit (回访) with the owner's verdict."""
    if complaint.answered_at is None:
        raise AftercareError("not_answered")
    if complaint.closed_at is not None:
        raise AftercareError("closed")
    if not return_visit.strip():
        raise AftercareError("return_visit_required")
    complaint.return_visit, complaint.satisfied, complaint.closed_at = return_visit.strip()[:4000], satisfied, utcnow()
    db.session.flush()


def complaint_clock(complaint: Complaint) -> list[clocks.Step]:
    """The complaint's clock steps in local time."""
    return clocks.complaint_steps(local_naive(complaint.received_at), local_naive(complaint.passed_on_at),
                                  local_naive(complaint.answered_at))


def complaint_overdue(complaint: Complaint, now: datetime | None = None) -> list[clocks.Step]:
    """The steps of an open complaint that are past due."""
    if complaint.closed_at is not None:
        return []
    return clocks.open_overdue(complaint_clock(complaint), local_naive(now or utcnow()))


def complaints_of(project: Project) -> list[Complaint]:
    """A project's complaints, oldest first (the candidates a repeat refers to)."""
    return list(db.session.scalars(select(Complaint).where(Complaint.project_id == project.id)
                                   .order_by(Complaint.id)))
