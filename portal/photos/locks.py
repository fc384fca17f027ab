"""When photos no longer change: the record or inspection they document is finished or signed.

Photos do not know inspections: a feature whose records photos document registers a rule
into :data:`PHOTO_LOCKS` (inspections: photos of a finished inspection are locked).

Markup is drawn after the fact (a failed item's photo is marked up for its notice), so it has
its own, narrower rule: it stops changing once a record that shows it is signed, because what
is printed must stay what was signed. A feature that prints photos with their markup registers
a rule into :data:`MARKUP_LOCKS` (rectification: the photos of a notice whose receipt is signed).
"""
from __future__ import annotations

from collections.abc import Callable

from portal.extensions import db
from portal.photos.models import ClosureTest, ConcealedWorksRecord, Photo
from portal.photos.signing import CLOSURE_TEST_RECORD, CONCEALED_RECORD
from portal.registry import Registry
from portal.signatures.services import is_locked

# photo → True when what it documents no longer changes
PHOTO_LOCKS: Registry[Callable[[Photo], bool]] = Registry("photo lock rule")
# photo → True when a signed record shows its markup (the markup no longer changes)
MARKUP_LOCKS: Registry[Callable[[Photo], bool]] = Registry("markup lock rule")


def closure_locked(test: ClosureTest) -> bool:
    """A closure test signed by owner and foreman no longer changes (result, photos)."""
    return test.ended_at is not None and is_locked(CLOSURE_TEST_RECORD, test)


def record_locked(record: ConcealedWorksRecord) -> bool:
    """A concealed-works record no longer changes once finished or fully signed (owner and foreman)."""
    return record.is_finished or is_locked(CONCEALED_RECORD, record)


def photo_locked(photo: Photo) -> bool:
    """Photos of finished inspections and finished concealed-works records no longer change."""
    if photo.record_id is not None:
        return record_locked(db.session.get(ConcealedWorksRecord, photo.record_id))
    return any(rule(photo) for rule in PHOTO_LOCKS.values())


def markup_locked(photo: Photo) -> bool:
    """The photo's markup is signed: its concealed-works record or closure test, or a registered record, is signed."""
    record = db.session.get(ConcealedWorksRecord, photo.record_id) if photo.record_id is not None else None
    if record is not None and is_locked(CONCEALED_RECORD, record):
        return True
    if photo.closure_test_id is not None and closure_locked(db.session.get(ClosureTest, photo.closure_test_id)):
        return True
    return any(rule(photo) for rule in MARKUP_LOCKS.values())
