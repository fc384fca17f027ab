"""The markup and plan demo rows: made once, the same after running again."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.photos.models import PhotoMarkup
from portal.plans.demo import seed_markup_demo
from portal.plans.models import FloorPlan, PlanPin
from portal.plans.services import item_pins
from tests.factories import make_failed_inspection, make_photo


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_marks_a_failed_items_photo_and_pins_the_items(app, storage):
    assert seed_markup_demo(storage) == {}  # no checklist photo yet: nothing, no error
    inspection, notice = make_failed_inspection()
    photo = make_photo(inspection=inspection, item_id=notice.items[0].item_id)
    made = seed_markup_demo(storage)
    assert made["photo"] == photo.uuid and made["pins"] == 1
    assert set(item_pins(inspection.id)) == {notice.items[0].item_id}
    before = (count(PhotoMarkup), count(FloorPlan), count(PlanPin))
    assert seed_markup_demo(storage) == made
    assert (count(PhotoMarkup), count(FloorPlan), count(PlanPin)) == before
    plan = db.session.get(FloorPlan, made["plan"])
    assert plan.project_id == inspection.project_id and plan.width == 1600
