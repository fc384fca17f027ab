"""The inspection result as a signable record: what the signatures are bound to, who signs.

Registered into :mod:`portal.signatures.records` at start-up; reopening an inspection voids
its signatures (the result they were bound to no longer exists).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.checklists.models import ChecklistItem
from portal.extensions import db
from portal.inspections import signals
from portal.inspections.models import Inspection
from portal.inspections.services import answer_rows
from portal.photos.models import Photo
from portal.signatures.records import RecordType, register_record_type
from portal.signatures.services import void_signatures


def inspection_content(inspection: Inspection) -> dict:
    """Project, round, template version, every answer and value, result, photo hashes."""
    photos = db.session.scalars(select(Photo).where(Photo.inspection_id == inspection.id, Photo.deleted_at.is_(None))
                                .order_by(Photo.sha256)).all()
    return {
        "type": "inspection",
        "project": inspection.project.contract_no,
        "round": inspection.round,
        "template": {"family": inspection.template.family, "version": inspection.template.version},
        "answers": [list(row) for row in answer_rows(inspection)],
        "equipment": sorted(use.equipment.serial_no for use in inspection.equipment_uses),
        "handbook_present": inspection.handbook_present,
        "result": {"passed": inspection.passed, "grade": inspection.grade, "passed_count": inspection.passed_count,
                   "applicable_count": inspection.applicable_count},
        "photos": [[p.item_id and _item_code(p.item_id), p.sha256] for p in photos],
    }


def _item_code(item_id: int) -> str:
    return db.session.get(ChecklistItem, item_id).code


INSPECTION_RECORD = RecordType(
    name="inspection", title=_l("Inspection result"), required=("inspector", "foreman", "project_manager"),
    optional=("owner",), model=Inspection, content=inspection_content,
    project=lambda inspection: inspection.project, ready=lambda inspection: inspection.is_completed,
    lock_effect="the pass certificate may be issued (it proves this result)",
    run_by=lambda inspection: inspection.inspector_id)


def void_signatures_of_reopened(inspection: Inspection, *, user, reason: str, **_extra) -> None:
    """Receiver of ``inspection_reopened``: the signed result is gone, so are its signatures."""
    void_signatures(INSPECTION_RECORD.name, inspection.id, user, reason)


def register() -> None:
    """Make inspection results signable; void their signatures on reopening."""
    register_record_type(INSPECTION_RECORD)
    signals.inspection_reopened.connect(void_signatures_of_reopened)
