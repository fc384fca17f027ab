"""Concealed-works photo uploads and closure tests, serving and deleting photos, the owner's archive."""
from __future__ import annotations

from datetime import timedelta, timezone

from flask import (
    Blueprint, Response, abort, flash, redirect, render_template, request, send_file, stream_with_context, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from portal.auth.permissions import authorise
from portal.extensions import db
from portal.fieldsync.actions import field_action, report_phone_clock
from portal.photos import archive, services
from portal.photos.forms import ROOMS, ClosureEndForm, ClosureStartForm, ConcealedPhotoForm, DeletePhotoForm, FinishRecordForm
from portal.photos.locks import closure_locked, markup_locked, photo_locked, record_locked
from portal.photos.marking import receive_markup
from portal.photos.messages import colour_names, rejection_text
from portal.photos.models import ClosureTest, Photo, System
from portal.photos.rules import closure_end_error
from portal.photos.uploads import receive_upload, upload_error
from portal.projects.services import get_project_or_404
from portal.storage import get_storage
from portal.timeutil import COMPANY_TZ, local_now, to_local, utcnow
from portal.web import safe_next_url

bp = Blueprint("photos", __name__)


# --- uploading ------------------------------------------------------------------------------

@bp.post("/projects/<int:project_id>/concealed/photos")
@login_required
def upload_concealed_photo(project_id: int):
    """A concealed-works photo, tagged with system, room, stage (and closure test)."""
    project = get_project_or_404(project_id, current_user)
    if not services.can_upload_concealed(project, current_user):
        return upload_error("not_allowed", 403)
    record = services.concealed_record(project)
    if record_locked(record):
        return upload_error("locked", 409)
    form = _concealed_form(record)
    if not form.validate():
        return render_template("photos/_upload_error.html",
                               message=" ".join(e for errors in form.errors.values() for e in errors)), 422
    closure = next((t for t in _closure_tests(record) if t.id == form.closure_test_id.data), None)
    if closure is not None and closure_locked(closure):
        return upload_error("locked", 409)
    return receive_upload(services.PhotoTarget(
        project=project, record=record, closure_test=closure, system=form.system.data,
        location=form.location.data.strip(), stage=form.stage.data, note=(form.note.data or "").strip()))


def _concealed_form(record, formdata=None) -> ConcealedPhotoForm:
    form = ConcealedPhotoForm(formdata=formdata) if formdata is not None else ConcealedPhotoForm()
    form.closure_test_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(t.id, f"{t.location} · {to_local(t.started_at):%m-%d %H:%M}") for t in _closure_tests(record)]
    return form


def _closure_tests(record) -> list[ClosureTest]:
    return list(db.session.scalars(select(ClosureTest).where(ClosureTest.record_id == record.id)
                                   .order_by(ClosureTest.started_at)))


# --- serving and deleting -------------------------------------------------------------------

@bp.get("/photos/<photo_uuid>/<variant>")
@login_required
def serve(photo_uuid: str, variant: str):
    """One version of a photo, to users who may see its project (originals: office, inspectors).

    Display version and thumbnail show the newest markup burned in; they change when somebody
    draws, so the browser revalidates them (ETag). The original and the unmarked display
    version ("plain") never change.
    """
    photo = services.get_photo_or_404(photo_uuid, current_user, variant)
    marked = services.latest_markup(photo) if variant in ("display", "thumb") else None
    storage = get_storage()
    key = services.key_for(photo, variant, marked)
    try:
        handle = storage.open(key)
    except (OSError, ValueError):
        abort(404)
    mimetype = "image/jpeg" if variant != "original" else {"PNG": "image/png", "WEBP": "image/webp",
                                                            "HEIF": "image/heic"}.get(photo.format, "image/jpeg")
    changes = variant in ("display", "thumb")
    response = send_file(handle, mimetype=mimetype, conditional=True,
                         etag=f"{photo.sha256}-{variant}-m{marked.version if marked else 0}",
                         max_age=None if changes else timedelta(days=30).total_seconds(),
                         download_name=f"{photo.uuid}-{variant}.{key.rsplit('.', 1)[-1]}")
    response.cache_control.private = True
    response.cache_control.public = False
    if changes:
        response.cache_control.no_cache = True
    else:
        response.cache_control.immutable = True
    return response


# --- markup ---------------------------------------------------------------------------------

@bp.get("/photos/<photo_uuid>/markup")
@login_required
def markup_editor(photo_uuid: str):
    """Draw on a photo with the fingers: arrows, ellipses, rectangles, lines, texts; earlier versions."""
    photo = _markable_photo(photo_uuid)
    # A signed record shows this markup: the photo as signed, its versions, and why it stays so.
    locked = rejection_text("markup_locked") if markup_locked(photo) else None
    latest = services.latest_markup(photo)
    back = safe_next_url(request.args.get("next"))
    return render_template("photos/markup.html", photo=photo, latest=latest, back=back, locked=locked,
                           history=services.markup_history(photo), colours=colour_names())


@bp.post("/photos/<photo_uuid>/markup")
@login_required
def save_markup(photo_uuid: str):
    """Store the drawn markup as the photo's next version (same client id again: the same version)."""
    return receive_markup(_markable_photo(photo_uuid))


def _markable_photo(photo_uuid: str) -> Photo:
    """A photo the user sees (404 otherwise) and may draw on (403 otherwise)."""
    photo = services.get_photo_or_404(photo_uuid, current_user)
    return authorise(current_user, photo, "markup")


