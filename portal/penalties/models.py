"""Penalty records for HR."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.timeutil import utcnow


class PenaltyKind(StrEnum):
    """How serious the fault is."""

    GENERAL_FAULT = "general_fault"
    SERIOUS_FAULT = "serious_fault"
    REPLACEMENT = "replacement"

    @property
    def label(self) -> str:
        """The kind in the user's language."""
        return str({PenaltyKind.GENERAL_FAULT: _l("General fault"), PenaltyKind.SERIOUS_FAULT: _l("Serious fault"),
                    PenaltyKind.REPLACEMENT: _l("Replaced, fined and order stop")}[self])


class Penalty(db.Model):
    """A fault recorded against a person for one inspection; annulled, never deleted."""

    __tablename__ = "penalties"
    __table_args__ = (UniqueConstraint("inspection_id", "person_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    order_stop_until: Mapped[date | None]
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    annulled_at: Mapped[datetime | None]
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    annul_reason: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[User] = relationship(foreign_keys=[person_id])

    @property
    def kind_label(self) -> str:
        """The kind in the user's language."""
        return PenaltyKind(self.kind).label
