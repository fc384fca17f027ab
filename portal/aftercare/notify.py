"""Reminders about overdue repairs and complaints (``flask send-aftercare-reminders``, run by cron).

Each overdue step is told once: office, and the crew leader of a repair or the handler of a
complaint (000: the clocks of 报修解决流程 and 投诉处理制度). Also the flag on a repeated complaint,
and once a quarter, when its last month begins, the owners not yet reached for its return call.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.aftercare import return_calls, warranty
from portal.aftercare.models import Complaint, RepairRequest
from portal.aftercare.complaint_handling import complaint_overdue
from portal.aftercare.repair_requests import open_repairs, repair_overdue
from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.services import notify
from portal.timeutil import to_local, utcnow
from portal.web import path_for

STEP_LABELS = {
    "contact": _l("contact the owner"),
    "plan": _l("solution and visit date"),
    "follow_up": _l("follow-up call"),
    "pass_on": _l("pass on to the department"),
    "answer": _l("answer"),
}


def office_users() -> list[User]:
    """Active office users."""
    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role == Role.OFFICE.value,
                                                                     User.active.is_(True))))


def send_aftercare_reminders(now: datetime | None = None) -> int:
    """Tell about every overdue step once; returns the messages sent."""
    now = now or utcnow()
    office = office_users()
    sent = 0
    for repair in open_repairs():
        for step in repair_overdue(repair, now):
            sent += len(notify(office + [repair.assignee], "repair_overdue", lambda r=repair, s=step: _(
                "Overdue repair #%(id)s for %(contract)s: %(step)s was due %(due)s.", id=r.id,
                contract=r.project.contract_no, step=STEP_LABELS[s.name], due=f"{s.due:%Y-%m-%d %H:%M}"),
                path_for("aftercare.repair", repair_id=repair.id), dedupe=f"repair-{step.name}:{repair.id}"))
    for complaint in db.session.scalars(select(Complaint).where(Complaint.closed_at.is_(None))):
        for step in complaint_overdue(complaint, now):
            sent += len(notify(office + [complaint.handler], "complaint_overdue", lambda c=complaint, s=step: _(
                "Overdue complaint #%(id)s for %(contract)s: %(step)s was due %(due)s.", id=c.id,
                contract=c.project.contract_no, step=STEP_LABELS[s.name], due=f"{s.due:%Y-%m-%d %H:%M}"),
                path_for("aftercare.complaint", complaint_id=complaint.id),
                dedupe=f"complaint-{step.name}:{complaint.id}"))
    return sent + _remind_return_calls(office, now)


def _remind_return_calls(office: list[User], now: datetime) -> int:
    """From the first day of a quarter's last month: office is told once how many owners are still to
    be reached for the quarter's return call (003 流程28)."""
    today = to_local(now).date()
    quarter = return_calls.quarter_of(today)
    if today < warranty.add_months(quarter.start, 2):
        return 0
    waiting = sum(1 for row in return_calls.calls_for_quarter(quarter) if row.done is None)
    if not waiting:
        return 0
    return len(notify(office, "return_calls_due", lambda: ngettext(
        "%(num)d owner is still to be reached for this quarter's return call (%(quarter)s).",
        "%(num)d owners are still to be reached for this quarter's return call (%(quarter)s).", waiting,
        quarter=quarter.label), path_for("return_calls.index"), dedupe=f"return-calls:{quarter.start.isoformat()}"))


def repeat_complaint_flagged(complaint: Complaint) -> None:
    """A second complaint on the same matter: office and the first handler are told in writing (000 第三节 5)."""
    first = complaint.repeat_of
    notify(office_users() + [first.handler], "complaint_repeat", lambda: _(
        "Second complaint on the same matter for %(contract)s: %(matter)s. The first handling is under review.",
        contract=complaint.project.contract_no, matter=first.matter),
        path_for("aftercare.complaint", complaint_id=complaint.id), dedupe=f"complaint-repeat:{complaint.id}")


def complaint_passed_on(complaint: Complaint) -> None:
    """The department head is told the complaint is his (000 第三节 1: answer within 48 hours)."""
    notify([complaint.handler], "complaint_passed_on", lambda: _(
        "Complaint #%(id)s for %(contract)s passed on to you: %(matter)s. Answer within 48 hours.",
        id=complaint.id, contract=complaint.project.contract_no, matter=complaint.matter),
        path_for("aftercare.complaint", complaint_id=complaint.id), dedupe=f"complaint-passed-on:{complaint.id}")


def repair_filed(repair: RepairRequest) -> None:
    """A new repair request: office (the 3-hour contact clock runs) and the original foreman."""
    notify(office_users() + [repair.assignee], "repair_filed", lambda: _(
        "New repair request #%(id)s for %(contract)s.", id=repair.id, contract=repair.project.contract_no),
        path_for("aftercare.repair", repair_id=repair.id))
