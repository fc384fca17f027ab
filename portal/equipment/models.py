"""Inspection equipment and its calibration."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow


class Equipment(db.Model):
    """A measuring instrument of the company, calibrated on a schedule (000, 3.1.5)."""

    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    serial_no: Mapped[str] = mapped_column(String(60), unique=True)
    calibrated_on: Mapped[date]
    valid_until: Mapped[date]
    retired: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_valid_on(self, day: date) -> bool:
        """Calibrated and not expired on ``day`` (validity is inclusive of valid_until)."""
        return not self.retired and self.calibrated_on <= day <= self.valid_until

    def __repr__(self) -> str:
        return f"<Equipment {self.serial_no}>"
