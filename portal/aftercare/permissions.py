"""Who sees and handles completion acceptances, repair requests and complaints (rules of ``can``).

- a completion acceptance: seen by whoever sees its project; handed over by office or the
  inspector who ran it;
- a repair request: seen by office, the crew leader it was dispatched to and the project's
  foreman; office manages it (contact, plan, dispatch, follow-up); the crew leader or office
  records the repair as done;
- a complaint: office registers, passes on and closes it; the department head it was passed on
  to sees it and records the answer; the head of a first complaint sees the second one.

Repair crews are foremen's crews: a repair is dispatched to a user with the foreman role (the
original foreman, or the one who leads the repair crew, 维修队长). No separate crew table: a crew
leader does on his phone what a foreman does, and the month-end deduction goes to the foreman
whose crew is responsible.
"""
from __future__ import annotations

from portal.aftercare.models import CompletionAcceptance, Complaint, RepairRequest
from portal.auth import permissions
from portal.auth.permissions import has_role
from portal.auth.roles import Role


def _office(user) -> bool:
    return has_role(user, Role.OFFICE)


def acceptance_visible(user, acceptance: CompletionAcceptance) -> bool:
    """Whoever sees the project."""
    return permissions.can(user, acceptance.project, "view")


def may_hand_over(user, acceptance: CompletionAcceptance) -> bool:
    """Office, or the inspector who ran the acceptance."""
    return _office(user) or acceptance.inspector_id == user.id


def repair_visible(user, repair: RepairRequest) -> bool:
    """Office, the assigned crew leader, the project's foreman."""
    return _office(user) or user.id in (repair.assignee_id, repair.project.foreman_id)


def may_work(user, repair: RepairRequest) -> bool:
    """Office or the crew leader the repair was dispatched to."""
    return _office(user) or repair.assignee_id == user.id


def _complaints_office(user) -> bool:
    return permissions.can(user, "complaints", "record")


def complaint_visible(user, complaint: Complaint) -> bool:
    """Office (客服监察部); the department head it was passed on to; and, on a second complaint, the head
    who handled the first one (000 第三节 5: he is told in writing and his handling is checked)."""
    if permissions.can(user, "complaints", "view") or complaint.handler_id == user.id:
        return True
    return complaint.repeat_of is not None and complaint.repeat_of.handler_id == user.id


def may_answer(user, complaint: Complaint) -> bool:
    """Office, or the department head it was passed on to (000 第三节 1: 相关部门……将问题解决结果或处理进展，
    通知客服监察部备案); passing on and closing after the return visit stay with office."""
    return _complaints_office(user) or complaint.handler_id == user.id


def register() -> None:
    """Register the rules (called by the app factory)."""
    permissions.register(CompletionAcceptance, {"view": acceptance_visible, "hand_over": may_hand_over})
    permissions.register(RepairRequest, {"view": repair_visible, "manage": lambda user, _r: _office(user),
                                         "work": may_work})
    permissions.register(Complaint, {"view": complaint_visible, "record": lambda user, _c: _complaints_office(user),
                                     "answer": may_answer})
