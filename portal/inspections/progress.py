"""The live figures of the checklist (answered counts, rates), redrawn after every tap.

The same rules as :func:`portal.inspections.services.summarise`, from one aggregate query:
loading 90 answers with their items as objects would cost most of the request.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select

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


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every tap counts.
_COUNTS = (select(ChecklistItem.category_id, ChecklistCategory.code, Answer.outcome, func.count())
           .join(ChecklistItem, Answer.item_id == ChecklistItem.id).join(ChecklistCategory)
           .where(Answer.inspection_id == bindparam("inspection_id"))
           .group_by(ChecklistCategory.position, ChecklistItem.category_id, ChecklistCategory.code, Answer.outcome)
           .order_by(ChecklistCategory.position, ChecklistItem.category_id))


def progress(inspection: Inspection) -> Progress:
    """Counts and rates of ``inspection``'s answers, categories in checklist order."""
    # Counted by the database: a row per category and outcome instead of one per answer.
    rows = db.session.execute(_COUNTS, {"inspection_id": inspection.id}).all()
    rates = scoring.category_rates((code, outcome) for _id, code, outcome, count in rows for _ in range(count))
    categories: dict[int, CategoryProgress] = {}
    for category_id, code, outcome, count in rows:
        cat = categories.setdefault(category_id, CategoryProgress(category_id, rate=rates.get(code, scoring.Rate(0, 0))))
        cat.total += count
        cat.answered += count if outcome is not None else 0
    return Progress(categories=list(categories.values()),
                    overall=scoring.rate(outcome for _id, _code, outcome, count in rows for _ in range(count)))