@bp.post("/photos/<photo_uuid>/delete")
@login_required
@field_action
def delete(photo_uuid: str):
    """Soft delete with a reason; only while the record or inspection is open."""
    photo = services.get_photo_or_404(photo_uuid, current_user)
    form = DeletePhotoForm()
    if not form.validate_on_submit():
        return upload_error("reason_required", 422)
    try:
        services.soft_delete(photo, current_user, form.reason.data, locked=photo_locked(photo))
    except services.PhotoError as exc:
        return upload_error(exc.code, 403 if exc.code == "not_yours" else 409)
    report_phone_clock(photo)
    if request.headers.get("HX-Request"):
        return "", 200
    flash(_("Photo deleted."), "success")
    return redirect(request.referrer or url_for("home.index"))


# --- the concealed-works record -------------------------------------------------------------

@bp.get("/projects/<int:project_id>/concealed")
@login_required
def concealed(project_id: int):
    """The record: upload form, gallery by system and room, closure tests."""
    project = get_project_or_404(project_id, current_user)
    record = services.concealed_record(project)  # created on first visit
    return _concealed_page(project, record)


def _concealed_page(project, record, status: int = 200, **forms):
    photos = services.record_photos(record)
    groups: dict[str, dict[str, list[Photo]]] = {}
    for photo in photos:
        groups.setdefault(photo.system_label or "—", {}).setdefault(photo.location or "—", []).append(photo)
    now = local_now().replace(tzinfo=None, second=0, microsecond=0)
    context = {
        "project": project, "record": record, "groups": groups, "photo_count": len(photos), "rooms": ROOMS,
        "tests": _closure_tests(record), "can_upload": services.can_upload_concealed(project, current_user),
        "upload_form": forms.get("upload_form") or _concealed_form(record),
        "start_form": forms.get("start_form") or ClosureStartForm(data={"started_at": now}),
        "end_form": forms.get("end_form") or ClosureEndForm(data={"ended_at": now}),
        "finish_form": forms.get("finish_form") or FinishRecordForm(),
        "systems": list(System), "locked": record_locked(record),
    }
    return render_template("photos/concealed.html", **context), status


@bp.post("/projects/<int:project_id>/concealed/closure-tests")
@login_required
def start_closure_test(project_id: int):
    """Record the start of a 24-hour closure test."""
    project, record = _editable_record(project_id)
    form = ClosureStartForm()
    if not form.validate_on_submit():
        return _concealed_page(project, record, 422, start_form=form)
    db.session.add(ClosureTest(record_id=record.id, location=form.location.data.strip(),
                               started_at=_utc(form.started_at.data), created_by_id=current_user.id))
    flash(_("Closure test started."), "success")
    return redirect(url_for("photos.concealed", project_id=project.id, _anchor="closure-tests"))


@bp.post("/projects/<int:project_id>/concealed/closure-tests/<int:test_id>")
@login_required
def end_closure_test(project_id: int, test_id: int):
    """Record the end and result of a closure test (at least 24 hours after its start)."""
    project, record = _editable_record(project_id)
    test = db.session.scalar(select(ClosureTest).where(ClosureTest.id == test_id, ClosureTest.record_id == record.id))
    if test is None:
        abort(404)
    if closure_locked(test) or test.ended_at is not None:
        abort(409)  # a recorded result is evidence: it is not overwritten
    form = ClosureEndForm()
    if form.validate_on_submit():
        ended = _utc(form.ended_at.data)
        refusal = closure_end_error(test.started_at, ended, utcnow())
        if refusal == "future":
            form.ended_at.errors = [_("The end of the closure test cannot be in the future.")]
        elif refusal == "too_short":
            form.ended_at.errors = [_("The closure test must last at least 24 hours (started %(start)s).",
                                      start=f"{to_local(test.started_at):%Y-%m-%d %H:%M}")]
        else:
            test.ended_at, test.leak, test.note = ended, form.result.data == "leak", (form.note.data or "").strip()
            flash(_("Closure test result recorded."), "success")
            return redirect(url_for("photos.concealed", project_id=project.id, _anchor="closure-tests"))
    return _concealed_page(project, record, 422, end_form=form)


@bp.post("/projects/<int:project_id>/concealed/finish")
@login_required
def finish_record(project_id: int):
    """Office or an inspector declares the record complete: photos are then locked."""
    project, record = _editable_record(project_id)
    authorise(current_user, project, "finish_concealed")  # after the uploader and lock checks, as they answer first
    form = FinishRecordForm()
    if not form.validate_on_submit():
        return _concealed_page(project, record, 422, finish_form=form)
    record.finished_at, record.finished_by_id = utcnow(), current_user.id
    flash(_("Concealed-works record finished."), "success")
    return redirect(url_for("photos.concealed", project_id=project.id))


def _editable_record(project_id: int):
    """Load project and record for a change: uploaders only, and only while the record is open."""
    project = get_project_or_404(project_id, current_user, "upload_concealed")
    record = services.concealed_record(project)
    if record_locked(record):
        abort(409)
    return project, record


def _utc(local_naive):
    """A datetime typed in company time, as stored (UTC, naive)."""
    return local_naive.replace(tzinfo=COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)


@bp.get("/projects/<int:project_id>/concealed/archive.zip")
@login_required
def owner_archive(project_id: int):
    """All concealed-works photos of the project as a ZIP for the owner (office)."""
    project = get_project_or_404(project_id, current_user, "download_archive")
    record = services.concealed_record(project)
    photos = services.record_photos(record)
    title = _("Concealed works %(no)s · %(address)s", no=project.contract_no, address=project.address)
    # stream_with_context: the generator runs after the view returns but still needs the request's
    # language for the folder names and the CSV.
    marked = {photo_id: row.display_key for photo_id, row in services.latest_markups([p.id for p in photos]).items()
              if row.shape_count}
    response = Response(stream_with_context(archive.stream_archive(photos, get_storage(), title, marked)),
                        mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="concealed-{project.contract_no}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response
