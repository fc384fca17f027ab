"""Floor plans of a project and pins placed on them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


class FloorPlan(db.Model):
    """One floor plan (户型图) of a project: the uploaded file untouched, and the image pins are placed on."""

    __tablename__ = "floor_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    source_format: Mapped[str] = mapped_column(String(10))   # PDF, JPEG, PNG, WEBP
    sha256: Mapped[str] = mapped_column(String(64))
    original_key: Mapped[str] = mapped_column(String(200))
    image_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship()
    uploaded_by: Mapped[User] = relationship()


class PlanPin(db.Model):
    """Where on a plan a failed checklist item (inspection + item) or a photo is.

    ``x`` and ``y`` are fractions (0..1) of the plan image's width and height, so a pin stays
    in place whatever the screen. Each placement is a row of its own: the newest one of a
    target is where it is now, the earlier ones say who put it where before.
    """

    __tablename__ = "plan_pins"
    __table_args__ = (Index("ix_plan_pins_inspection_item", "inspection_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("floor_plans.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_items.id"))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"), index=True)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    # The phone's id of this placement: sending it again changes nothing.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[FloorPlan] = relationship()
