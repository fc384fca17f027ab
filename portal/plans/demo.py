"""Demo rows for photo markup and floor plans: a marked photo of a failed item and a plan with its pins.

:func:`seed_markup_demo` is idempotent (fixed ids derived from the photo and item ids): run
after the demo's inspections, notices and photos exist, it takes the newest checklist photo
(photos of checklist items document failed items), circles the middle of it, gives its
project a generated floor plan and pins every photographed item of that inspection on it,
so the open notice of that inspection shows numbered pins and a marked photo.
"""
from __future__ import annotations

import io
import uuid

from PIL import Image, ImageDraw
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.photos import markup
from portal.photos.imaging import cjk_font
from portal.photos.models import Photo
from portal.photos.services import save_markup
from portal.plans.models import FloorPlan
from portal.plans.services import place_pin, store_plan
from portal.storage import Storage

DEMO_PLAN_TITLE = "一层（示例户型图）"
NAMESPACE = uuid.UUID("8d0f3c52-3f55-4c1e-9a6e-5b0d1e7f2a10")
CIRCLE = {"type": "ellipse", "color": "#e53935", "width": 0.01, "x": 0.3, "y": 0.3, "w": 0.4, "h": 0.4}
NOTE = {"type": "text", "color": "#fdd835", "x": 0.3, "y": 0.18, "text": "此处需整改", "size": 0.05}


def seed_markup_demo(storage: Storage) -> dict:
    """Mark the newest checklist photo and pin its inspection's photographed items on a demo plan.

    Returns what it made (``{"photo": uuid, "plan": id, "pins": n}``), or ``{}`` when the
    demo has no checklist photo yet. Only flushes; the caller commits.
    """
    photo = db.session.scalar(select(Photo).where(Photo.item_id.is_not(None), Photo.inspection_id.is_not(None),
                                                  Photo.deleted_at.is_(None)).order_by(Photo.id.desc()).limit(1))
    if photo is None:
        return {}
    author = db.session.get(User, photo.uploaded_by_id)
    save_markup(photo, _client_id("markup", photo.id), markup.parse(markup.dumps([CIRCLE, NOTE])), author, storage)
    plan = _demo_plan(photo.project, author, storage)
    item_ids = sorted(set(db.session.scalars(select(Photo.item_id).where(
        Photo.inspection_id == photo.inspection_id, Photo.item_id.is_not(None), Photo.deleted_at.is_(None)))))
    for index, item_id in enumerate(item_ids):
        x, y = 0.2 + 0.6 * ((index * 0.37) % 1), 0.25 + 0.5 * ((index * 0.61) % 1)
        place_pin(plan, author, _client_id("pin", photo.inspection_id, item_id), x, y,
                  inspection_id=photo.inspection_id, item_id=item_id)
    return {"photo": photo.uuid, "plan": plan.id, "pins": len(item_ids)}


def _demo_plan(project, author: User, storage: Storage) -> FloorPlan:
    """The project's demo plan, drawn and stored on first use."""
    plan = db.session.scalar(select(FloorPlan).where(FloorPlan.project_id == project.id,
                                                     FloorPlan.title == DEMO_PLAN_TITLE))
    if plan is None:
        plan, _keys = store_plan(project, DEMO_PLAN_TITLE, _plan_png(), author, storage)
    return plan


def _plan_png() -> bytes:
    """A simple two-bedroom plan: outer walls, partitions, door gaps, room names."""
    image = Image.new("RGB", (1600, 1100), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, 1560, 1060], outline="black", width=14)
    for line in (((620, 40), (620, 700)), ((1100, 40), (1100, 700)), ((40, 700), (1560, 700)),
                 ((900, 700), (900, 1060))):
        draw.line(line, fill="black", width=8)
    for gap in ((560, 694, 620, 706), (1040, 694, 1100, 706), (900, 760, 912, 840)):
        draw.rectangle(gap, fill="white")
    font = cjk_font(40)
    for label, position in (("主卧", (300, 350)), ("次卧", (840, 350)), ("主卫", (1300, 350)),
                            ("客厅", (450, 880)), ("厨房", (1200, 880))):
        draw.text(position, label, fill=(90, 90, 90), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _client_id(*parts) -> str:
    """A fixed UUID for a demo row, so running the seed again stores nothing new."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))
