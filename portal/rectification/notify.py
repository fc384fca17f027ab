"""Who is told what about notices (in-app, and e-mail when configured)."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.services import notify
from portal.rectification.models import NoticeStatus, RectificationNotice
from portal.timeutil import local_today
from portal.web import path_for


def _office() -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role == Role.OFFICE.value,
                                                                     User.active.is_(True))))


def _site_team(notice: RectificationNotice) -> list[User]:
    return [notice.project.foreman, notice.project.project_manager]


def notice_url(notice: RectificationNotice) -> str:
    """Where a notification about the notice points."""
    return path_for("rectification.notice", notice_id=notice.id)



def notice_created(notice: RectificationNotice) -> None:
    """New notice: foreman and project manager."""
    notify(_site_team(notice), "notice_created", lambda: _(
        "New rectification notice %(no)s for %(contract)s: %(n)s items, deadline %(date)s.", no=notice.number,
        contract=notice.project.contract_no, n=len(notice.items), date=notice.deadline.isoformat()), notice_url(notice))


def reinspection_requested(notice: RectificationNotice) -> None:
    """The foreman asks for reinspection: office."""
    notify(_office(), "reinspection_requested", lambda: _(
        "Reinspection requested for %(contract)s (notice %(no)s).", contract=notice.project.contract_no,
        no=notice.number), notice_url(notice))


def reinspection_scheduled(notice: RectificationNotice, inspection) -> None:
    """Reinspection planned: foreman and the inspector."""
    notify([notice.project.foreman, db.session.get(User, inspection.inspector_id)], "reinspection_scheduled", lambda: _(
        "Reinspection (round %(round)s) of %(contract)s scheduled for %(date)s.", round=inspection.round,
        contract=notice.project.contract_no, date=inspection.scheduled_date.isoformat()), notice_url(notice))


def send_deadline_reminders(today=None) -> int:
    """Deadline tomorrow and overdue: foreman, PM and office, once per notice and kind. Returns messages sent."""
    today = today or local_today()
    sent = 0
    notices = db.session.scalars(select(RectificationNotice).where(
        RectificationNotice.status == NoticeStatus.OPEN.value, RectificationNotice.deadline <= today + timedelta(days=1)))
    for notice in notices:
        if notice.deadline == today + timedelta(days=1):
            sent += len(notify(_site_team(notice) + _office(), "deadline_tomorrow", lambda n=notice: _(
                "Deadline tomorrow: notice %(no)s for %(contract)s.", no=n.number, contract=n.project.contract_no),
                notice_url(notice), dedupe=f"deadline-tomorrow:{notice.id}"))
        elif notice.deadline < today:
            sent += len(notify(_site_team(notice) + _office(), "overdue", lambda n=notice: _(
                "Overdue: notice %(no)s for %(contract)s (deadline %(date)s).", no=n.number,
                contract=n.project.contract_no, date=n.deadline.isoformat()), notice_url(notice), dedupe=f"overdue:{notice.id}"))
    return sent
