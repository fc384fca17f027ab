"""Which records take signatures, who must sign them, and how to load and describe them.

The required set of signers is a property of the record type, here and nowhere else.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.signatures import content

SLOT_LABELS = {
    "inspector": _l("Inspector"),
    "foreman": _l("Foreman"),
    "project_manager": _l("Project manager"),
    "owner": _l("Owner"),
}


@dataclass(frozen=True)
class RecordType:
    """A kind of record that people sign."""

    name: str
    title: object
    required: tuple[str, ...]
    optional: tuple[str, ...]
    model: Callable[[], type]
    content: Callable[[object], dict]
    project: Callable[[object], object]
    ready: Callable[[object], bool]  # may it be signed now (e.g. the inspection is finished)?

    @property
    def slots(self) -> tuple[str, ...]:
        """Required slots first, then optional ones."""
        return self.required + self.optional

    def load(self, record_id: int):
        """The record, or None."""
        return db.session.get(self.model(), record_id)


def _inspection_model():
    from portal.inspections.models import Inspection

    return Inspection


def _record_model():
    from portal.photos.models import ConcealedWorksRecord

    return ConcealedWorksRecord


def _closure_model():
    from portal.photos.models import ClosureTest

    return ClosureTest


def _project_of_record(record):
    from portal.projects.models import Project

    return db.session.get(Project, record.project_id)


def _notice_model():
    from portal.rectification.models import RectificationNotice

    return RectificationNotice


RECORD_TYPES: dict[str, RecordType] = {
    "inspection": RecordType(
        name="inspection", title=_l("Inspection result"), required=("inspector", "foreman", "project_manager"),
        optional=("owner",), model=_inspection_model, content=content.inspection_content,
        project=lambda inspection: inspection.project, ready=lambda inspection: inspection.is_completed),
    "concealed": RecordType(
        name="concealed", title=_l("Concealed-works record"), required=("owner", "foreman"), optional=(),
        model=_record_model, content=content.concealed_content, project=_project_of_record,
        ready=lambda record: True),
    "closure_test": RecordType(
        name="closure_test", title=_l("24-hour closure test"), required=("owner", "foreman"), optional=(),
        model=_closure_model, content=content.closure_test_content,
        project=lambda test: _project_of_record(test.record), ready=lambda test: test.ended_at is not None),
    "notice": RecordType(
        name="notice", title=_l("Receipt of the rectification notice"), required=("foreman", "project_manager"),
        optional=(), model=_notice_model, content=content.notice_content, project=lambda notice: notice.project,
        ready=lambda notice: True),
}


def record_type(name: str) -> RecordType | None:
    """The record type called ``name``, or None."""
    return RECORD_TYPES.get(name)
