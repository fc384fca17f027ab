"""The live figures of the checklist (answered counts, rates), redrawn after every tap.

The same rules as :func:`portal.inspections.services.summarise`, from one query of plain
rows: loading 90 answers with their items as objects would cost most of the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from portal.checklists.models import ChecklistCategory, ChecklistItem
from portal.extensions import db
from portal.inspections import scoring
from portal.inspections.models import Answer, Inspection


@dataclass
class CategoryProgress:
    """Answered count and rate of one category, without the category object."""

    category_id: int
    answered: int = 0
    total: int = 0
    rate: scoring.Rate = field(default_factory=lambda: scoring.Rate(0, 0))


@dataclass
class Progress:
    """Answered counts and rates of the whole checklist and of each category."""

    categories: list[CategoryProgress]
    overall: scoring.Rate


def progress(inspection: Inspection) -> Progress:
    """Counts and rates of ``inspection``'s answers, categories in checklist order."""
    rows = db.session.execute(
        select(ChecklistItem.category_id, ChecklistCategory.code, Answer.outcome)
        .join(ChecklistItem, Answer.item_id == ChecklistItem.id).join(ChecklistCategory)
        .where(Answer.inspection_id == inspection.id)
        .order_by(ChecklistCategory.position, ChecklistItem.position)).all()
    rates = scoring.category_rates((code, outcome) for _id, code, outcome in rows)
    categories: dict[int, CategoryProgress] = {}
    for category_id, code, outcome in rows:
        cat = categories.setdefault(category_id, CategoryProgress(category_id, rate=rates.get(code, scoring.Rate(0, 0))))
        cat.total += 1
        cat.answered += outcome is not None
    return Progress(categories=list(categories.values()), overall=scoring.rate(outcome for *_, outcome in rows))
