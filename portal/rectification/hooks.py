"""How rectification follows inspections: notices when one fails, withdrawn when it is reopened.

Receivers of :mod:`portal.inspections.signals`, connected at start-up by :func:`register`.
"""
from __future__ import annotations

from portal.inspections import signals
from portal.inspections.models import Inspection
from portal.inspections.services import CARRY_OVER_RULES, InspectionError, NoticeInput, Summary, load_answers
from portal.rectification.services import after_finish, carried_outcomes, validate_notice_input, withdraw_notices_of


def refuse_invalid_notice_input(inspection: Inspection, *, summary: Summary, notice_input: NoticeInput | None,
                                **_extra) -> None:
    """Receiver of ``inspection_finishing``: a failing inspection is not finished with a bad deadline or fix."""
    if not summary.evaluation.passed and notice_input is not None:
        errors = validate_notice_input(notice_input)
        if errors:
            raise InspectionError("notice_invalid", errors)


def issue_notice_on_finish(inspection: Inspection, *, notice_input: NoticeInput | None, answers=None, **_extra) -> None:
    """Receiver of ``inspection_finished``: decide reinspected items, then notice, penalties and messages, or close."""
    after_finish(inspection, load_answers(inspection) if answers is None else answers, notice_input)


def withdraw_notices_on_reopen(inspection: Inspection, **_extra) -> None:
    """Receiver of ``inspection_reopened``: the inspection's open notice is withdrawn."""
    withdraw_notices_of(inspection)


def register() -> None:
    """Connect the receivers and the carry-over rule of reinspections (idempotent)."""
    signals.inspection_finishing.connect(refuse_invalid_notice_input)
    signals.inspection_finished.connect(issue_notice_on_finish)
    signals.inspection_reopened.connect(withdraw_notices_on_reopen)
    CARRY_OVER_RULES.add("rectification", carried_outcomes)
