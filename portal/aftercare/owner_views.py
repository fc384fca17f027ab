"""The owner's page: no account, a signed revocable link (QR code on the pass certificate and
the warranty card).

The owner sees the inspection result and the pass certificate, the concealed-works photos (the
archive that replaces the disc, 000 办理保修流程 刻录隐蔽工程照片) from the pass on; after the
handover also the warranty card, and he files and follows repair requests. Every URL carries the token; whatever id follows it
must belong to the link's project, else 404. Rate limited per address.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.aftercare import owner_links, repair_requests, services
from portal.aftercare.forms import RepairForm
from portal.aftercare.messages import error_text
from portal.aftercare.models import RepairPhoto, RepairRequest
from portal.aftercare.views import file_with_photos, send_repair_photo, send_stored_pdf
from portal.errors import render_error
from portal.extensions import db, limiter
from portal.inspections.models import Inspection
from portal.photos import archive
from portal.photos.models import ConcealedWorksRecord
from portal.photos.services import record_photos
from portal.storage import get_storage

bp = Blueprint("owner", __name__, url_prefix="/owner")

OWNER_LIMIT = "30 per minute"
FILING_LIMIT = "10 per hour"


@bp.after_request
def _not_cached(response):
    """The owner's pages are personal though nobody is logged in: no shared phone or proxy keeps them."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def owner_link_or_404(token: str):
    """The active link of ``token`` (404 for unknown, 410 for revoked or expired, with the reason)."""
    link, state = owner_links.resolve_owner_link(token[:300])
    if link is None:
        abort(404)
    if state != "active":
        abort(Response(render_template("aftercare/owner_dead.html", state=state), 410))
    g.owner_token = token
    return link


def _project_repair_or_404(link, repair_id: int) -> RepairRequest:
    repair = db.session.get(RepairRequest, repair_id)
    if repair is None or repair.project_id != link.project_id:
        abort(404)
    return repair


@bp.get("/<token>")
@limiter.limit(OWNER_LIMIT)
def page(token: str):
    """The owner's page."""
    link = owner_link_or_404(token)
    return _page(link, RepairForm(formdata=None))


def _page(link, form: RepairForm, status: int = 200, error: str | None = None):
    project = link.project
    inspection = db.session.scalar(select(Inspection).where(Inspection.project_id == project.id,
                                                            Inspection.passed.is_(True))
                                   .order_by(Inspection.finished_at.desc()).limit(1))
    record = db.session.scalar(select(ConcealedWorksRecord).where(ConcealedWorksRecord.project_id == project.id))
    return render_template(
        "aftercare/owner.html", project=project, token=link_token(), acceptance=services.acceptance_of(project),
        inspection=inspection, certificate=owner_links.valid_certificate(project),
        photo_count=len(record_photos(record)) if record else 0, repairs=repair_requests.project_repairs(project),
        form=form, error=error), status


def link_token() -> str:
    """The token of this request's link (for the page's own URLs)."""
    return g.owner_token


@bp.post("/<token>/repairs")
@limiter.limit(FILING_LIMIT)
def file_repair(token: str):
    """The owner files a repair request, with up to 6 photos (all stored, or none)."""
    link = owner_link_or_404(token)
    form = RepairForm()
    acceptance = services.acceptance_of(link.project)
    if acceptance is None or not acceptance.is_handed_over:  # repairs start with the warranty, at handover
        return _page(link, form, 409, error_text("not_handed_over"))
    if not form.validate():
        return _page(link, form, 422)
    repair, error = file_with_photos(link.project, form, "owner_page")
    if repair is None:
        return _page(link, form, 422, error)
    return redirect(url_for("owner.repair", token=token, repair_id=repair.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def photos_too_large(_error):
    """A repair request over the request limit: the owner's page again, saying the photos are too large
    together (413).

    The body was refused unread, so there is no form data to show again; nothing was stored. Any
    other endpoint of the blueprint gets the portal's usual 413.
    """
    if request.endpoint != "owner.file_repair":
        return render_error(413)
    try:
        link = owner_link_or_404(request.view_args["token"])
    except HTTPException as refused:  # an error handler's own abort() would not be handled again
        return refused.response if refused.response is not None else render_error(refused.code or 404)
    return _page(link, RepairForm(formdata=None), 413, error_text("photos_too_large"))


@bp.get("/<token>/repairs/<int:repair_id>")
@limiter.limit(OWNER_LIMIT)
def repair(token: str, repair_id: int):
    """One of the project's repair requests: where it stands."""
    link = owner_link_or_404(token)
    item = _project_repair_or_404(link, repair_id)
    return render_template("aftercare/owner_repair.html", project=link.project, token=token, repair=item,
                           steps=repair_requests.repair_clock(item), photos=repair_requests.repair_photos(item))


@bp.get("/<token>/repair-photos/<int:photo_id>")
@limiter.limit(OWNER_LIMIT)
def repair_photo(token: str, photo_id: int):
    """A photo the owner sent (only of this project)."""
    link = owner_link_or_404(token)
    photo = db.session.get(RepairPhoto, photo_id)
    if photo is None:
        abort(404)
    _project_repair_or_404(link, photo.repair_id)
    return send_repair_photo(photo)


@bp.get("/<token>/warranty-card.pdf")
@limiter.limit(OWNER_LIMIT)
def card(token: str):
    """The warranty card."""
    link = owner_link_or_404(token)
    acceptance = services.acceptance_of(link.project)
    if acceptance is None:
        abort(404)
    return send_stored_pdf(acceptance.card_pdf_key, f"warranty-{acceptance.card_number}.pdf")


@bp.get("/<token>/certificate.pdf")
@limiter.limit(OWNER_LIMIT)
def certificate(token: str):
    """The valid pass certificate as issued."""
    link = owner_link_or_404(token)
    found = owner_links.valid_certificate(link.project)
    if found is None:
        abort(404)
    return send_stored_pdf(found.pdf_key, f"{found.number}.pdf")


@bp.get("/<token>/concealed.zip")
@limiter.limit("5 per hour")
def concealed(token: str):
    """The concealed-works photos as a ZIP (originals, index.html, CSV)."""
    link = owner_link_or_404(token)
    project = link.project
    record = db.session.scalar(select(ConcealedWorksRecord).where(ConcealedWorksRecord.project_id == project.id))
    photos = record_photos(record) if record else []
    title = _("Concealed works %(no)s · %(address)s", no=project.contract_no, address=project.address)
    response = Response(stream_with_context(archive.stream_archive(photos, get_storage(), title)),
                        mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="concealed-{project.contract_no}.zip"'
    response.headers["Cache-Control"] = "no-store"
    return response


