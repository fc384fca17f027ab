"""Can a project get another inspection round? One rule for the inspection form and the weekly list.

``next_round_block`` reads only ``is_completed`` and ``passed`` of the project's inspections;
``blocking_round`` is the same rule as a SQL condition, for lists of candidates. The weekly
list (schedule) adds its own rule on top: a project with an open rectification notice gets
its reinspection from the notice, not from the list.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import ColumnElement, or_

from portal.inspections.models import Inspection, InspectionStatus

OPEN_INSPECTION = "open_inspection"
ALREADY_PASSED = "already_passed"


class Round(Protocol):
    """What the rule reads of an inspection."""

    is_completed: bool
    passed: bool | None


def next_round_block(inspections: Iterable[Round]) -> str | None:
    """Why no further round can be scheduled for a project with these inspections, else None.

    ``open_inspection``: one is scheduled or under way; ``already_passed``: the project has
    passed pre-acceptance. A finished, failed round does not block: the next one is its
    reinspection.
    """
    inspections = list(inspections)
    if any(not i.is_completed for i in inspections):
        return OPEN_INSPECTION
    if any(i.passed for i in inspections):
        return ALREADY_PASSED
    return None


def blocking_round() -> ColumnElement[bool]:
    """``next_round_block`` as a condition on inspection rows: unfinished, or passed."""
    return or_(Inspection.status != InspectionStatus.COMPLETED.value, Inspection.passed.is_(True))
