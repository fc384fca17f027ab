"""The receipt of a rectification notice as a signable record (foreman and project manager sign).

Registered into :mod:`portal.signatures.records` at start-up.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.rectification.models import RectificationNotice
from portal.signatures.records import RecordType, register_record_type


def notice_content(notice: RectificationNotice) -> dict:
    """A rectification notice as received: number, deadline, reinspection date, items and fixes."""
    return {"type": "notice", "number": notice.number, "project": notice.project.contract_no, "round": notice.round,
            "deadline": notice.deadline, "reinspection_date": notice.reinspection_date,
            "items": [[i.item_text, i.measured_value, i.limit_text, i.finding, i.required_fix] for i in notice.items]}


NOTICE_RECORD = RecordType(
    name="notice", title=_l("Receipt of the rectification notice"), required=("foreman", "project_manager"),
    optional=(), model=RectificationNotice, content=notice_content, project=lambda notice: notice.project,
    ready=lambda notice: True,
    lock_effect="nothing: the signatures prove the site team received the notice as printed")


def register() -> None:
    """Make the receipt of a notice signable."""
    register_record_type(NOTICE_RECORD)
