"""The history of an inspection: every answer change and lifecycle event, oldest first."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.inspections.models import AnswerChange, Inspection, InspectionEvent


def history(inspection: Inspection) -> list:
    """Answer changes and lifecycle events, oldest first."""
    changes = db.session.scalars(select(AnswerChange).where(AnswerChange.inspection_id == inspection.id)
                                 .options(selectinload(AnswerChange.user), selectinload(AnswerChange.item))).all()
    events = db.session.scalars(select(InspectionEvent).where(InspectionEvent.inspection_id == inspection.id)
                                .options(selectinload(InspectionEvent.user))).all()
    return sorted([*changes, *events], key=lambda row: (getattr(row, "changed_at", None) or row.at, row.id))
