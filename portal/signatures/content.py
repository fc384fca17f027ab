"""What a signature is bound to: a SHA-256 fingerprint of the record's canonical content.

The canonical form is JSON with sorted keys, no whitespace, UTF-8, and values as plain
strings/numbers, so that the same content always gives the same hash — on any server,
any database — and any change of an answer, value, note, result or photo gives another.
The certificate issue prints the same fingerprint.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db


def canonical_json(content: dict) -> bytes:
    """Stable serialisation: sorted keys, compact separators, decimals as normalised strings."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_plain).encode("utf-8")


def fingerprint(content: dict) -> str:
    """SHA-256 (hex) of the canonical serialisation."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value != 0 else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def inspection_content(inspection) -> dict:
    """Project, round, template version, every answer and value, result, photo hashes."""
    from portal.inspections.services import load_answers
    from portal.photos.models import Photo

    photos = db.session.scalars(select(Photo).where(Photo.inspection_id == inspection.id, Photo.deleted_at.is_(None))
                                .order_by(Photo.sha256)).all()
    return {
        "type": "inspection",
        "project": inspection.project.contract_no,
        "round": inspection.round,
        "template": {"family": inspection.template.family, "version": inspection.template.version},
        "answers": [[a.item.code, a.outcome, a.value, a.note] for a in load_answers(inspection)],
        "equipment": sorted(use.equipment.serial_no for use in inspection.equipment_uses),
        "handbook_present": inspection.handbook_present,
        "result": {"passed": inspection.passed, "grade": inspection.grade, "passed_count": inspection.passed_count,
                   "applicable_count": inspection.applicable_count},
        "photos": [[p.item_id and _item_code(p.item_id), p.sha256] for p in photos],
    }


def _item_code(item_id: int) -> str:
    from portal.checklists.models import ChecklistItem

    return db.session.get(ChecklistItem, item_id).code


def concealed_content(record) -> dict:
    """The concealed-works record: project and every photo (system, room, stage, hash)."""
    from portal.photos.services import record_photos

    return {
        "type": "concealed",
        "project": db.session.get(_project_model(), record.project_id).contract_no,
        "photos": sorted([p.system or "", p.location, p.stage or "", p.note, p.sha256] for p in record_photos(record)),
    }


def closure_test_content(test) -> dict:
    """A closure test: area, start, end, result, its photos."""
    from portal.photos.models import Photo

    photos = db.session.scalars(select(Photo.sha256).where(Photo.closure_test_id == test.id,
                                                           Photo.deleted_at.is_(None)).order_by(Photo.sha256)).all()
    return {"type": "closure_test", "project": db.session.get(_project_model(), test.record.project_id).contract_no,
            "location": test.location, "started_at": test.started_at, "ended_at": test.ended_at, "leak": test.leak,
            "note": test.note, "photos": list(photos)}


def _project_model():
    from portal.projects.models import Project

    return Project


def notice_content(notice) -> dict:
    """A rectification notice as received: number, deadline, reinspection date, items and fixes."""
    return {"type": "notice", "number": notice.number, "project": notice.project.contract_no, "round": notice.round,
            "deadline": notice.deadline, "reinspection_date": notice.reinspection_date,
            "items": [[i.item_text, i.measured_value, i.limit_text, i.finding, i.required_fix] for i in notice.items]}
