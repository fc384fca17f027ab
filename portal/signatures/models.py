"""Signatures and single-use signing links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.timeutil import utcnow


class Signature(db.Model):
    """A signature (or a refusal signed by a witness) on one role slot of one record."""

    __tablename__ = "signatures"
    __table_args__ = (Index("ix_signatures_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int]
    slot: Mapped[str] = mapped_column(String(30))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server received it
    captured_at: Mapped[datetime | None]  # when it was signed on the phone (clock corrected)
    fingerprint: Mapped[str] = mapped_column(String(64))
    image_key: Mapped[str] = mapped_column(String(200))
    strokes: Mapped[str] = mapped_column(Text)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # Refusal (当事人拒签): the party refused; the image is the witness's signature.
    refused: Mapped[bool] = mapped_column(default=False)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    witness_name: Mapped[str] = mapped_column(String(100), default="")
    witness_relation: Mapped[str] = mapped_column(String(100), default="")
    link_id: Mapped[int | None] = mapped_column(ForeignKey("signing_links.id"))
    # Voided when office reopens the record; stays visible in the history.
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(Text, default="")

    signer_user: Mapped[User | None] = relationship(foreign_keys=[signer_user_id])
    collected_by: Mapped[User | None] = relationship(foreign_keys=[collected_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])

    @property
    def is_void(self) -> bool:
        """Voided signatures no longer count."""
        return self.voided_at is not None


class SigningLink(db.Model):
    """A single-use link for one named signer who is not on site (expires after 72 hours)."""

    __tablename__ = "signing_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int]
    slot: Mapped[str] = mapped_column(String(30))
    signer_name: Mapped[str] = mapped_column(String(100))
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User] = relationship()

    def state(self, now: datetime) -> str:
        """active, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"
