"""The weekly pre-acceptance list (engineering, due Wednesday) and inspectors' calendar feeds."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


class WeeklySubmission(db.Model):
    """Engineering's list of projects ready for pre-acceptance in the week starting ``week_start`` (a Monday)."""

    __tablename__ = "weekly_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(unique=True)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[SubmissionEntry]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                          order_by="SubmissionEntry.id")
    submitted_by: Mapped[User | None] = relationship()


class SubmissionEntry(db.Model):
    """One project on the weekly list; ``owner_delay`` is the 3.1.2 exception with its reason."""

    __tablename__ = "submission_entries"
    __table_args__ = (UniqueConstraint("submission_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("weekly_submissions.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    owner_delay: Mapped[bool] = mapped_column(default=False)
    owner_delay_reason: Mapped[str] = mapped_column(Text, default="")
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    submission: Mapped[WeeklySubmission] = relationship(back_populates="entries")
    project: Mapped[Project] = relationship()


class CalendarToken(db.Model):
    """The secret of an inspector's ICS feed URL; only its hash is stored; revocable."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Award(db.Model):
    """A monthly excellent-site award (proposal confirmed by office)."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("month", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(index=True)  # first day of the month
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    rank: Mapped[int]
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship()
