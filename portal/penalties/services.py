"""Recording penalties; the escalation table lives with the rectification rules."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal.auth.models import User
from portal.extensions import db
from portal.penalties.models import Penalty, PenaltyKind

HANDBOOK_MISSING = "handbook_missing"


def record_penalty(person: User, role: str, kind: PenaltyKind, reason: str, inspection, *,
                   amount: Decimal | None = None, order_stop_until: date | None = None) -> Penalty:
    """Record a penalty once per (inspection, person, reason); a repeat returns the existing one."""
    existing = db.session.scalar(select(Penalty).where(
        Penalty.inspection_id == inspection.id, Penalty.person_id == person.id, Penalty.reason == reason))
    if existing is not None:
        return existing
    penalty = Penalty(person_id=person.id, role=role, kind=kind.value, reason=reason, amount=amount,
                      order_stop_until=order_stop_until, inspection_id=inspection.id,
                      project_id=inspection.project_id)
    db.session.add(penalty)
    db.session.flush()
    return penalty


def active_order_stops(today: date) -> dict[int, date]:
    """Foremen with a running order stop (停单): user id → last day."""
    rows = db.session.execute(select(Penalty.person_id, func.max(Penalty.order_stop_until)).where(
        Penalty.order_stop_until >= today, Penalty.annulled_at.is_(None)).group_by(Penalty.person_id)).all()
    return dict(rows)
