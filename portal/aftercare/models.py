"""Completion acceptance, the owner's link, repair requests and complaints."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.timeutil import utcnow


class CompletionAcceptance(db.Model):
    """竣工验收单 with the owner's evaluation (客户评价表), 003 流程24.

    Signed by owner, foreman and inspector; handing over (after every signature and the owner's
    final payment) moves the project to handed over, starts the warranty on ``accepted_on`` and
    issues the warranty card.
    """

    __tablename__ = "completion_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted_on: Mapped[date]
    rating_quality: Mapped[int]
    rating_service: Mapped[int]
    rating_timeliness: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    # 000 (预验收员 办理保修): the inspector explained the warranty process and the owner's page.
    warranty_explained: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handed_over_at: Mapped[datetime | None]
    warranty_start: Mapped[date | None]
    # Kind of work → months, frozen at handover: later changes of the table do not shorten a card.
    warranty_months: Mapped[dict | None] = mapped_column(JSON)
    card_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    card_pdf_key: Mapped[str | None] = mapped_column(String(200))
    # The owner's final payment (尾款, 003 流程25), recorded by office or finance: the card follows it (流程26).
    final_payment_on: Mapped[date | None]
    final_payment_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    final_payment_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    final_payment_recorded_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    final_payment_by: Mapped[User | None] = relationship(foreign_keys=[final_payment_by_id])

    @property
    def is_handed_over(self) -> bool:
        """The project was handed over with this acceptance."""
        return self.handed_over_at is not None


class OwnerLink(db.Model):
    """The owner's revocable link to his project's page; only a hash of its secret is stored."""

    __tablename__ = "owner_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()

    def state(self, now: datetime) -> str:
        """active, revoked or expired."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"


class RepairStatus(StrEnum):
    """Where a repair request stands."""

    OPEN = "open"
    REPAIRED = "repaired"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class RepairRequest(db.Model):
    """报修: a defect reported by the owner (his page) or by office from a phone call (003 流程28)."""

    __tablename__ = "repair_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # owner_page / phone
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    in_warranty: Mapped[bool | None]  # None: no completion acceptance yet
    warranty_last_day: Mapped[date | None]
    warranty_months: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=RepairStatus.OPEN.value)
    contacted_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    dispatched_at: Mapped[datetime | None]
    solution: Mapped[str] = mapped_column(Text, default="")
    visit_on: Mapped[date | None]
    planned_at: Mapped[datetime | None]
    repaired_at: Mapped[datetime | None]
    work_done: Mapped[str] = mapped_column(Text, default="")
    water_test_passed: Mapped[bool | None]
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    responsibility: Mapped[str | None] = mapped_column(String(20))  # crew / company / owner
    charged_foreman_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    follow_up_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    charged_foreman: Mapped[User | None] = relationship(foreign_keys=[charged_foreman_id])


class RepairAttempt(db.Model):
    """One recording of the repair as done, kept as its history: a leak repair whose water test failed
    is done again (001 §11.2.7: 试验合格后，方可进行下一道工序或交付), so a request may have several."""

    __tablename__ = "repair_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    work_done: Mapped[str] = mapped_column(Text, default="")
    water_test_passed: Mapped[bool | None]  # None: no water test for this kind of work
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship()

    @property
    def failed(self) -> bool:
        """The water test failed: the repair was sent back to be done again."""
        return self.water_test_passed is False


class RepairPhoto(db.Model):
    """A photo of the defect sent with a repair request (the owner has no account, so not a portal Photo)."""

    __tablename__ = "repair_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_requests.id"), index=True)
    original_key: Mapped[str] = mapped_column(String(200))
    display_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(db.Model):
    """投诉 (000 第三节 投诉处理制度): registered, passed on, answered, closed with a return visit."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    matter: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    complained_about: Mapped[str] = mapped_column(String(100), default="")  # 被投诉人
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    passed_on_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    return_visit: Mapped[str] = mapped_column(Text, default="")
    satisfied: Mapped[bool | None]
    closed_at: Mapped[datetime | None]
    # A second complaint about the same matter, after the first went through a full round (000 第三节 5).
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    handler_flagged_at: Mapped[datetime | None]  # on the first complaint, when a repeat came in

    project: Mapped[Project] = relationship()
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    repeat_of: Mapped[Complaint | None] = relationship(remote_side=[id])


class ReturnCall(db.Model):
    """保修期电话回访 (003 流程28): one call to the owner in each quarter of the warranty, tried again
    until he is reached; what he said, and whether he is satisfied."""

    __tablename__ = "return_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    quarter_start: Mapped[date] = mapped_column(index=True)  # the first day of the quarter it is for
    called_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reached: Mapped[bool]
    satisfied: Mapped[bool | None]  # None: not reached, or the owner would not say
    note: Mapped[str] = mapped_column(Text, default="")

    called_by: Mapped[User] = relationship()
