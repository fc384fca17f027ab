"""Recording the completion settlement's payment (the rule itself: :mod:`portal.finance.settlement`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.auth.models import User
from portal.certificates.models import PassCertificate
from portal.finance.models import SettlementPayment
from portal.extensions import db
from portal.finance.settlement import ProjectFacts, settlement
from portal.projects.models import Project
from portal.timeutil import local_today


class PaymentRefused(Exception):
    """The settlement may not be paid; ``reason`` is the settlement rule's reason code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def record_payment(project: Project, facts: ProjectFacts, user: User, *, paid_on: date, amount: Decimal,
                   reference: str) -> SettlementPayment:
    """Record the payment against the project's valid certificate (``facts`` as loaded for the check).

    Refused with PaymentRefused unless the settlement rule allows it today.
    """
    result = settlement(facts, local_today())
    if not result.allowed:
        raise PaymentRefused(result.reason)
    certificate = db.session.scalar(select(PassCertificate).where(PassCertificate.number == facts.certificate_no))
    payment = SettlementPayment(project_id=project.id, certificate_id=certificate.id if certificate else None,
                                paid_on=paid_on, amount=amount, reference=reference, recorded_by_id=user.id)
    db.session.add(payment)
    db.session.flush()
    return payment
