"""Rectification notices (限期整改通知单) and their items."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


class NoticeStatus(StrEnum):
    """open → reinspection requested → reinspection scheduled → closed (a passing reinspection)."""

    OPEN = "open"
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    CLOSED = "closed"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        """The status in the user's language."""
        return str({NoticeStatus.OPEN: _l("Open"), NoticeStatus.REQUESTED: _l("Reinspection requested"),
                    NoticeStatus.SCHEDULED: _l("Reinspection scheduled"), NoticeStatus.CLOSED: _l("Closed"),
                    NoticeStatus.SUPERSEDED: _l("Followed by a new notice")}[self])


# Still waiting for rework or reinspection: the states in which a notice holds up the project.
OPEN_NOTICE_STATES = (NoticeStatus.OPEN.value, NoticeStatus.REQUESTED.value, NoticeStatus.SCHEDULED.value)


class ItemState(StrEnum):
    """open → rectified (foreman) → accepted / not accepted (inspector at reinspection)."""

    OPEN = "open"
    RECTIFIED = "rectified"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"

    @property
    def label(self) -> str:
        """The state in the user's language."""
        return str({ItemState.OPEN: _l("To rectify"), ItemState.RECTIFIED: _l("Rectified"),
                    ItemState.ACCEPTED: _l("Accepted"), ItemState.NOT_ACCEPTED: _l("Not accepted")}[self])


class RectificationNotice(db.Model):
    """The notice a failed inspection produces: failed items, required fixes, deadline."""

    __tablename__ = "rectification_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    round: Mapped[int]
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[date]
    reinspection_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.OPEN.value, index=True)
    requested_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reinspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    closed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    items: Mapped[list[NoticeItem]] = relationship(back_populates="notice", order_by="NoticeItem.position",
                                                   cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        """The status in the user's language."""
        return NoticeStatus(self.status).label

    @property
    def is_open(self) -> bool:
        """Still waiting for rework or reinspection."""
        return self.status in OPEN_NOTICE_STATES


class NoticeItem(db.Model):
    """One failed item on a notice, as it was found, with the fix required and its rework."""

    __tablename__ = "notice_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notices.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    position: Mapped[int]
    category_title: Mapped[str] = mapped_column(String(200))
    item_text: Mapped[str] = mapped_column(Text)
    measured_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    limit_text: Mapped[str] = mapped_column(String(60), default="")
    finding: Mapped[str] = mapped_column(Text, default="")
    required_fix: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default=ItemState.OPEN.value)
    rectified_at: Mapped[datetime | None]
    rectified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rectification_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]

    notice: Mapped[RectificationNotice] = relationship(back_populates="items")
    rectified_by: Mapped[User | None] = relationship(foreign_keys=[rectified_by_id])

    @property
    def state_label(self) -> str:
        """The state in the user's language."""
        return ItemState(self.state).label
