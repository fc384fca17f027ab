"""Notices: the foreman's list and rework, office scheduling, the printable PDF."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from portal import transaction
from portal.auth.models import User
from portal.auth.permissions import authorise
from portal.auth.roles import Role
from portal.auth.services import users_with_role
from portal.auth.sessions import permission_required
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.photos.models import Photo
from portal.photos.services import PhotoTarget
from portal.photos.uploads import receive_upload, upload_error
from portal.plans.services import labelled_item_pins
from portal.rectification import messages, services
from portal.rectification.forms import RectifiedForm, ScheduleReinspectionForm
from portal.rectification.models import OPEN_NOTICE_STATES, NoticeItem, NoticeStatus, RectificationNotice
from portal.rectification.pdf import render_notice_pdf
from portal.timeutil import local_today

bp = Blueprint("rectification", __name__, url_prefix="/notices")


@bp.app_context_processor
def notice_helpers() -> dict:
    """Deadline helpers for the notice templates; the notice defaults offered when an inspection fails."""
    return {"notice_overdue": services.is_overdue, "items_left": services.items_left,
            "notice_error_text": messages.error_text,
            "default_notice": lambda summary: services.default_notice_input([a.item for a in summary.failed])}


@bp.get("/mine")
@permission_required("my_notices")
def my_notices():
    """Home of foremen and project managers: their open notices by deadline; overdue ones stand out."""
    return render_template("rectification/my_notices.html", notices=services.my_open_notices(current_user),
                           today=local_today())


@bp.get("/")
@permission_required("notices")
def index():
    """Office and inspectors: every open notice (or all, with ?all=1), by deadline."""
    query = select(RectificationNotice).order_by(RectificationNotice.deadline, RectificationNotice.id)
    if not request.args.get("all"):
        query = query.where(RectificationNotice.status.in_(OPEN_NOTICE_STATES))
    notices = db.session.scalars(query.limit(500)).all()
    return render_template("rectification/index.html", notices=notices, today=local_today(),
                           show_all=bool(request.args.get("all")))


@bp.get("/<int:notice_id>")
@login_required
def notice(notice_id: int):
    """The notice: failed items with findings, photos, required fixes, rework and reinspection."""
    return _notice_page(services.get_notice_or_404(notice_id, current_user))


def _notice_page(notice: RectificationNotice, status: int = 200, error: str | None = None,
                 schedule_form: ScheduleReinspectionForm | None = None):
    before = _photos(Photo.inspection_id == notice.inspection_id, Photo.item_id.in_([i.item_id for i in notice.items]),
                     key=lambda p: p.item_id)
    after = _photos(Photo.notice_item_id.in_([i.id for i in notice.items]), key=lambda p: p.notice_item_id)
    form = schedule_form or ScheduleReinspectionForm(data={"scheduled_date": notice.reinspection_date,
                                                           "inspector_id": notice.inspector_id})
    form.inspector_id.choices = [SelectChoice(u.id, u.display_name) for u in users_with_role(Role.INSPECTOR)]
    pinned = labelled_item_pins(notice.inspection_id, {i.item_id: str(i.position) for i in notice.items})
    return render_template(
        "rectification/notice.html", notice=notice, before=before, after=after, error=error, pinned=pinned,
        pinned_items={label for plan in pinned for _x, _y, label in plan.pins},
        can_rework=services.can_rework(notice, current_user),
        reinspection=db.session.get(Inspection, notice.reinspection_id) if notice.reinspection_id else None,
        schedule_form=form, rectified_form=RectifiedForm(), today=local_today(),
        photo_required={i.id: services.photo_required(i) for i in notice.items}), status


def _photos(*conditions, key) -> dict[int, list[Photo]]:
    grouped: dict[int, list[Photo]] = {}
    for photo in db.session.scalars(select(Photo).where(*conditions, Photo.deleted_at.is_(None)).order_by(Photo.id)):
        grouped.setdefault(key(photo), []).append(photo)
    return grouped


def _rework_item(notice_id: int, item_id: int) -> tuple[RectificationNotice, NoticeItem]:
    """Load notice and item for the foreman's or PM's rework (404 if not theirs to see, 403 if not theirs to do)."""
    notice = services.get_notice_or_404(notice_id, current_user)
    item = db.session.scalar(select(NoticeItem).where(NoticeItem.id == item_id, NoticeItem.notice_id == notice.id))
    if item is None:
        abort(404)
    authorise(current_user, notice, "rework")
    return notice, item


@bp.post("/<int:notice_id>/items/<int:item_id>/photos")
@login_required
def upload_after_photo(notice_id: int, item_id: int):
    """An "after" photo of a rectified item (same upload queue as every photo)."""
    notice, item = _rework_item(notice_id, item_id)
    if notice.status != NoticeStatus.OPEN.value:
        return upload_error("locked", 409)
    return receive_upload(PhotoTarget(project=notice.project, notice_item_id=item.id, location=item.item_text[:100]))


@bp.post("/<int:notice_id>/items/<int:item_id>/rectified")
@login_required
def mark_rectified(notice_id: int, item_id: int):
    """The foreman reports one item fixed."""
    notice, item = _rework_item(notice_id, item_id)
    form = RectifiedForm()
    if not form.validate_on_submit():
        return _notice_page(notice, 422, error=_("The note is too long."))
    try:
        with transaction.savepoint():
            services.mark_rectified(item, current_user, form.note.data or "")
    except services.NoticeError as exc:
        return _notice_page(notice, 422 if exc.code == "photo_required" else 409, error=messages.error_text(exc))
    flash(_("Item marked as rectified."), "success")
    return redirect(url_for("rectification.notice", notice_id=notice.id, _anchor=f"item-{item.id}"))


@bp.post("/<int:notice_id>/request-reinspection")
@login_required
def request_reinspection(notice_id: int):
    """Ask the office for the reinspection (once; asking again changes nothing)."""
    notice = services.get_notice_or_404(notice_id, current_user, "rework")
    try:
        with transaction.savepoint():
            asked = services.request_reinspection(notice, current_user)
    except services.NoticeError as exc:
        return _notice_page(notice, 422, error=messages.error_text(exc))
    flash(_("Reinspection requested.") if asked else _("The reinspection was requested already."), "success")
    return redirect(url_for("rectification.notice", notice_id=notice.id))


@bp.post("/<int:notice_id>/reinspection")
@permission_required("notices", "schedule_reinspection")
def schedule_reinspection(notice_id: int):
    """Office schedules the next round on the same checklist version."""
    notice = services.get_notice_or_404(notice_id, current_user, "schedule_reinspection")
    form = ScheduleReinspectionForm()
    form.inspector_id.choices = [SelectChoice(u.id, u.display_name) for u in users_with_role(Role.INSPECTOR)]
    if not form.validate_on_submit():
        return _notice_page(notice, 422, schedule_form=form)
    try:
        with transaction.savepoint():
            inspection = services.schedule_reinspection(notice, form.scheduled_date.data,
                                                        db.session.get(User, form.inspector_id.data), current_user)
    except services.NoticeError as exc:
        return _notice_page(notice, 409 if exc.code in ("already_scheduled", "not_open") else 422,
                            error=messages.error_text(exc), schedule_form=form)
    flash(_("Reinspection scheduled."), "success")
    return redirect(url_for("inspections.detail", inspection_id=inspection.id))


@bp.get("/<int:notice_id>/pdf")
@login_required
def pdf(notice_id: int):
    """The printable notice: two copies (office/inspector and project manager), A4, Chinese fonts embedded."""
    notice = services.get_notice_or_404(notice_id, current_user)
    response = Response(render_notice_pdf(notice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
