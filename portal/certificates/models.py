"""Pass certificates."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.projects.models import Project
from portal.timeutil import utcnow


class PassCertificate(db.Model):
    """The certificate of a passed, fully signed inspection; the issued PDF is kept byte for byte."""

    __tablename__ = "pass_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    grade: Mapped[str] = mapped_column(String(20))
    overall_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pdf_key: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    # What the PDF prints about the project and the inspection, frozen at issue (see
    # ``pdf.printed_facts``): the pages that describe the certificate read these, never the
    # project row, so editing the project later does not change what the certificate says.
    facts: Mapped[dict] = mapped_column(JSON)

    project: Mapped[Project] = relationship()
    inspection: Mapped[Inspection] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])

    @property
    def is_revoked(self) -> bool:
        """Revoked certificates stay on record but prove nothing."""
        return self.revoked_at is not None
