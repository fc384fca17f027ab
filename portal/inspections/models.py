"""Inspections, their answers, and the audit trail of every change."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.auth.models import User
from portal.checklists.models import ChecklistItem, ChecklistTemplate
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.fieldsync.clock import clock_is_off
from portal.projects.models import Project
from portal.timeutil import utcnow


class InspectionStatus(StrEnum):
    """Scheduled → in progress (started on site) → completed (result frozen)."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        """The status in the user's language."""
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    InspectionStatus.SCHEDULED: _l("Scheduled"),
    InspectionStatus.IN_PROGRESS: _l("In progress"),
    InspectionStatus.COMPLETED: _l("Completed"),
}


class Outcome(StrEnum):
    """The answer to one item."""

    PASS = "pass"
    FAIL = "fail"
    NA = "na"


class Inspection(db.Model):
    """One pre-acceptance visit of a project: round 1, or a reinspection (round 2, 3, …)."""

    __tablename__ = "inspections"
    __table_args__ = (Index("ix_inspections_inspector_date", "inspector_id", "scheduled_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    scheduled_date: Mapped[date]
    # The weekly schedule's time slot; a change later than 24 hours before it is flagged.
    scheduled_time: Mapped[time | None]
    late_change: Mapped[bool] = mapped_column(default=False)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=InspectionStatus.SCHEDULED.value, index=True)

    # Recorded before starting.
    started_at: Mapped[datetime | None]
    foreman_present: Mapped[bool | None]
    project_manager_present: Mapped[bool | None]
    others_present: Mapped[str] = mapped_column(String(200), default="")
    handbook_present: Mapped[bool | None]

    # Frozen when finished.
    finished_at: Mapped[datetime | None] = mapped_column(index=True)  # dashboards and reports filter by it
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    passed: Mapped[bool | None]
    grade: Mapped[str | None] = mapped_column(String(20))
    passed_count: Mapped[int | None]
    applicable_count: Mapped[int | None]
    overall_rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    category_scores: Mapped[list | None] = mapped_column(JSON)
    fail_reasons: Mapped[list | None] = mapped_column(JSON)
    # The largest offset (seconds, server − phone) of the inspector's phone clock seen on this
    # inspection's field actions; over the threshold it is shown to the office (fieldsync.clock).
    clock_offset_seconds: Mapped[int | None]

    # Project.inspections (read-only): the access rules read which inspectors a project was assigned.
    project: Mapped[Project] = relationship(backref=backref("inspections", viewonly=True))
    template: Mapped[ChecklistTemplate] = relationship()
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    finished_by: Mapped[User | None] = relationship(foreign_keys=[finished_by_id])
    answers: Mapped[list[Answer]] = relationship(back_populates="inspection", cascade="all, delete-orphan",
                                                 foreign_keys="Answer.inspection_id")
    equipment_uses: Mapped[list[InspectionEquipment]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan")

    @property
    def is_started(self) -> bool:
        """The on-site part has begun (presence, equipment and handbook recorded)."""
        return self.status != InspectionStatus.SCHEDULED.value

    @property
    def is_completed(self) -> bool:
        """The result is frozen; answers are read-only."""
        return self.status == InspectionStatus.COMPLETED.value

    @property
    def clock_flagged(self) -> bool:
        """The inspector's phone clock was far off: its times were corrected, not trusted."""
        return clock_is_off(None if self.clock_offset_seconds is None else timedelta(seconds=self.clock_offset_seconds))

    @property
    def status_label(self) -> str:
        """The status in the user's language."""
        return InspectionStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Inspection {self.id} project={self.project_id} round={self.round}>"


class InspectionEquipment(db.Model):
    """Equipment used on an inspection, with its calibration as it was that day."""

    __tablename__ = "inspection_equipment"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), primary_key=True)
    calibrated_on: Mapped[date]
    valid_until: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    inspection: Mapped[Inspection] = relationship(back_populates="equipment_uses")
    equipment: Mapped[Equipment] = relationship()


class Answer(db.Model):
    """The current answer to one item of one inspection; created empty when it starts."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_id"),
        # A few percent of all answers: the dashboard counts failures from this index alone.
        Index("ix_answers_failed_or_na", "inspection_id", "item_id", "outcome",
              postgresql_where=text("outcome IN ('fail', 'na')"), sqlite_where=text("outcome IN ('fail', 'na')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # At a reinspection, items that passed before are carried over as passed (read-only)
    # unless the inspector reopens them for a regression.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    # Incremented on every change; a phone sends the version its change was based on, and a
    # change based on an older version that touches a field changed since is a conflict.
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    inspection: Mapped[Inspection] = relationship(back_populates="answers", foreign_keys=[inspection_id])
    item: Mapped[ChecklistItem] = relationship()


class AnswerChange(db.Model):
    """One change of an answer: who, when, which field, old → new. Never edited."""

    __tablename__ = "answer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server received it
    captured_at: Mapped[datetime | None]  # when it was done on the phone (clock corrected)
    version: Mapped[int | None]  # the answer's version this change made
    field: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()
    item: Mapped[ChecklistItem] = relationship()


class InspectionEvent(db.Model):
    """Lifecycle events of an inspection (started, finished, reopened with reason)."""

    __tablename__ = "inspection_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server received it
    captured_at: Mapped[datetime | None]  # when it was done on the phone (clock corrected)
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()
