"""Template versions: loading the default, drafting, editing, publishing, retiring.

Edits never touch a version that inspections may use: they go into the family's draft,
which is created from the current published version on the first edit. Publishing makes
the draft the version new inspections start on; every inspection keeps its own version.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import uuid4

from sqlalchemy import func, select

from portal.checklists.checklist_file import read_checklist
from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate, ItemKind, TemplateStatus
from portal.extensions import db
from portal.registry import Registry
from portal.timeutil import utcnow

DEFAULT_FAMILY = "default"

# Features whose records use a checklist version (inspections registers one): each counts those records.
TEMPLATE_USERS: Registry[Callable[[ChecklistTemplate], int]] = Registry("checklist user")


class TemplateError(ValueError):
    """An edit that the template's state does not allow; ``code`` says which."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def load_default_template(checklist: dict | None = None) -> ChecklistTemplate:
    """Create version 1 of the default checklist unless it exists.

    ``checklist``: as :func:`portal.checklists.checklist_file.read_checklist` returns it
    (validated); by default the company's default file. A bad file raises ChecklistFileError
    before anything is added, even when version 1 exists already.
    """
    checklist = checklist if checklist is not None else read_checklist()
    existing = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.family == DEFAULT_FAMILY)
                                 .order_by(ChecklistTemplate.version).limit(1))
    if existing is not None:
        return existing
    template = ChecklistTemplate(family=DEFAULT_FAMILY, version=1, name=checklist["name"],
                                 name_en=checklist["name_en"], status=TemplateStatus.PUBLISHED.value,
                                 published_at=utcnow())
    for c_pos, spec in enumerate(checklist["categories"], start=1):
        category = ChecklistCategory(position=c_pos, code=spec["code"], title=spec["title"], title_en=spec["title_en"])
        template.categories.append(category)
        for i_pos, item in enumerate(spec["items"], start=1):
            category.items.append(_item_from_spec(template, i_pos, item))
    db.session.add(template)
    db.session.flush()
    return template


def _item_from_spec(template: ChecklistTemplate, position: int, spec: dict) -> ChecklistItem:
    def dec(key: str) -> Decimal | None:
        return Decimal(spec[key]) if spec.get(key) is not None else None

    return ChecklistItem(
        template=template, position=position, code=spec["code"], kind=spec["kind"], text=spec["text"],
        text_en=spec.get("text_en", ""), unit=spec.get("unit", ""), limit_min=dec("limit_min"),
        limit_max=dec("limit_max"), nominal=dec("nominal"), tolerance=dec("tolerance"),
        note_required_on_fail=spec.get("note_required_on_fail", False),
        photo_required_on_fail=spec.get("photo_required_on_fail", False),
        default_fix=spec.get("default_fix", ""), default_fix_en=spec.get("default_fix_en", ""))


def current_template(family: str = DEFAULT_FAMILY) -> ChecklistTemplate | None:
    """The newest published version of ``family``: the one new inspections start on."""
    return db.session.scalar(
        select(ChecklistTemplate)
        .where(ChecklistTemplate.family == family, ChecklistTemplate.status == TemplateStatus.PUBLISHED.value)
        .order_by(ChecklistTemplate.version.desc()).limit(1))


def family_versions(family: str) -> list[ChecklistTemplate]:
    """All versions of a family, newest first."""
    return list(db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.family == family)
                                   .order_by(ChecklistTemplate.version.desc())))


def draft_of(family: str) -> ChecklistTemplate | None:
    """The family's draft, if one is being edited."""
    return db.session.scalar(select(ChecklistTemplate).where(
        ChecklistTemplate.family == family, ChecklistTemplate.status == TemplateStatus.DRAFT.value))


def open_draft(family: str, user_id: int | None) -> ChecklistTemplate:
    """The family's draft; created as a copy of the current version (else the newest) when there is none."""
    draft = draft_of(family)
    if draft is not None:
        return draft
    source = current_template(family) or family_versions(family)[0]
    next_version = db.session.scalar(select(func.max(ChecklistTemplate.version))
                                     .where(ChecklistTemplate.family == family)) + 1
    draft = ChecklistTemplate(family=family, version=next_version, name=source.name, name_en=source.name_en,
                              status=TemplateStatus.DRAFT.value, created_by_id=user_id, based_on_id=source.id)
    for category in source.categories:
        copy = ChecklistCategory(position=category.position, code=category.code, title=category.title,
                                 title_en=category.title_en)
        draft.categories.append(copy)
        for item in category.active_items:
            copy.items.append(_copy_item(draft, item))
    db.session.add(draft)
    db.session.flush()
    return draft


def _copy_item(template: ChecklistTemplate, item: ChecklistItem) -> ChecklistItem:
    fields = ("position", "code", "kind", "text", "text_en", "unit", "limit_min", "limit_max", "nominal",
              "tolerance", "note_required_on_fail", "photo_required_on_fail", "default_fix", "default_fix_en")
    return ChecklistItem(template=template, **{name: getattr(item, name) for name in fields})


def require_draft(template: ChecklistTemplate) -> None:
    """Only drafts are edited; published and retired versions are frozen."""
    if not template.is_draft:
        raise TemplateError("not_draft")


def publish(template: ChecklistTemplate) -> None:
    """Make a draft the current version. It needs at least one active item."""
    require_draft(template)
    if not any(category.active_items for category in template.categories):
        raise TemplateError("empty")
    template.status = TemplateStatus.PUBLISHED.value
    template.published_at = utcnow()
    db.session.flush()


def retire(template: ChecklistTemplate) -> None:
    """Retire a published version: no new inspections start on it; existing ones keep it."""
    if template.status != TemplateStatus.PUBLISHED.value:
        raise TemplateError("not_published")
    template.status = TemplateStatus.RETIRED.value
    template.retired_at = utcnow()
    db.session.flush()


def save_item(template: ChecklistTemplate, item: ChecklistItem | None, category: ChecklistCategory,
              values: dict) -> ChecklistItem:
    """Add an item at the end of ``category`` or update ``item`` with ``values`` (draft only)."""
    require_draft(template)
    if category.template_id != template.id:
        raise TemplateError("wrong_category")
    if item is None:
        position = max((i.position for i in category.items), default=0) + 1
        item = ChecklistItem(template=template, category=category, position=position,
                             code=values.pop("code", None) or f"{category.code}.{uuid4().hex[:8]}")
        db.session.add(item)
    elif item.category_id != category.id:
        item.category = category
        item.position = max((i.position for i in category.items if i.id != item.id), default=0) + 1
    for name, value in values.items():
        setattr(item, name, value)
    if item.kind == ItemKind.CHECK.value:
        item.unit, item.limit_min, item.limit_max, item.nominal, item.tolerance = "", None, None, None, None
    db.session.flush()
    return item


def move_item(item: ChecklistItem, direction: int) -> None:
    """Swap the item with its active neighbour above (-1) or below (+1) within its category."""
    template = item.category.template
    require_draft(template)
    siblings = [i for i in item.category.items if not i.retired or i is item]
    index = siblings.index(item)
    other = index + direction
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = siblings[other].position, siblings[index].position
        db.session.flush()
        db.session.expire(item.category, ["items"])


def set_item_retired(item: ChecklistItem, retired: bool) -> None:
    """Retire an item (left out of new inspections) or bring it back, in a draft."""
    require_draft(item.category.template)
    item.retired = retired
    db.session.flush()


def template_in_use(template: ChecklistTemplate) -> int:
    """How many records (inspections) use this version; see TEMPLATE_USERS."""
    return sum(count(template) for count in TEMPLATE_USERS.values())
