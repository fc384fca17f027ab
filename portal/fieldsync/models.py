"""The field actions the server has carried out, by the client id the phone gave them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import utcnow


class FieldAction(db.Model):
    """One action from a phone's outbox that the server carried out, and what it answered.

    A phone sends an action again when it did not get the answer (no signal, a closed tab): the
    same client id then gets the stored answer, and nothing is done twice. The unique constraint
    makes two copies racing each other fail as a whole (the later request is rolled back).
    Refusals are not stored: they changed nothing, and the phone shows them.
    """

    __tablename__ = "field_actions"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    endpoint: Mapped[str] = mapped_column(String(80))
    status: Mapped[int]
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    captured_at: Mapped[datetime | None]  # the phone's clock when the inspector did it
    phone_clock_at: Mapped[datetime | None]  # the phone's clock when it was sent
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    clock_offset_seconds: Mapped[int | None]
