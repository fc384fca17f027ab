"""The pass certificate PDF: one A4 page with the grade, rates, signatures, QR code and fingerprint."""
from __future__ import annotations

from functools import lru_cache

import segno
from flask import current_app
from flask_babel import force_locale

from portal.certificates.models import PassCertificate
from portal.checklists.models import ChecklistCategory
from portal.extensions import db
from portal.inspections.messages import grade_label
from portal.inspections.signing import INSPECTION_RECORD
from portal.pdf import render_pdf
from portal.signatures.records import SLOT_LABELS
from portal.signatures.services import latest_signatures
from portal.timeutil import to_local
from sqlalchemy import select


def verify_url(number: str) -> str:
    """The public verification page of a certificate (printed as QR code)."""
    return f"{current_app.config['BASE_URL']}/verify/{number}"


def printed_facts(certificate: PassCertificate, owner_url: str = "") -> dict:
    """The facts the certificate prints about the project and the inspection, as plain JSON values.

    Taken once, at issue, and stored with the certificate: the PDF is rendered from them, and the
    verification and office pages show them, so all of them keep saying what was certified
    when the project's address, owner or people change later. ``grade`` is the code (the PDF
    prints its Chinese label); dates are the company's local dates as ``YYYY-MM-DD``.
    ``owner_url`` is the owner's page printed as the second QR code (none without it): a reprint
    shows the same link, and revoking that link makes the printed code answer 410.
    """
    inspection = certificate.inspection
    project = inspection.project
    facts = {
        "contract_no": project.contract_no, "address": project.address, "owner": project.owner_name,
        "foreman": project.foreman.display_name if project.foreman else "",
        "project_manager": project.project_manager.display_name if project.project_manager else "",
        "inspector": inspection.inspector.display_name, "inspection_date": inspection_date(inspection),
        "round": inspection.round, "grade": inspection.grade,
        "score": _percent(inspection.passed_count, inspection.applicable_count),
        "issued": f"{to_local(certificate.issued_at):%Y-%m-%d}",
    }
    if owner_url:  # certificates issued before it was printed (migration 0011) have no such key
        facts["owner_url"] = owner_url
    return facts


def certificate_data(certificate: PassCertificate) -> dict:
    """Plain data for the template: the certificate's frozen facts, plus the rates, signatures and QR code."""
    inspection = certificate.inspection
    titles = dict(db.session.execute(select(ChecklistCategory.code, ChecklistCategory.title)
                                     .where(ChecklistCategory.template_id == inspection.template_id)).all())
    categories = [{"title": titles.get(c["code"], c["code"]), "rate": _percent(c["passed"], c["applicable"])}
                  for c in inspection.category_scores or []]
    signatures = []
    with force_locale("zh_CN"):
        grade = grade_label(certificate.facts["grade"])
        latest = latest_signatures(INSPECTION_RECORD, inspection)
        for slot in INSPECTION_RECORD.slots:
            sig = latest.get(slot)
            if sig is None:
                continue
            signatures.append({"role": str(SLOT_LABELS[slot]), "name": sig.signer_name, "image": sig.image_key,
                               "refused": sig.refused, "witness": sig.witness_name})
    url = verify_url(certificate.number)
    owner_url = certificate.facts.get("owner_url") or ""  # none on certificates issued before it was printed
    return {
        **certificate.facts, "grade": grade,
        "company": current_app.config["COMPANY_NAME"], "number": certificate.number,
        "categories": categories, "signatures": signatures, "fingerprint": certificate.fingerprint,
        "verify_url": url, "qr": _qr(url), "owner_url": owner_url, "owner_qr": _qr(owner_url) if owner_url else "",
    }


@lru_cache(maxsize=64)
def _qr(url: str) -> str:
    """The QR code of ``url`` as a PNG data URL (kept for reprints: choosing its mask is most of a render's Python time)."""
    return segno.make(url, error="m").png_data_uri(scale=4, border=2)


def inspection_date(inspection) -> str:
    """The date the result was established (finished), as printed and shown on the public page."""
    return f"{to_local(inspection.finished_at):%Y-%m-%d}" if inspection.finished_at else inspection.scheduled_date.isoformat()


def _percent(passed: int | None, applicable: int | None) -> str:
    if not applicable:
        return "—"
    tenths = passed * 1000 // applicable  # rounded down, like the portal shows rates
    return f"{tenths // 10}.{tenths % 10}%"


def render_certificate_pdf(certificate: PassCertificate) -> bytes:
    """The certificate as PDF bytes."""
    return render_pdf("certificates/certificate_pdf.html", stylesheets=("certificates/certificate_pdf.css",),
                      data=certificate_data(certificate))
