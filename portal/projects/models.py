"""The Project model."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.timeutil import utcnow


class ProjectStatus(StrEnum):
    """Where the company's own work on the flat stands."""

    IN_PROGRESS = "in_progress"
    WORK_COMPLETE = "work_complete"
    HANDED_OVER = "handed_over"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        """The status in the user's language."""
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ProjectStatus.IN_PROGRESS: _l("Under construction"),
    ProjectStatus.WORK_COMPLETE: _l("Company work complete"),
    ProjectStatus.HANDED_OVER: _l("Handed over"),
    ProjectStatus.SUSPENDED: _l("Suspended"),
}


class Project(db.Model):
    """A renovation contract for one flat, identified by its 档案号."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(9), unique=True)
    address: Mapped[str] = mapped_column(String(255))
    owner_name: Mapped[str] = mapped_column(String(100))
    owner_phone: Mapped[str] = mapped_column(String(30))
    design_studio: Mapped[str] = mapped_column(String(100))
    designer: Mapped[str] = mapped_column(String(100))
    project_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    foreman_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contract_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    start_date: Mapped[date]
    planned_completion: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.IN_PROGRESS.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    project_manager: Mapped[User | None] = relationship(foreign_keys=[project_manager_id])
    foreman: Mapped[User | None] = relationship(foreign_keys=[foreman_id])

    @property
    def status_label(self) -> str:
        """The status in the user's language."""
        return ProjectStatus(self.status).label

    def __repr__(self) -> str:
        return f"<Project {self.contract_no}>"
