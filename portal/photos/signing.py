"""Concealed-works records and 24-hour closure tests as signable records (owner and foreman sign).

Registered into :mod:`portal.signatures.records` at start-up. Once signed they are locked
(see :mod:`portal.photos.locks`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.photos.models import ClosureTest, ConcealedWorksRecord, Photo
from portal.photos.services import record_photos
from portal.projects.models import Project
from portal.signatures.records import RecordType, register_record_type


def concealed_content(record: ConcealedWorksRecord) -> dict:
    """The concealed-works record: project and every photo (system, room, stage, hash)."""
    return {
        "type": "concealed",
        "project": db.session.get(Project, record.project_id).contract_no,
        "photos": sorted([p.system or "", p.location, p.stage or "", p.note, p.sha256] for p in record_photos(record)),
    }


def closure_test_content(test: ClosureTest) -> dict:
    """A closure test: area, start, end, result, its photos."""
    photos = db.session.scalars(select(Photo.sha256).where(Photo.closure_test_id == test.id,
                                                           Photo.deleted_at.is_(None)).order_by(Photo.sha256)).all()
    return {"type": "closure_test", "project": db.session.get(Project, test.record.project_id).contract_no,
            "location": test.location, "started_at": test.started_at, "ended_at": test.ended_at, "leak": test.leak,
            "note": test.note, "photos": list(photos)}


def _project_of_record(record: ConcealedWorksRecord) -> Project:
    return db.session.get(Project, record.project_id)


CONCEALED_RECORD = RecordType(
    name="concealed", title=_l("Concealed-works record"), required=("owner", "foreman"), optional=(),
    model=ConcealedWorksRecord, content=concealed_content, project=_project_of_record, ready=lambda record: True,
    lock_effect="no photo of the record is added or deleted, their markup stays as signed, no closure test started",
    figures=lambda record: {"photo_count": len(record_photos(record))})

CLOSURE_TEST_RECORD = RecordType(
    name="closure_test", title=_l("24-hour closure test"), required=("owner", "foreman"), optional=(),
    model=ClosureTest, content=closure_test_content, project=lambda test: _project_of_record(test.record),
    ready=lambda test: test.ended_at is not None,
    lock_effect="the result stays as signed, no photo is added to the test and their markup stays as signed")


def register() -> None:
    """Make concealed-works records and closure tests signable."""
    register_record_type(CONCEALED_RECORD)
    register_record_type(CLOSURE_TEST_RECORD)
