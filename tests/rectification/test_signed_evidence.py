"""What the site team signed stays what is printed: once a notice's receipt is signed (foreman
and project manager), its items' pins and the markup of their photos no longer change; the
foreman's "after" photos, which come later, stay his to mark up. A signed concealed-works
record freezes its photos' markup the same way."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.photos.models import PhotoMarkup
from portal.photos.services import PhotoTarget, concealed_record, latest_markup, store_photo
from portal.plans.models import PlanPin
from portal.plans.services import item_pins
from portal.storage import get_storage
from tests.factories import make_failed_inspection, make_image_bytes, make_photo, make_project, make_signature
from tests.plans.test_views import add_plan

CIRCLE = {"type": "ellipse", "color": "#1e88e5", "width": 0.02, "x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5}


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def mark(client, photo, client_id=None):
    return client.post(f"/photos/{photo.uuid}/markup", data={
        "client_id": client_id or str(uuid.uuid4()), "markup": json.dumps({"shapes": [CIRCLE]})})


def pin(client, inspection, item_id, plan, x, y, client_id=None):
    return client.post(f"/inspections/{inspection.id}/items/{item_id}/pin", data={
        "plan_id": plan.id, "x": x, "y": y, "client_id": client_id or str(uuid.uuid4())})


def versions(photo) -> int:
    return db.session.scalar(select(func.count()).select_from(PhotoMarkup).where(PhotoMarkup.photo_id == photo.id))


def placements(inspection) -> int:
    return db.session.scalar(select(func.count()).select_from(PlanPin).where(PlanPin.inspection_id == inspection.id))


def sign_receipt(notice, slots=("foreman", "project_manager")) -> None:
    users = {"foreman": notice.project.foreman, "project_manager": notice.project.project_manager}
    for slot in slots:
        make_signature("notice", notice, slot, user=users[slot])


@pytest.fixture
def notice_with_evidence(storage):
    """A notice whose item has a marked "before" photo and a pin, and a foreman's "after" photo."""
    inspection, notice = make_failed_inspection()
    item = notice.items[0]
    plan = add_plan(inspection.project)
    before = make_photo(inspection=inspection, item_id=item.item_id)
    after, _created, _keys = store_photo(PhotoTarget(project=notice.project, notice_item_id=item.id, location="主卫"),
                                         str(uuid.uuid4()), make_image_bytes(), notice.project.foreman, get_storage())
    return inspection, notice, item, plan, before, after


def test_before_signing_the_inspector_still_marks_up_and_moves_pins(client, login_as, notice_with_evidence):
    inspection, notice, item, plan, before, _after = notice_with_evidence
    sign_receipt(notice, ("foreman",))  # the project manager has not signed yet: nothing is locked
    login_as(inspection.inspector)
    db.session.commit()
    assert mark(client, before).status_code == 201
    assert pin(client, inspection, item.item_id, plan, 0.5, 0.5).status_code == 201


def test_a_signed_receipt_freezes_the_pins_and_the_markup_it_shows(client, login_as, notice_with_evidence):
    inspection, notice, item, plan, before, _after = notice_with_evidence
    login_as(inspection.inspector)
    db.session.commit()
    marked_id, pinned_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert mark(client, before, marked_id).status_code == 201
    assert pin(client, inspection, item.item_id, plan, 0.25, 0.5, pinned_id).status_code == 201
    sign_receipt(notice)
    db.session.commit()

    refused = mark(client, before)
    assert refused.status_code == 409 and refused.json["code"] == "markup_locked"
    assert "signed record" in refused.json["error"]
    editor = client.get(f"/photos/{before.uuid}/markup")  # the photo as signed, no drawing tools
    assert editor.status_code == 200 and "signed record" in editor.text
    assert 'name="client_id"' not in editor.text and "data-tool" not in editor.text and "konva" not in editor.text
    assert f'/photos/{before.uuid}/display"' in editor.text and "Version 1" in editor.text
    assert versions(before) == 1 and latest_markup(before).version == 1
    assert mark(client, before, marked_id).status_code == 200  # the save from before the signature, sent again

    moved = pin(client, inspection, item.item_id, plan, 0.75, 0.75)
    assert moved.status_code == 409 and "can no longer move" in moved.json["error"]
    assert pin(client, inspection, item.item_id, plan, 0.25, 0.5, pinned_id).status_code == 200  # a replay
    assert placements(inspection) == 1
    assert (item_pins(inspection.id)[item.item_id].x, item_pins(inspection.id)[item.item_id].y) == (0.25, 0.5)
    page = client.get(f"/inspections/{inspection.id}/items/{item.item_id}/pin")
    assert page.status_code == 200 and "can no longer move" in page.text
    assert 'name="client_id"' not in page.text and 'data-x="0.25" data-y="0.5"' in page.text


def test_the_foremans_after_photos_stay_his_to_mark_up_after_the_receipt(client, login_as, notice_with_evidence):
    _inspection, notice, _item, _plan, before, after = notice_with_evidence
    sign_receipt(notice)
    login_as(notice.project.foreman)
    db.session.commit()
    assert client.get(f"/photos/{after.uuid}/markup").status_code == 200
    assert mark(client, after).status_code == 201
    assert mark(client, before).status_code == 409


def test_a_signed_concealed_works_record_freezes_its_photos_markup(client, login_as, storage):
    project = make_project()
    photo = make_photo(project)
    record = concealed_record(project)
    login_as(project.foreman)
    db.session.commit()
    assert mark(client, photo).status_code == 201
    make_signature("concealed", record, "owner")
    make_signature("concealed", record, "foreman", user=project.foreman)
    db.session.commit()
    assert mark(client, photo).status_code == 409
    assert versions(photo) == 1
