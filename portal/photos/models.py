"""Photos and the concealed-works records they document."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


class System(StrEnum):
    """Which concealed installation a photo shows."""

    WATER_SUPPLY = "water_supply"
    DRAINAGE = "drainage"
    HEATING = "heating"
    ELECTRICAL = "electrical"
    VENTILATION = "ventilation"
    WATERPROOFING = "waterproofing"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The system in the user's language."""
        return str(SYSTEM_LABELS[self])


SYSTEM_LABELS = {
    System.WATER_SUPPLY: _l("Water supply"), System.DRAINAGE: _l("Drainage"), System.HEATING: _l("Heating"),
    System.ELECTRICAL: _l("Electrical"), System.VENTILATION: _l("Ventilation"),
    System.WATERPROOFING: _l("Waterproofing"), System.OTHER: _l("Other"),
}


class Stage(StrEnum):
    """When the photo was taken."""

    BEFORE_COVERING = "before_covering"
    CLOSURE_START = "closure_start"
    CLOSURE_END = "closure_end"

    @property
    def label(self) -> str:
        """The stage in the user's language."""
        return str({Stage.BEFORE_COVERING: _l("Before covering"), Stage.CLOSURE_START: _l("Closure test start"),
                    Stage.CLOSURE_END: _l("Closure test end")}[self])


class ConcealedWorksRecord(db.Model):
    """The concealed-works record (隐蔽工程验收记录) of a project: photos before covering."""

    __tablename__ = "concealed_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def is_finished(self) -> bool:
        """Finished records take no new photos and lose none."""
        return self.finished_at is not None


class ClosureTest(db.Model):
    """A 24-hour water-closure test (闭水试验) of one wet area."""

    __tablename__ = "closure_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("concealed_records.id"), index=True)
    location: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    leak: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    record: Mapped[ConcealedWorksRecord] = relationship()

class Photo(db.Model):
    """One uploaded photo: the untouched original plus display and thumbnail versions."""

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_inspection_item", "inspection_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    # What it documents: a concealed-works record (optionally a closure test), or a checklist item.
    record_id: Mapped[int | None] = mapped_column(ForeignKey("concealed_records.id"), index=True)
    closure_test_id: Mapped[int | None] = mapped_column(ForeignKey("closure_tests.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_items.id"))
    notice_item_id: Mapped[int | None] = mapped_column(ForeignKey("notice_items.id"), index=True)
    system: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(100), default="")
    stage: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # Evidence facts.
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    captured_at: Mapped[datetime | None]
    device_model: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    format: Mapped[str] = mapped_column(String(10))
    original_key: Mapped[str] = mapped_column(String(200))
    display_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    # Soft delete: evidence never vanishes silently.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delete_reason: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])

    @property
    def is_deleted(self) -> bool:
        """Deleted photos stay on record but are not shown or counted."""
        return self.deleted_at is not None

    @property
    def system_label(self) -> str:
        """The concealed system in the user's language."""
        return System(self.system).label if self.system else ""


class PhotoMarkup(db.Model):
    """One version of the markup drawn on a photo (vector shapes as JSON), with its burned-in versions.

    Versions are never changed or removed: the newest is shown, the earlier ones say who drew
    what and when. An empty version (no shapes) shows the photo unmarked again.
    """

    __tablename__ = "photo_markups"
    __table_args__ = (UniqueConstraint("photo_id", "version", name="uq_photo_markups_photo_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), index=True)
    version: Mapped[int]
    # The phone's id of this save: sending it again (offline outbox) stores nothing new.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    shapes: Mapped[str] = mapped_column(Text)
    shape_count: Mapped[int]
    display_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship()
