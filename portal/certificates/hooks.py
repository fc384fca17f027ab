"""How certificates guard the inspections they prove. Connected at start-up by :func:`register`."""
from __future__ import annotations

from sqlalchemy import select

from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.inspections import signals
from portal.inspections.models import Inspection
from portal.inspections.services import InspectionError


def refuse_reopening_certified(inspection: Inspection, **_extra) -> None:
    """Receiver of ``inspection_reopening``: revoke the certificate first, it proves this result."""
    if db.session.scalar(select(PassCertificate.id).where(PassCertificate.inspection_id == inspection.id,
                                                          PassCertificate.revoked_at.is_(None))):
        raise InspectionError("certified")


def register() -> None:
    """Connect the receiver (idempotent)."""
    signals.inspection_reopening.connect(refuse_reopening_certified)
