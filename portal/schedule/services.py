"""The weekly list, scheduling and rescheduling inspections (calendar feeds: :mod:`portal.schedule.calendar`).

Services flush; the request commits once, at its end. The rules themselves (deadlines, late
changes, who may be listed) are plain functions in :mod:`portal.schedule.rules`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.auth.permissions import authorise
from portal.auth.roles import Role
from portal.auth.services import users_with_role
from portal.extensions import db
from portal.inspections.eligibility import blocking_round, next_round_block
from portal.inspections.models import Inspection, InspectionEvent
from portal.inspections.services import InspectionError, create_inspection
from portal.notifications.services import notify
from portal.projects.models import Project, ProjectStatus
from portal.rectification.models import OPEN_NOTICE_STATES, RectificationNotice
from portal.schedule import rules
from portal.schedule.models import SubmissionEntry, WeeklySubmission
from portal.timeutil import COMPANY_TZ, local_now
from portal.web import path_for

REASON_MAX = 2000


class ScheduleError(Exception):
    """A request the schedule does not allow; ``code`` names the rule, ``detail`` adds facts."""

    def __init__(self, code: str, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


# --- the weekly list (engineering) -----------------------------------------------------------

def find_submission(week_start: date) -> WeeklySubmission | None:
    """The list for the week starting on ``week_start``, if anybody started it."""
    return db.session.scalar(select(WeeklySubmission).where(WeeklySubmission.week_start == week_start))


def get_or_create_submission(week_start: date) -> WeeklySubmission:
    """The list for the week, created empty the first time (safe when two engineers start it at once)."""
    existing = find_submission(week_start)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            submission = WeeklySubmission(week_start=week_start)
            db.session.add(submission)
    except IntegrityError:  # created by another request a moment ago
        return find_submission(week_start)
    return submission


def _blocked_projects():
    """Project ids that cannot be listed: an unfinished inspection, a passed one, or an open notice."""
    return select(Inspection.project_id).where(blocking_round()).union(
        select(RectificationNotice.project_id).where(RectificationNotice.status.in_(OPEN_NOTICE_STATES)))


def candidate_projects(submission: WeeklySubmission | None) -> tuple[list[Project], list[Project]]:
    """Projects engineering may still add: (company work complete, others — owner's delay only)."""
    query = select(Project).where(Project.id.not_in(_blocked_projects())).order_by(Project.contract_no)
    if submission is not None and submission.id is not None:
        query = query.where(Project.id.not_in(select(SubmissionEntry.project_id)
                                              .where(SubmissionEntry.submission_id == submission.id)))
    projects = db.session.scalars(query.limit(1000)).all()
    complete = [p for p in projects if p.status == ProjectStatus.WORK_COMPLETE.value]
    return complete, [p for p in projects if p.status != ProjectStatus.WORK_COMPLETE.value]


def project_block(project: Project) -> str | None:
    """Why the project cannot be listed for an inspection now, else None.

    ``open_inspection``: one is scheduled or under way; ``already_passed``; ``open_notice``: it
    failed and its reinspection is planned from the rectification notice, not from the list.
    """
    inspections = db.session.scalars(select(Inspection).where(Inspection.project_id == project.id)).all()
    block = next_round_block(inspections)
    if block:
        return block
    if db.session.scalar(select(RectificationNotice.id).where(RectificationNotice.project_id == project.id,
                                                              RectificationNotice.status.in_(OPEN_NOTICE_STATES))):
        return "open_notice"
    return None


def add_entry(submission: WeeklySubmission, project: Project, user: User, *, owner_delay: bool = False,
              reason: str = "") -> SubmissionEntry:
    """Put ``project`` on the list: work complete, or the owner's delay with its reason (3.1.2)."""
    work_complete = project.status == ProjectStatus.WORK_COMPLETE.value
    refusal = rules.listing_refusal(work_complete, owner_delay, reason)
    if refusal:
        raise ScheduleError(refusal, project)
    block = project_block(project)
    if block:
        raise ScheduleError(block, project)
    if any(e.project_id == project.id for e in submission.entries):
        raise ScheduleError("already_listed", project)
    delayed = owner_delay and not work_complete  # the exception only matters when work is not complete
    entry = SubmissionEntry(project=project, owner_delay=delayed,
                            owner_delay_reason=reason.strip()[:REASON_MAX] if delayed else "", added_by_id=user.id)
    submission.entries.append(entry)
    db.session.flush()
    return entry


def remove_entry(entry: SubmissionEntry) -> None:
    """Take a project off the list; not once office has scheduled it."""
    if entry.inspection_id is not None:
        raise ScheduleError("already_scheduled", entry.project)
    entry.submission.entries.remove(entry)
    db.session.flush()


def submit(submission: WeeklySubmission, user: User, now: datetime | None = None) -> bool:
    """Hand the list to office; late after Wednesday's end. Submitting again changes nothing (False).

    Refused when it is empty (``empty``), or when listed projects cannot be inspected any more
    (``blocked``, detail: [(project, reason code)]), e.g. office scheduled one by hand meanwhile.
    """
    if submission.submitted_at is not None:
        return False
    if not submission.entries:
        raise ScheduleError("empty")
    blocked = [(e.project, project_block(e.project)) for e in submission.entries if e.inspection_id is None]
    blocked = [(project, code) for project, code in blocked if code]
    if blocked:
        raise ScheduleError("blocked", blocked)
    now = now or local_now()
    submission.submitted_at = _stored(now)
    submission.submitted_by_id = user.id
    submission.late = rules.is_late(now, submission.week_start)
    db.session.flush()
    _notify_submitted(submission)
    return True


def entry_added_late(entry: SubmissionEntry) -> bool:
    """The project was added after the list's deadline (the list stays open for additions)."""
    added = entry.added_at.replace(tzinfo=timezone.utc) if entry.added_at else None
    return added is not None and rules.is_late(added, entry.submission.week_start)


def scheduled_inspections(entries: list[SubmissionEntry]) -> dict[int, Inspection]:
    """The inspections office made from these entries, by id."""
    ids = [e.inspection_id for e in entries if e.inspection_id is not None]
    if not ids:
        return {}
    rows = db.session.scalars(select(Inspection).where(Inspection.id.in_(ids))
                              .options(selectinload(Inspection.inspector)))
    return {i.id: i for i in rows}


def get_entry_or_404(entry_id: int, user: User, action: str = "view") -> SubmissionEntry:
    """A list entry ``user`` may see and do ``action`` on (404 / 403; see :mod:`portal.schedule.permissions`)."""
    return authorise(user, db.session.get(SubmissionEntry, entry_id), action)


# --- scheduling and rescheduling (office) ----------------------------------------------------

def unscheduled_entries(week_start: date) -> list[SubmissionEntry]:
    """Entries of the week's submitted list that have no inspection yet."""
    submission = find_submission(week_start)
    if submission is None or submission.submitted_at is None:
        return []
    return [e for e in submission.entries if e.inspection_id is None]


def schedule_entry(entry: SubmissionEntry, inspector: User, day: date, slot: time, office: User,
                   now: datetime | None = None) -> Inspection:
    """Turn a listed project into an inspection: inspector, date and time slot; foreman and PM are told.

    Two office users giving the same inspector the same slot: the inspector's row is locked
    first, so the second one sees the first one's inspection and gets ``slot_taken``.
    """
    entry = _lock(SubmissionEntry, entry.id)
    if entry.inspection_id is not None:
        raise ScheduleError("already_scheduled", entry.project)
    if entry.submission.submitted_at is None:
        raise ScheduleError("not_submitted")
    if not (inspector.active and inspector.has_role(Role.INSPECTOR)):
        raise ScheduleError("not_inspector")
    if rules.slot_start(day, slot) < (now or local_now()):
        raise ScheduleError("date_past")
    _claim_slot(inspector, day, slot)
    try:
        inspection = create_inspection(entry.project, day, inspector, office)
    except InspectionError as exc:
        raise ScheduleError(exc.code, entry.project) from exc
    inspection.scheduled_time = slot
    entry.inspection_id = inspection.id
    db.session.flush()
    _notify_scheduled(inspection)
    return inspection


def reschedule(inspection: Inspection, day: date, slot: time, reason: str, user: User,
               now: datetime | None = None) -> bool:
    """Move an inspection not yet started to another date and slot. Returns True for a late change.

    Later than 24 hours before the original slot it needs a reason and the inspection is
    flagged ``late_change`` (for good). Every move is logged as an InspectionEvent
    ``rescheduled`` with detail ``"YYYY-MM-DD HH:MM → YYYY-MM-DD HH:MM"`` and `` · reason``.
    """
    now = now or local_now()
    inspection = _lock(Inspection, inspection.id)
    if inspection.is_started:
        raise ScheduleError("started")
    if (inspection.scheduled_date, inspection.scheduled_time) == (day, slot):
        raise ScheduleError("unchanged")
    if rules.slot_start(day, slot) < now:
        raise ScheduleError("date_past")
    late = rules.is_late_change(rules.slot_start(inspection.scheduled_date, inspection.scheduled_time), now)
    reason = reason.strip()[:REASON_MAX]
    if late and not reason:
        raise ScheduleError("late_reason_required")
    _claim_slot(inspection.inspector, day, slot, exclude_id=inspection.id)
    detail = f"{slot_text(inspection.scheduled_date, inspection.scheduled_time)} → {slot_text(day, slot)}"
    inspection.scheduled_date, inspection.scheduled_time = day, slot
    inspection.late_change = inspection.late_change or late
    _move_agreed_reinspection_date(inspection, day)
    db.session.add(InspectionEvent(inspection_id=inspection.id, user_id=user.id, kind="rescheduled",
                                   detail=f"{detail} · {reason}" if reason else detail))
    db.session.flush()
    _notify_rescheduled(inspection, late)
    return late


def _move_agreed_reinspection_date(inspection: Inspection, day: date) -> None:
    """A moved reinspection moves the date agreed on its rectification notice too."""
    notice = db.session.scalar(select(RectificationNotice).where(RectificationNotice.reinspection_id == inspection.id))
    if notice is not None:
        notice.reinspection_date = day


def slot_taken(inspector_id: int, day: date, slot: time | None, exclude_id: int | None = None) -> Inspection | None:
    """The inspector's other inspection at exactly that date and time, if any."""
    if slot is None:
        return None
    query = select(Inspection).where(Inspection.inspector_id == inspector_id, Inspection.scheduled_date == day,
                                     Inspection.scheduled_time == slot)
    if exclude_id is not None:
        query = query.where(Inspection.id != exclude_id)
    return db.session.scalar(query.limit(1))


def _claim_slot(inspector: User, day: date, slot: time, exclude_id: int | None = None) -> None:
    """Lock the inspector's row (PostgreSQL; SQLite serialises writers), then check the slot is free."""
    db.session.execute(select(User.id).where(User.id == inspector.id).with_for_update())
    other = slot_taken(inspector.id, day, slot, exclude_id)
    if other is not None:
        raise ScheduleError("slot_taken", other)


def _lock(model, row_id: int):
    """Re-read a row FOR UPDATE, so two office users act one after the other."""
    return db.session.scalar(select(model).where(model.id == row_id).with_for_update()
                             .execution_options(populate_existing=True))


def slot_text(day: date, slot: time | None) -> str:
    """``2026-11-26 09:00``, or only the date without a slot."""
    return f"{day.isoformat()} {slot:%H:%M}" if slot else day.isoformat()


# --- week views ------------------------------------------------------------------------------

def week_inspections(week_start: date, inspector: User | None = None) -> list[Inspection]:
    """Every inspection of the week (first rounds and reinspections), by day and time."""
    query = (select(Inspection)
             .where(Inspection.scheduled_date >= week_start, Inspection.scheduled_date < week_start + timedelta(days=7))
             .options(selectinload(Inspection.project).selectinload(Project.foreman),
                      selectinload(Inspection.project).selectinload(Project.project_manager),
                      selectinload(Inspection.inspector)))
    if inspector is not None:
        query = query.where(Inspection.inspector_id == inspector.id)
    return sorted(db.session.scalars(query), key=_schedule_order)


def by_day(inspections: list[Inspection], week_start: date) -> list[tuple[date, list[Inspection]]]:
    """The seven days of the week, each with its inspections."""
    return [(day, [i for i in inspections if i.scheduled_date == day]) for day in rules.week_days(week_start)]


def _schedule_order(inspection: Inspection):
    return inspection.scheduled_date, inspection.scheduled_time or time.min, inspection.id


# --- notifications ---------------------------------------------------------------------------

def _notify_submitted(submission: WeeklySubmission) -> None:
    """Office: the list for a week arrived (late or not)."""
    count, start = len(submission.entries), submission.week_start.isoformat()
    notify(users_with_role(Role.OFFICE), "schedule_submitted",
           lambda: (_("The pre-acceptance list for the week of %(date)s arrived late: %(n)s projects.", date=start, n=count)
                    if submission.late else
                    _("The pre-acceptance list for the week of %(date)s arrived: %(n)s projects.", date=start, n=count)),
           path_for("schedule.week", start=start))


def _notify_scheduled(inspection: Inspection) -> None:
    """Foreman and project manager: date, time and inspector of the pre-acceptance."""
    project = inspection.project
    when = slot_text(inspection.scheduled_date, inspection.scheduled_time)
    notify([project.foreman, project.project_manager], "inspection_scheduled", lambda: _(
        "Pre-acceptance of %(contract)s (round %(round)s) is scheduled for %(when)s with %(inspector)s.",
        contract=project.contract_no, round=inspection.round, when=when, inspector=inspection.inspector.display_name),
        path_for("projects.detail", project_id=project.id))


def _notify_rescheduled(inspection: Inspection, late: bool) -> None:
    """Foreman, project manager and the inspector: the new date and time."""
    project = inspection.project
    when = slot_text(inspection.scheduled_date, inspection.scheduled_time)
    notify([project.foreman, project.project_manager, inspection.inspector], "inspection_rescheduled",
           lambda: (_("Late change: the pre-acceptance of %(contract)s (round %(round)s) moved to %(when)s.",
                      contract=project.contract_no, round=inspection.round, when=when) if late else
                    _("The pre-acceptance of %(contract)s (round %(round)s) moved to %(when)s.",
                      contract=project.contract_no, round=inspection.round, when=when)),
           path_for("projects.detail", project_id=project.id))


def _stored(moment: datetime) -> datetime:
    """An aware (or naive company-local) time as stored: naive UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=COMPANY_TZ)
    return aware.astimezone(timezone.utc).replace(tzinfo=None)
