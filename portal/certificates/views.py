"""Issuing, showing and revoking certificates (office), and the public verification page."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.auth.permissions import authorise
from portal.auth.sessions import permission_required
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import render_certificate_pdf
from portal.errors import InsufficientStorage
from portal.extensions import db, limiter
from portal.inspections.messages import grade_label
from portal.inspections.services import get_inspection_or_404
from portal.storage import Storage, StorageError, get_storage
from portal.timeutil import to_local

bp = Blueprint("certificates", __name__)

VERIFY_LIMIT = "20 per minute"


def error_text(code: str) -> str:
    """Why issuing or revoking was refused."""
    return {
        "not_finished": _("The inspection is not finished (or was reopened)."),
        "failed": _("The inspection did not pass."),
        "unsigned": _("The inspection is not fully signed (inspector, foreman and project manager)."),
        "already_certified": _("A certificate was already issued for this inspection."),
        "reason_required": _("Write the reason for revoking."),
        "paid_warning": _("The settlement was already paid. Confirm that you revoke anyway."),
        "already_revoked": _("The certificate is already revoked."),
    }.get(code, _("This is not possible now."))


@bp.post("/inspections/<int:inspection_id>/certificate")
@permission_required("certificates", "issue")
def issue(inspection_id: int):
    """Issue the pass certificate of a passed, fully signed inspection."""
    inspection = get_inspection_or_404(inspection_id, current_user)
    storage = get_storage()
    try:
        with transaction.savepoint():  # a refusal gives the number back
            certificate, key = services.issue(inspection, current_user, storage, render_certificate_pdf)
        _commit_or_remove_pdf(storage, key)
    except services.CertificateError as exc:
        flash(error_text(exc.code), "error")
        return redirect(url_for("inspections.summary", inspection_id=inspection.id)), 303
    except IntegrityError:  # another office user issued it a moment ago
        flash(error_text("already_certified"), "error")
        return redirect(url_for("inspections.summary", inspection_id=inspection.id)), 303
    except StorageError:
        raise InsufficientStorage()
    flash(_("Certificate %(no)s issued.", no=certificate.number), "success")
    return redirect(url_for("certificates.detail", number=certificate.number))


def _commit_or_remove_pdf(storage: Storage, key: str) -> None:
    """Commit now: the stored PDF is removed again when its certificate cannot be saved."""
    try:
        transaction.commit_now("the certificate's PDF is stored already")
    except BaseException:
        storage.delete(key)
        raise


def get_certificate_or_404(number: str, user, action: str = "view") -> PassCertificate:
    """A certificate by number that ``user`` may ``action`` (office and finance see all; 404 / 403)."""
    return authorise(user, services.find_by_number(number), action)


@bp.get("/certificates/")
@permission_required("certificates")
def index():
    """Issued certificates, newest first."""
    rows = db.session.scalars(select(PassCertificate).order_by(PassCertificate.id.desc()).limit(200)).all()
    return render_template("certificates/index.html", rows=rows)


@bp.get("/certificates/<number>")
@permission_required("certificates")
def detail(number: str):
    """One certificate: facts, download, revocation."""
    certificate = get_certificate_or_404(number, current_user)
    return render_template("certificates/detail.html", c=certificate, paid=services.paid(certificate),
                           grade_label=grade_label, error=None)


@bp.get("/certificates/<number>/pdf")
@permission_required("certificates")
def pdf(number: str):
    """The PDF exactly as issued (byte-identical; never re-rendered)."""
    certificate = get_certificate_or_404(number, current_user)
    with get_storage().open(certificate.pdf_key) as handle:
        data = handle.read()
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.set_etag(certificate.pdf_sha256)
    return response


@bp.post("/certificates/<number>/revoke")
@permission_required("certificates", "revoke")
def revoke(number: str):
    """Revoke with a written reason (a warning first when the settlement was already paid)."""
    certificate = get_certificate_or_404(number, current_user, "revoke")
    try:
        services.revoke(certificate, current_user, request.form.get("reason", ""),
                        confirm_paid=bool(request.form.get("confirm_paid")))
    except services.CertificateError as exc:
        return render_template("certificates/detail.html", c=certificate, paid=services.paid(certificate),
                               grade_label=grade_label, error=error_text(exc.code),
                               reason=request.form.get("reason", "")), 422
    flash(_("Certificate %(no)s revoked.", no=certificate.number), "success")
    return redirect(url_for("certificates.detail", number=certificate.number))


# --- public verification --------------------------------------------------------------------

@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT)
def verify_form():
    """Anyone (finance at the counter) types a certificate number."""
    if request.method == "POST":
        return redirect(url_for("certificates.verify", number=request.form.get("number", "").strip()[:30] or "-"))
    return render_template("certificates/verify_form.html")


@bp.route("/verify/<number>", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT)
def verify(number: str):
    """Status, grade, date, masked address, fingerprint; nothing about the owner. POST checks a PDF."""
    certificate = services.find_by_number(number)
    check = None
    if request.method == "POST" and certificate is not None:
        upload = request.files.get("pdf")
        data = upload.read(25 * 1024 * 1024) if upload else b""
        check = "match" if data and services.matches_issued_pdf(certificate, data) else "mismatch"
    if certificate is None:
        return render_template("certificates/verify.html", found=False, number=number[:30]), 404
    facts = certificate.facts  # as printed on the PDF, whatever the project says now
    return render_template(
        "certificates/verify.html", found=True, number=certificate.number, revoked=certificate.is_revoked,
        revoked_on=f"{to_local(certificate.revoked_at):%Y-%m-%d}" if certificate.revoked_at else "",
        grade=grade_label(facts["grade"]), inspection_date=facts["inspection_date"],
        address=services.mask_address(facts["address"]), fingerprint=certificate.fingerprint,
        check=check), 200
