"""How rectification follows inspections: notices when one fails, withdrawn when it is reopened.

Receivers of :mod:`portal.inspections.signals`, connected at start-up by :func:`register`.
"""
from __future__ import annotations

from portal.inspections import signals
from portal.inspections.models import Inspection
from portal.inspections.services import CARRY_OVER_RULES, InspectionError, NoticeInput, Summary, load_answers
from portal.photos.locks import MARKUP_LOCKS
from portal.photos.models import Photo
from portal.plans.services import PIN_LOCKS
from portal.rectification.services import after_finish, carried_outcomes, validate_notice_input, withdraw_notices_of
from portal.rectification.signing import item_on_signed_notice


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


def signed_notice_photo(photo: Photo) -> bool:
    """A failed item's photo ("before") on a notice whose receipt is signed: its markup stays as printed.

    The foreman's "after" photos (``notice_item_id``) come after the receipt and are not on it.
    """
    return item_on_signed_notice(photo.inspection_id, photo.item_id)


def signed_notice_pin(*, inspection_id: int | None = None, item_id: int | None = None, **_target) -> bool:
    """The pin of a failed item on a notice whose receipt is signed stays where it was printed."""
    return item_on_signed_notice(inspection_id, item_id)


def register() -> None:
    """Connect the receivers and the carry-over rule of reinspections (idempotent)."""
    signals.inspection_finishing.connect(refuse_invalid_notice_input)
    signals.inspection_finished.connect(issue_notice_on_finish)
    signals.inspection_reopened.connect(withdraw_notices_on_reopen)
    CARRY_OVER_RULES.add("rectification", carried_outcomes)
    MARKUP_LOCKS.add("rectification", signed_notice_photo)
    PIN_LOCKS.add("rectification", signed_notice_pin)
