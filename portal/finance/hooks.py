"""How finance answers the packages below it. Registered at start-up by :func:`register`."""
from __future__ import annotations

from sqlalchemy import select

from portal.certificates.models import PassCertificate
from portal.certificates.services import PAYMENT_LOOKUPS
from portal.extensions import db
from portal.finance.models import SettlementPayment


def latest_payment(certificate: PassCertificate) -> SettlementPayment | None:
    """The settlement payment recorded against this certificate's project, if any."""
    return db.session.scalar(select(SettlementPayment).where(SettlementPayment.project_id == certificate.project_id)
                             .order_by(SettlementPayment.id.desc()).limit(1))


def register() -> None:
    """Let certificates see recorded payments (a warning before revoking a paid certificate)."""
    PAYMENT_LOOKUPS.add("finance", latest_payment)
