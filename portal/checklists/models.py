"""Checklist templates, versioned: categories (分项) in order, each with items in order."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.checklists.limits import Limit
from portal.extensions import db
from portal.timeutil import utcnow


class TemplateStatus(StrEnum):
    """A version is edited as a draft, published for use, and retired when superseded."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        """The status in the user's language."""
        return str({TemplateStatus.DRAFT: _l("Draft"), TemplateStatus.PUBLISHED: _l("Published"),
                    TemplateStatus.RETIRED: _l("Retired")}[self])


# The longest texts an item may have, in the editor and in a checklist file.
TEXT_MAX = 500
UNIT_MAX = 20
FIX_MAX = 1000


class ItemKind(StrEnum):
    """Check items are answered pass / fail / N/A; measured items with a number."""

    CHECK = "check"
    MEASURED = "measured"


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


class ChecklistTemplate(db.Model):
    """One version of a checklist. Versions of the same checklist share ``family``."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("family", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(50), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=TemplateStatus.DRAFT.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_templates.id"))

    categories: Mapped[list[ChecklistCategory]] = relationship(
        back_populates="template", order_by="ChecklistCategory.position", cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        """Name in the user's language."""
        return self.name_en if _english() and self.name_en else self.name

    @property
    def is_draft(self) -> bool:
        """Only drafts are edited in place."""
        return self.status == TemplateStatus.DRAFT.value

    def __repr__(self) -> str:
        return f"<ChecklistTemplate {self.family} v{self.version} {self.status}>"


class ChecklistCategory(db.Model):
    """A category (分项) of a template version."""

    __tablename__ = "checklist_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")

    template: Mapped[ChecklistTemplate] = relationship(back_populates="categories")
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="category", order_by="ChecklistItem.position", cascade="all, delete-orphan")

    @property
    def display_title(self) -> str:
        """Title in the user's language."""
        return self.title_en if _english() and self.title_en else self.title

    @property
    def active_items(self) -> list[ChecklistItem]:
        """Items not retired, in order."""
        return [item for item in self.items if not item.retired]


class ChecklistItem(db.Model):
    """One item to check or measure."""

    __tablename__ = "checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("checklist_categories.id"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default=ItemKind.CHECK.value)
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    limit_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    limit_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    nominal: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    tolerance: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    note_required_on_fail: Mapped[bool] = mapped_column(default=False)
    photo_required_on_fail: Mapped[bool] = mapped_column(default=False)
    # The rectification notice is a Chinese document (item text, fix, PDF), whatever language the
    # inspector reads: it takes ``default_fix``; ``default_fix_en`` is kept with the item in the editor.
    default_fix: Mapped[str] = mapped_column(Text, default="")
    default_fix_en: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(default=False)

    category: Mapped[ChecklistCategory] = relationship(back_populates="items")
    template: Mapped[ChecklistTemplate] = relationship()

    @property
    def is_measured(self) -> bool:
        """True for items answered with a number."""
        return self.kind == ItemKind.MEASURED.value

    @property
    def limit(self) -> Limit:
        """The item's limits as a value object."""
        return Limit(self.limit_min, self.limit_max, self.nominal, self.tolerance)

    @property
    def limit_text(self) -> str:
        """E.g. ``≤ 12 %``; empty for check items."""
        return self.limit.describe(self.unit) if self.is_measured else ""

    @property
    def display_text(self) -> str:
        """Text in the user's language."""
        return self.text_en if _english() and self.text_en else self.text