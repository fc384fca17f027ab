"""Issuing and revoking pass certificates; verification; masking addresses for the public page."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from sqlalchemy import select

from portal.auth.models import User
from portal.certificates.models import PassCertificate
from portal.certificates.pdf import printed_facts
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.inspections.signing import INSPECTION_RECORD
from portal.numbering import next_number
from portal.projects.models import Project
from portal.signatures.content import fingerprint
from portal.signatures.services import record_signatures
from portal.registry import Registry
from portal.storage import Storage
from portal.timeutil import local_today, utcnow

NUMBER_RE = re.compile(r"YS-\d{4}-\d{6}")

# Where a settlement payment against a certificate's project is recorded (finance registers one):
# each returns the latest payment, or None.
PAYMENT_LOOKUPS: Registry[Callable[[PassCertificate], object | None]] = Registry("settlement payment lookup")

# Where the owner's page of a project lives (after-sales registers one): each returns the URL of
# the project's owner's page for ``user`` issuing a certificate, giving the project its link if it
# has none yet, or "" when it has nothing to offer. The certificate prints it as the owner's QR code.
OWNER_PAGES: Registry[Callable[[Project, User], str]] = Registry("owner's page")


class CertificateError(Exception):
    """Issuing or revoking is refused; ``code`` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_issuable(inspection: Inspection) -> None:
    """Refuse, with the reason, for a failed, unfinished (reopened), unsigned or certified inspection."""
    if not inspection.is_completed:
        raise CertificateError("not_finished")
    if not inspection.passed:
        raise CertificateError("failed")
    if db.session.scalar(select(PassCertificate.id).where(PassCertificate.inspection_id == inspection.id)):
        raise CertificateError("already_certified")
    state = record_signatures(INSPECTION_RECORD, inspection)
    if not state.locked:
        raise CertificateError("unsigned")


def issue(inspection: Inspection, user: User, storage: Storage, render) -> tuple[PassCertificate, str]:
    """Number, freeze the printed facts, render, store the PDF; returns (certificate, key written).

    ``render(cert)`` gives the PDF bytes from the frozen facts. The number comes from a per-year
    counter in this transaction: a refused or failed issue gives it back, so the series has no gaps.
    """
    check_issuable(inspection)
    year = local_today().year
    number = f"YS-{year}-{next_number(f'YS-{year}'):06d}"
    content = INSPECTION_RECORD.content(inspection)
    certificate = PassCertificate(
        number=number, project=inspection.project, inspection=inspection,
        fingerprint=fingerprint(content), grade=inspection.grade, overall_rate=inspection.overall_rate,
        issued_by_id=user.id, issued_at=utcnow(), pdf_key=f"certificates/{number.lower()}.pdf", pdf_sha256="")
    certificate.facts = printed_facts(certificate, owner_url=owner_page_url(inspection.project, user))
    pdf = render(certificate)
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    storage.put(certificate.pdf_key, pdf)
    db.session.add(certificate)
    try:
        db.session.flush()
    except Exception:
        storage.delete(certificate.pdf_key)
        raise
    return certificate, certificate.pdf_key


def owner_page_url(project: Project, user: User) -> str:
    """The owner's page to print on the project's certificate (see OWNER_PAGES); "" when none is offered."""
    return next((url for provider in OWNER_PAGES.values() if (url := provider(project, user))), "")


def paid(certificate: PassCertificate):
    """The settlement payment recorded against this certificate's project, if any (see PAYMENT_LOOKUPS)."""
    return next((payment for lookup in PAYMENT_LOOKUPS.values() if (payment := lookup(certificate)) is not None), None)


def revoke(certificate: PassCertificate, user: User, reason: str, confirm_paid: bool = False) -> None:
    """Revoke with a written reason; after a recorded payment only with explicit confirmation."""
    if certificate.is_revoked:
        raise CertificateError("already_revoked")
    if not reason.strip():
        raise CertificateError("reason_required")
    if paid(certificate) is not None and not confirm_paid:
        raise CertificateError("paid_warning")
    certificate.revoked_at, certificate.revoked_by_id, certificate.revoke_reason = utcnow(), user.id, reason.strip()[:2000]
    db.session.flush()


def find_by_number(number: str) -> PassCertificate | None:
    """The certificate with this number; malformed numbers find nothing."""
    if not NUMBER_RE.fullmatch(number or ""):
        return None
    return db.session.scalar(select(PassCertificate).where(PassCertificate.number == number))


_FLAT = re.compile(r"[0-9０-９一二三四五六七八九十]+\s*(号楼|栋|幢|座|单元|层|楼|室|号房)")


def mask_address(address: str) -> str:
    """District and compound only: the building, unit and flat numbers are cut off."""
    match = _FLAT.search(address or "")
    return (address[:match.start()].rstrip("，, ") + "…") if match else (address or "")[: max(4, len(address or "") // 2)] + "…"


def matches_issued_pdf(certificate: PassCertificate, data: bytes) -> bool:
    """True when the uploaded file is byte for byte the PDF that was issued."""
    return hashlib.sha256(data).hexdigest() == certificate.pdf_sha256
