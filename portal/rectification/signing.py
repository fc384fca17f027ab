"""The receipt of a rectification notice as a signable record (foreman and project manager sign).

Registered into :mod:`portal.signatures.records` at start-up.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.rectification.models import NoticeItem, RectificationNotice
from portal.signatures.records import RecordType, register_record_type
from portal.signatures.services import is_locked


def notice_content(notice: RectificationNotice) -> dict:
    """A rectification notice as received: number, deadline, reinspection date, items and fixes."""
    return {"type": "notice", "number": notice.number, "project": notice.project.contract_no, "round": notice.round,
            "deadline": notice.deadline, "reinspection_date": notice.reinspection_date,
            "items": [[i.item_text, i.measured_value, i.limit_text, i.finding, i.required_fix] for i in notice.items]}


NOTICE_RECORD = RecordType(
    name="notice", title=_l("Receipt of the rectification notice"), required=("foreman", "project_manager"),
    optional=(), model=RectificationNotice, content=notice_content, project=lambda notice: notice.project,
    ready=lambda notice: True,
    lock_effect="the pins of its items and the markup of their photos stay as signed (the printed notice shows them)")


def item_on_signed_notice(inspection_id: int | None, item_id: int | None) -> bool:
    """Whether a failed item of this inspection is on a notice whose receipt is signed (and still matches).

    The notice page and its PDF show the item's pin and its photos with their markup; once the
    site team signed the receipt, they must stay what was printed.
    """
    if inspection_id is None or item_id is None:
        return False
    notices = db.session.scalars(
        select(RectificationNotice).join(NoticeItem, NoticeItem.notice_id == RectificationNotice.id)
        .where(RectificationNotice.inspection_id == inspection_id, NoticeItem.item_id == item_id))
    return any(is_locked(NOTICE_RECORD, notice) for notice in notices)


def register() -> None:
    """Make the receipt of a notice signable."""
    register_record_type(NOTICE_RECORD)
