"""Floor plans of a project: list and upload, the plan image, the original file."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal import transaction
from portal.auth.permissions import authorise
from portal.errors import render_error
from portal.photos.models import Photo
from portal.photos.services import get_photo_or_404
from portal.plans import services
from portal.plans.forms import PlanUploadForm
from portal.plans.imaging import PlanRejected
from portal.plans.messages import rejection_text
from portal.plans.pinning import pin_page, receive_pin
from portal.projects.services import get_project_or_404
from portal.storage import StorageError, discard, get_storage

bp = Blueprint("plans", __name__)

MIMETYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@bp.get("/projects/<int:project_id>/plans")
@login_required
def index(project_id: int):
    """The project's floor plans, and the upload form for office, engineering and inspectors."""
    project = get_project_or_404(project_id, current_user)
    return _plans_page(project)


def _plans_page(project, form: PlanUploadForm | None = None, error: str | None = None, status: int = 200):
    plans = services.project_plans(project.id)
    return render_template("plans/index.html", project=project, plans=plans,
                           concealed=services.concealed_pins(plans),
                           form=form or PlanUploadForm(), error=error,
                           can_upload=services.can_upload_plan(project, current_user)), status


@bp.post("/projects/<int:project_id>/plans")
@login_required
def upload(project_id: int):
    """Store an uploaded plan (a PDF's first page becomes the image); a bad file is a 422, nothing kept."""
    project = get_project_or_404(project_id, current_user, "upload_plan")
    form = PlanUploadForm()
    if not form.validate_on_submit():
        return _plans_page(project, form, status=422)
    storage = get_storage()
    try:
        with transaction.savepoint():
            plan, written = services.store_plan(project, form.title.data.strip(), form.file.data.read(),
                                                current_user, storage)
    except PlanRejected as exc:
        return _plans_page(project, form, rejection_text(exc.code), 422)
    except StorageError:
        current_app.logger.exception("plan storage failed")
        return _plans_page(project, form, rejection_text("storage"), 507)
    try:
        transaction.commit_now("the plan's files are written already")
    except BaseException:
        discard(storage, written)
        raise
    flash(_("Plan “%(title)s” added.", title=plan.title), "success")
    return redirect(url_for("plans.index", project_id=project.id, _anchor=f"plan-{plan.id}"), 303)


@bp.errorhandler(RequestEntityTooLarge)
def plan_too_large(_error):
    """A plan over the request limit: the upload form again, saying the plan is too large (422).

    The body was refused unread, so there is no form data to show again; nothing was stored.
    Any other endpoint of the blueprint gets the portal's usual 413.
    """
    if request.endpoint != "plans.upload" or not current_user.is_authenticated:
        return render_error(413)
    try:
        project = get_project_or_404(request.view_args["project_id"], current_user, "upload_plan")
    except HTTPException as refused:  # an error handler's own abort() would not be handled again
        return render_error(refused.code or 404)
    return _plans_page(project, PlanUploadForm(formdata=None), rejection_text("too_large"), 422)


@bp.route("/photos/<photo_uuid>/pin", methods=["GET", "POST"])
@login_required
def photo_pin(photo_uuid: str):
    """Tap where on the floor plan a concealed-works photo was taken (GET: the plan; POST: the pin)."""
    photo = _pinnable_photo(photo_uuid)
    if request.method == "POST":
        return receive_pin(photo.project, photo_id=photo.id)
    title = " · ".join(part for part in (photo.system_label, photo.location) if part)
    return pin_page(photo.project, services.photo_pins([photo.id]).get(photo.id),
                    url_for("plans.photo_pin", photo_uuid=photo.uuid), title,
                    url_for("photos.concealed", project_id=photo.project_id, _anchor=f"photo-{photo.uuid}"),
                    photo_id=photo.id)


def _pinnable_photo(photo_uuid: str) -> Photo:
    """A concealed-works photo the user sees (404 otherwise) and may pin (403 otherwise)."""
    photo = get_photo_or_404(photo_uuid, current_user)
    if photo.record_id is None:  # checklist photos are pinned with their item
        abort(404)
    authorise(current_user, photo.project, "pin")
    return photo


@bp.get("/plans/<int:plan_id>/image")
@login_required
def image(plan_id: int):
    """The plan image pins are placed on."""
    plan = services.get_plan_or_404(plan_id, current_user)
    return _send(plan.image_key, "image/jpeg", f"plan-{plan.id}.jpg")


@bp.get("/plans/<int:plan_id>/original")
@login_required
def original(plan_id: int):
    """The uploaded file as it was (PDF or image)."""
    plan = services.get_plan_or_404(plan_id, current_user)
    extension = plan.original_key.rsplit(".", 1)[-1]
    return _send(plan.original_key, MIMETYPES.get(extension, "application/octet-stream"), f"plan-{plan.id}.{extension}")


def _send(key: str, mimetype: str, name: str):
    try:
        handle = get_storage().open(key)
    except (OSError, ValueError):
        abort(404)
    response = send_file(handle, mimetype=mimetype, download_name=name, conditional=True,
                         max_age=timedelta(days=30).total_seconds())
    response.cache_control.private = True
    response.cache_control.public = False
    response.cache_control.immutable = True
    return response
