"""Notices from failed inspections, the foreman's rework, reinspection rounds, escalation.

Services flush; the request commits once, at its end (:mod:`portal.transaction`).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.checklists.models import ChecklistItem
from portal.extensions import db
from portal.inspections.models import Answer, Inspection, Outcome
from portal.inspections.services import NoticeInput
from portal.numbering import next_number
from portal.params import day_problem, latest_planned_day
from portal.penalties.models import Penalty, PenaltyKind
from portal.penalties.services import record_penalty
from portal.photos.models import Photo
from portal.projects.models import Project
from portal.rectification import notify
from portal.rectification.escalation import add_months, rules_for_round
from portal.rectification.models import OPEN_NOTICE_STATES, ItemState, NoticeItem, NoticeStatus, RectificationNotice
from portal.timeutil import local_today, utcnow


class NoticeError(Exception):
    """A request the notice's state does not allow; ``code`` names the rule, ``detail`` adds facts."""

    def __init__(self, code: str, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


def default_notice_input(failed_items, today: date | None = None) -> NoticeInput:
    """Deadline from configuration, reinspection the day after, each item's default fix."""
    today = today or local_today()
    deadline = today + timedelta(days=current_app.config["RECTIFICATION_DAYS"])
    return NoticeInput(deadline, deadline + timedelta(days=1), {i.id: i.default_fix for i in failed_items})


def validate_notice_input(data: NoticeInput, today: date | None = None) -> dict[str, str]:
    """Field errors: a deadline in the past, a reinspection before the deadline, empty fixes."""
    today = today or local_today()
    errors = {}
    if data.deadline < today:
        errors["deadline"] = _("The deadline cannot be in the past.")
    if data.reinspection_date < data.deadline:
        errors["reinspection_date"] = _("The reinspection cannot be before the deadline.")
    for name in ("deadline", "reinspection_date"):
        problem = day_problem(getattr(data, name), latest_planned_day(today))
        if problem and name not in errors:
            errors[name] = problem
    if any(not text.strip() for text in data.fixes.values()):
        errors["fixes"] = _("Write the required fix for every failed item.")
    return errors


# --- creating notices when an inspection fails ----------------------------------------------

def notice_number(day: date) -> str:
    """``ZG-20261122-001``: per day, sequential and unique even when two inspections finish at once."""
    return f"ZG-{day:%Y%m%d}-{next_number(f'ZG-{day:%Y%m%d}'):03d}"


def create_notice(inspection: Inspection, answers: list[Answer], data: NoticeInput) -> RectificationNotice:
    """The notice for a failed inspection: every failed item with its finding and required fix."""
    failed = [a for a in answers if a.outcome == Outcome.FAIL.value]
    notice = RectificationNotice(
        number=notice_number(local_today()), project_id=inspection.project_id, inspection_id=inspection.id,
        round=inspection.round, inspector_id=inspection.inspector_id, deadline=data.deadline,
        reinspection_date=data.reinspection_date)
    for position, answer in enumerate(failed, start=1):
        item = answer.item
        notice.items.append(NoticeItem(
            # The notice is a company document: its texts are the checklist's own (Chinese) wording,
            # whatever language the inspector's phone shows.
            item_id=item.id, position=position, category_title=item.category.title,
            item_text=item.text, measured_value=answer.value, limit_text=item.limit_text,
            finding=answer.note, required_fix=(data.fixes.get(item.id) or item.default_fix or "").strip()[:2000]))
    db.session.add(notice)
    db.session.flush()  # the id must exist before the older notices are superseded
    _supersede_previous(inspection.project_id, notice)
    db.session.flush()
    return notice


def _supersede_previous(project_id: int, notice: RectificationNotice) -> None:
    """A failed reinspection replaces the previous round's notice with this one."""
    for old in db.session.scalars(select(RectificationNotice).where(
            RectificationNotice.project_id == project_id, RectificationNotice.id != notice.id,
            RectificationNotice.status.in_(OPEN_NOTICE_STATES))):
        old.status = NoticeStatus.SUPERSEDED.value
        old.closed_at = utcnow()


def escalate(inspection: Inspection) -> list[Penalty]:
    """Record the round's penalties (see escalation.ESCALATION) against the project's foreman and PM."""
    project = inspection.project
    people = {"foreman": project.foreman, "project_manager": project.project_manager}
    today = local_today()
    penalties = []
    for rule in rules_for_round(inspection.round):
        person = people.get(rule.role)
        if person is None:
            continue
        penalties.append(record_penalty(
            person, rule.role, rule.kind, f"round_{inspection.round}_failed", inspection, amount=rule.amount,
            order_stop_until=add_months(today, rule.order_stop_months) if rule.order_stop_months else None))
    return penalties


def after_finish(inspection: Inspection, answers: list[Answer], data: NoticeInput | None) -> RectificationNotice | None:
    """Called when an inspection is finished: decide reinspected items, then notice and penalties, or close."""
    previous = _notice_reinspected_by(inspection)
    if previous is not None:
        _decide_items(previous, answers)
    if inspection.passed:
        if previous is not None:
            previous.status, previous.closed_at = NoticeStatus.CLOSED.value, utcnow()
        return None
    notice = create_notice(inspection, answers, data or default_notice_input(
        [a.item for a in answers if a.outcome == Outcome.FAIL.value]))
    escalate(inspection)
    notify.notice_created(notice)
    return notice


def withdraw_notices_of(inspection: Inspection) -> None:
    """Office reopened the inspection: its open notice is withdrawn; finishing again issues a new one.

    Penalties stay recorded (finishing again does not repeat them); office annuls them if the
    reopened inspection passes after all.
    """
    for notice in db.session.scalars(select(RectificationNotice).where(
            RectificationNotice.inspection_id == inspection.id)):
        if notice.is_open:
            notice.status, notice.closed_at = NoticeStatus.SUPERSEDED.value, utcnow()


def _notice_reinspected_by(inspection: Inspection) -> RectificationNotice | None:
    return db.session.scalar(select(RectificationNotice).where(RectificationNotice.reinspection_id == inspection.id))


def _decide_items(notice: RectificationNotice, answers: list[Answer]) -> None:
    """At the reinspection each notice item is accepted (passes now) or not accepted."""
    outcome_by_item = {a.item_id: a.outcome for a in answers}
    for item in notice.items:
        item.state = (ItemState.ACCEPTED.value if outcome_by_item.get(item.item_id) in (Outcome.PASS.value, Outcome.NA.value)
                      else ItemState.NOT_ACCEPTED.value)
        item.decided_at = utcnow()


# --- finding and authorising ----------------------------------------------------------------

def get_notice_or_404(notice_id: int, user: User, action: str = "view") -> RectificationNotice:
    """A notice of a project the user may see (404 otherwise), on which he may do ``action`` (403 otherwise)."""
    return authorise(user, db.session.get(RectificationNotice, notice_id), action)


def can_rework(notice: RectificationNotice, user: User) -> bool:
    """The project's foreman and project manager mark items rectified and ask for reinspection."""
    return can(user, notice, "rework")


def my_open_notices(user: User) -> list[RectificationNotice]:
    """Open notices of the user's projects (as foreman or PM), by deadline."""
    return list(db.session.scalars(
        select(RectificationNotice).join(Project)
        .where(or_(Project.foreman_id == user.id, Project.project_manager_id == user.id),
               RectificationNotice.status.in_(OPEN_NOTICE_STATES))
        .options(selectinload(RectificationNotice.items), selectinload(RectificationNotice.project))
        .order_by(RectificationNotice.deadline, RectificationNotice.id)))


def items_left(notice: RectificationNotice) -> int:
    """Items the foreman still has to mark rectified."""
    return sum(1 for item in notice.items if item.state == ItemState.OPEN.value)


def is_overdue(notice: RectificationNotice, today: date | None = None) -> bool:
    """The deadline passed and the rework is not reported done."""
    return notice.status == NoticeStatus.OPEN.value and notice.deadline < (today or local_today())


# --- the foreman's rework -------------------------------------------------------------------

def after_photo_count(item: NoticeItem) -> int:
    """"After" photos uploaded for a notice item."""
    return db.session.scalar(select(func.count()).select_from(Photo).where(
        Photo.notice_item_id == item.id, Photo.deleted_at.is_(None)))


def photo_required(item: NoticeItem) -> bool:
    """Items whose checklist item requires a photo need an "after" photo too."""
    return bool(db.session.get(ChecklistItem, item.item_id).photo_required_on_fail)


def mark_rectified(item: NoticeItem, user: User, note: str) -> None:
    """The foreman reports an item fixed (with its "after" photo where the item requires one)."""
    if item.notice.status != NoticeStatus.OPEN.value:
        raise NoticeError("not_open")
    if photo_required(item) and not after_photo_count(item):
        raise NoticeError("photo_required")
    item.state = ItemState.RECTIFIED.value
    item.rectified_at, item.rectified_by_id = utcnow(), user.id
    item.rectification_note = note.strip()[:2000]
    db.session.flush()


def request_reinspection(notice: RectificationNotice, user: User) -> bool:
    """Ask the office for the reinspection once every item is rectified; asking again changes nothing."""
    if notice.status != NoticeStatus.OPEN.value:
        return False
    open_items = [item for item in notice.items if item.state == ItemState.OPEN.value]
    if open_items:
        raise NoticeError("items_open", open_items)
    notice.status, notice.requested_at, notice.requested_by_id = NoticeStatus.REQUESTED.value, utcnow(), user.id
    db.session.flush()
    notify.reinspection_requested(notice)
    return True


# --- reinspection ---------------------------------------------------------------------------

def foreman_replaced(project: Project) -> bool:
    """The project's current foreman was ordered off this site (round 3 failed) and is still assigned."""
    return db.session.scalar(select(Penalty.id).where(
        Penalty.project_id == project.id, Penalty.person_id == project.foreman_id,
        Penalty.kind == PenaltyKind.REPLACEMENT.value, Penalty.annulled_at.is_(None))) is not None


def schedule_reinspection(notice: RectificationNotice, day: date, inspector: User, office: User) -> Inspection:
    """Office schedules round + 1 on the same template version, carrying over what passed."""
    if not notice.is_open or notice.reinspection_id is not None:
        raise NoticeError("already_scheduled" if notice.reinspection_id else "not_open")
    if foreman_replaced(notice.project):
        raise NoticeError("foreman_replaced")
    if day < local_today():
        raise NoticeError("date_past")
    previous = db.session.get(Inspection, notice.inspection_id)
    reinspection = Inspection(project_id=notice.project_id, template_id=previous.template_id, round=previous.round + 1,
                              scheduled_date=day, inspector_id=inspector.id, created_by_id=office.id)
    db.session.add(reinspection)
    db.session.flush()
    notice.reinspection_id = reinspection.id
    notice.status = NoticeStatus.SCHEDULED.value
    notify.reinspection_scheduled(notice, reinspection)
    return reinspection


def carried_outcomes(inspection: Inspection) -> dict[int, tuple[str, int]]:
    """For a reinspection: item id → (outcome, previous inspection id) of items that passed (or were N/A) before.

    Items on the notice are not carried: they must be checked again.
    """
    notice = db.session.scalar(select(RectificationNotice).where(RectificationNotice.reinspection_id == inspection.id))
    if notice is None:
        return {}
    on_notice = {item.item_id for item in notice.items}
    rows = db.session.execute(select(Answer.item_id, Answer.outcome).where(
        Answer.inspection_id == notice.inspection_id,
        Answer.outcome.in_([Outcome.PASS.value, Outcome.NA.value]))).all()
    return {item_id: (outcome, notice.inspection_id) for item_id, outcome in rows if item_id not in on_notice}


