"""How inspections plug into the packages below them: penalties, checklists, photos, field sync.

Connected at start-up by :func:`register` (idempotent).
"""
from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.checklists.models import ChecklistTemplate
from portal.checklists.services import TEMPLATE_USERS
from portal.extensions import db
from portal.fieldsync.signals import phone_clock_read
from portal.inspections import signals
from portal.inspections.models import Inspection
from portal.inspections.services import note_phone_clock
from portal.penalties.models import PenaltyKind
from portal.penalties.services import HANDBOOK_MISSING, record_penalty
from portal.photos.locks import PHOTO_LOCKS
from portal.photos.models import Photo


def penalise_missing_handbook(inspection: Inspection, **_extra) -> None:
    """Receiver of ``inspection_finished``: no construction handbook on site is a serious fault of the foreman."""
    if inspection.handbook_present is False and inspection.project.foreman is not None:
        record_penalty(inspection.project.foreman, Role.FOREMAN.value, PenaltyKind.SERIOUS_FAULT,
                       HANDBOOK_MISSING, inspection)


def inspections_on(template: ChecklistTemplate) -> int:
    """How many inspections use this checklist version."""
    return db.session.scalar(select(func.count()).select_from(Inspection).where(Inspection.template_id == template.id))


def finished_inspection_photo(photo: Photo) -> bool:
    """Photos of a finished inspection no longer change."""
    return photo.inspection_id is not None and db.session.get(Inspection, photo.inspection_id).is_completed


def note_clock_of_inspectors_phone(subject, *, user, offset_seconds: int, **_extra) -> None:
    """Receiver of fieldsync's ``phone_clock_read``: a signature on an inspection, or a photo of one
    (upload, deletion), sent from its inspector's phone notes the clock like his answers do."""
    inspection = _inspection_of(subject)
    if inspection is not None and user.id == inspection.inspector_id:
        note_phone_clock(inspection, offset_seconds)


def _inspection_of(subject) -> Inspection | None:
    if isinstance(subject, Inspection):
        return subject
    if isinstance(subject, Photo) and subject.inspection_id is not None:
        return db.session.get(Inspection, subject.inspection_id)
    return None


def register() -> None:
    """Connect the receivers and fill the registries."""
    signals.inspection_finished.connect(penalise_missing_handbook)
    phone_clock_read.connect(note_clock_of_inspectors_phone)
    TEMPLATE_USERS.add("inspections", inspections_on)
    PHOTO_LOCKS.add("inspections", finished_inspection_photo)
