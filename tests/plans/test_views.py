"""Floor plans and pins over HTTP: upload (good and bad files, nothing half stored), who sees
a plan, placing and moving a failed item's pin, bad pins."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.auth.roles import Role
from portal.extensions import db
from portal.plans import services
from portal.photos.models import PhotoMarkup
from portal.plans.models import FloorPlan, PlanPin
from tests.factories import make_failed_inspection, make_inspection, make_project, make_user
from tests.plans.test_imaging import plan_image, plan_pdf


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def stored(store) -> list[str]:
    root = store.root / "plans"
    return sorted(p.relative_to(store.root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def plan_count(project) -> int:
    return db.session.scalar(select(func.count()).select_from(FloorPlan).where(FloorPlan.project_id == project.id))


def upload(client, project, data: bytes, name="plan.pdf", title="一层"):
    return client.post(f"/projects/{project.id}/plans", data={"title": title, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def add_plan(project, user=None, data=None, storage=None):
    """A stored plan of ``project`` (made by the services, as an upload would)."""
    from portal.storage import get_storage

    plan, _keys = services.store_plan(project, "一层", data or plan_image(), user or make_user(Role.OFFICE),
                                      storage or get_storage())
    return plan


def body(client, url: str) -> tuple[int, bytes]:
    response = client.get(url)
    try:
        return response.status_code, response.get_data()
    finally:
        response.close()


@pytest.mark.parametrize("data, name, fmt", [(plan_pdf(), "户型图.pdf", "PDF"), (plan_image(fmt="JPEG"), "plan.jpg", "JPEG")])
def test_office_uploads_a_plan_as_pdf_or_image(client, login_as, storage, data, name, fmt):
    project = make_project()
    login_as(Role.OFFICE)
    db.session.commit()
    response = upload(client, project, data, name)
    assert response.status_code == 303
    plan = services.project_plans(project.id)[0]
    assert (plan.title, plan.source_format) == ("一层", fmt)
    assert body(client, f"/plans/{plan.id}/original") == (200, data)
    status, image = body(client, f"/plans/{plan.id}/image")
    assert status == 200 and image[:2] == b"\xff\xd8"
    page = client.get(f"/projects/{project.id}/plans").text
    assert f"/plans/{plan.id}/image" in page and "一层" in page


@pytest.mark.parametrize("data, message", [
    (b"not a plan at all", "not a floor plan"),
    (b"%PDF-1.4 broken", "PDF could not be read"),
    (plan_image(fmt="JPEG")[:1500], "not a floor plan"),
])
def test_an_unreadable_plan_is_a_422_and_nothing_is_stored(client, login_as, storage, data, message):
    project = make_project()
    login_as(Role.ENGINEERING)
    db.session.commit()
    response = upload(client, project, data)
    assert response.status_code == 422 and message in response.text
    assert plan_count(project) == 0 and stored(storage) == []


def test_a_plan_over_the_request_limit_is_a_422_on_the_plan_form(client, login_as, storage):
    project = make_project()
    login_as(Role.OFFICE)
    db.session.commit()
    # Encoded here, in memory: the test client would spool a body this big to a temp file it never closes.
    boundary, data = encode_multipart({"title": "一层", "file": FileStorage(
        io.BytesIO(b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024)), "户型图.pdf", content_type="application/pdf")})
    response = client.post(f"/projects/{project.id}/plans", data=data,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "The plan file is too large (at most 20 MB)." in response.text
    assert "Photos may be" not in response.text and 'id="plan-file"' in response.text  # the plan form again
    assert plan_count(project) == 0 and stored(storage) == []


def test_an_oversize_body_elsewhere_or_from_someone_not_allowed_keeps_the_plain_413(client, login_as, storage):
    project = make_project()
    boundary, data = encode_multipart({"title": "一层", "file": FileStorage(
        io.BytesIO(b"0" * (21 * 1024 * 1024)), "plan.png", content_type="image/png")})
    login_as(Role.FOREMAN)  # sees no project: the upload is not revealed to him
    db.session.commit()
    response = client.post(f"/projects/{project.id}/plans", data=data,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 404
    login_as(Role.FINANCE)  # sees the project, adds no plans
    response = client.post(f"/projects/{project.id}/plans", data=data,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 403
    assert plan_count(project) == 0 and stored(storage) == []


@pytest.mark.parametrize("size", [(8000, 7000), (10001, 10000)])  # 56 MP (Pillow warns), 100 MP (Pillow refuses)
def test_a_plan_of_too_many_megapixels_is_a_422_and_nothing_is_stored(client, login_as, storage, size):
    project = make_project()
    login_as(Role.INSPECTOR)
    db.session.commit()
    out = io.BytesIO()
    Image.new("1", size, 1).save(out, "PNG")  # a few KB on the wire, far too many pixels
    response = upload(client, project, out.getvalue(), name="plan.png")
    assert response.status_code == 422 and "more than 50 megapixels" in response.text
    assert plan_count(project) == 0 and stored(storage) == []


def test_a_plan_that_cannot_be_stored_leaves_no_files(client, login_as, app, tmp_path):
    from tests.fakes import FailingStorage

    project = make_project()
    login_as(Role.OFFICE)
    db.session.commit()
    previous = app.extensions.get("portal_storage")
    store = app.extensions["portal_storage"] = FailingStorage(tmp_path / "store", fail_on=2)
    try:
        response = upload(client, project, plan_image())
    finally:
        app.extensions["portal_storage"] = previous
    assert response.status_code == 507 and plan_count(project) == 0 and stored(store) == []


def test_a_plan_without_title_or_file_is_a_422(client, login_as, storage):
    project = make_project()
    login_as(Role.OFFICE)
    db.session.commit()
    assert upload(client, project, plan_image(), title="").status_code == 422
    assert client.post(f"/projects/{project.id}/plans", data={"title": "x"}).status_code == 422
    assert plan_count(project) == 0


def test_a_foreman_of_another_project_cannot_see_the_plan(client, login_as, storage):
    foreman = make_user(Role.FOREMAN)
    own, other = make_project(foreman=foreman), make_project()
    own_plan, other_plan = add_plan(own), add_plan(other)
    login_as(foreman)
    db.session.commit()
    assert body(client, f"/plans/{own_plan.id}/image")[0] == 200
    for url in (f"/plans/{other_plan.id}/image", f"/plans/{other_plan.id}/original", f"/projects/{other.id}/plans"):
        assert body(client, url)[0] == 404, url
    # and he does not upload plans, not even to his own project
    assert upload(client, own, plan_image()).status_code == 403


# --- pins -----------------------------------------------------------------------------------

def pin(client, inspection, item_id, plan, x, y, client_id=None):
    return client.post(f"/inspections/{inspection.id}/items/{item_id}/pin", data={
        "plan_id": plan.id, "x": x, "y": y, "client_id": client_id or str(uuid.uuid4())})


def failed_item(storage):
    inspection, notice = make_failed_inspection()
    return inspection, notice.items[0].item_id, add_plan(inspection.project)


def test_the_inspector_pins_a_failed_item_and_moves_it(client, login_as, storage):
    inspection, item_id, plan = failed_item(storage)
    login_as(inspection.inspector)
    db.session.commit()
    page = client.get(f"/inspections/{inspection.id}/items/{item_id}/pin")
    assert page.status_code == 200 and f"/plans/{plan.id}/image" in page.text
    first = pin(client, inspection, item_id, plan, "0.25", "0.5")
    assert first.status_code == 201 and first.json == {"plan_id": plan.id, "x": 0.25, "y": 0.5}
    second = pin(client, inspection, item_id, plan, 0.75, 0.125)
    assert second.status_code == 201
    current = services.item_pins(inspection.id)
    assert {key: (p.x, p.y) for key, p in current.items()} == {item_id: (0.75, 0.125)}
    placements = db.session.scalars(select(PlanPin).where(PlanPin.inspection_id == inspection.id)).all()
    assert len(placements) == 2  # the earlier place stays on record
    assert 'value="0.75"' in client.get(f"/inspections/{inspection.id}/items/{item_id}/pin").text


def test_the_same_pin_sent_again_changes_nothing(client, login_as, storage):
    inspection, item_id, plan = failed_item(storage)
    login_as(inspection.inspector)
    db.session.commit()
    client_id = str(uuid.uuid4())
    assert pin(client, inspection, item_id, plan, 0.2, 0.2, client_id).status_code == 201
    assert pin(client, inspection, item_id, plan, 0.6, 0.6).status_code == 201
    replay = pin(client, inspection, item_id, plan, 0.2, 0.2, client_id)   # an old queued placement
    assert replay.status_code == 200
    stored_pin = services.item_pins(inspection.id)[item_id]
    assert (stored_pin.x, stored_pin.y) == (0.6, 0.6)


@pytest.mark.parametrize("x, y", [("1.2", "0.5"), ("-0.1", "0.5"), ("nan", "0.5"), ("", ""), ("a", "b")])
def test_a_pin_outside_the_plan_is_a_422(client, login_as, storage, x, y):
    inspection, item_id, plan = failed_item(storage)
    login_as(inspection.inspector)
    db.session.commit()
    response = pin(client, inspection, item_id, plan, x, y)
    assert response.status_code == 422 and "must be on the plan" in response.json["error"]
    assert services.item_pins(inspection.id) == {}


def test_a_plan_of_another_project_or_a_missing_id_is_refused(client, login_as, storage):
    inspection, item_id, _plan = failed_item(storage)
    foreign = add_plan(make_project())
    login_as(inspection.inspector)
    db.session.commit()
    assert pin(client, inspection, item_id, foreign, 0.5, 0.5).status_code == 422
    response = client.post(f"/inspections/{inspection.id}/items/{item_id}/pin",
                           data={"plan_id": foreign.id, "x": 0.5, "y": 0.5})
    assert response.status_code == 422 and "identifier" in response.json["error"]
    assert services.item_pins(inspection.id) == {}


def test_another_inspector_cannot_pin(client, login_as, storage):
    inspection, item_id, plan = failed_item(storage)
    login_as(Role.INSPECTOR)
    db.session.commit()
    assert pin(client, inspection, item_id, plan, 0.5, 0.5).status_code == 404
    assert services.item_pins(inspection.id) == {}


def test_the_checklist_offers_the_pin_for_failed_items(client, login_as, storage):
    inspection = make_inspection()
    add_plan(inspection.project)
    login_as(inspection.inspector)
    db.session.commit()
    from portal.inspections.services import load_answers

    row = next(r for r in load_answers(inspection) if not r.item.is_measured)
    response = client.post(f"/inspections/{inspection.id}/items/{row.item_id}", data={"outcome": "fail"},
                           headers={"HX-Request": "true", "HX-Target": f"item-{row.item_id}"})
    assert response.status_code == 200
    assert f"/inspections/{inspection.id}/items/{row.item_id}/pin" in response.text



# --- concealed-works photos ------------------------------------------------------------------

def photo_pin(client, photo, plan, x, y):
    return client.post(f"/photos/{photo.uuid}/pin", data={"plan_id": plan.id, "x": x, "y": y,
                                                          "client_id": str(uuid.uuid4())})


def test_the_foreman_pins_a_concealed_works_photo_and_the_plan_lists_it(client, login_as, storage):
    from tests.factories import make_photo

    foreman = make_user(Role.FOREMAN)
    project = make_project(foreman=foreman)
    plan = add_plan(project)
    photo = make_photo(project, location="主卫")
    login_as(foreman)
    db.session.commit()
    assert f"/photos/{photo.uuid}/pin" in client.get(f"/projects/{project.id}/concealed").text
    assert client.get(f"/photos/{photo.uuid}/pin").status_code == 200
    assert photo_pin(client, photo, plan, 0.4, 0.6).status_code == 201
    page = client.get(f"/projects/{project.id}/plans").text
    assert 'data-label="1" data-x="0.4" data-y="0.6"' in page and "主卫" in page
    assert photo_pin(client, photo, plan, 1.5, 0.6).status_code == 422


def test_concealed_photo_pins_are_refused_to_others(client, login_as, storage):
    from tests.factories import make_photo

    project = make_project()
    plan = add_plan(project)
    photo = make_photo(project)
    inspection, notice = make_failed_inspection()
    item_photo = make_photo(inspection=inspection, item_id=notice.items[0].item_id)
    login_as(Role.FOREMAN)  # foreman of no project
    db.session.commit()
    assert photo_pin(client, photo, plan, 0.5, 0.5).status_code == 404
    login_as(Role.FINANCE)  # sees every project, pins nothing
    assert photo_pin(client, photo, plan, 0.5, 0.5).status_code == 403
    login_as(Role.INSPECTOR)
    assert client.get(f"/photos/{item_photo.uuid}/pin").status_code == 404  # pinned with its item instead
    assert services.photo_pins([photo.id]) == {}


# --- cleanup-uploads --------------------------------------------------------------------------

def test_cleanup_uploads_removes_orphaned_plans_and_marked_versions(app, client, login_as, storage):
    import os
    import time

    from tests.factories import make_photo

    project = make_project()
    kept_plan = add_plan(project)
    photo = make_photo(project)
    login_as(Role.INSPECTOR)
    db.session.commit()
    assert client.post(f"/photos/{photo.uuid}/markup", data={
        "client_id": str(uuid.uuid4()),
        "markup": '{"shapes":[{"type":"rect","color":"#e53935","x":0.1,"y":0.1,"w":0.2,"h":0.2}]}'}).status_code == 201
    photo_folder = storage.path(photo.display_key).parent
    stray_marked = photo_folder / "markup-9-deadbeef-display.jpg"
    stray_marked.write_bytes(b"left by a killed save")
    stray_plan = storage.root / "plans" / str(project.id) / "0123456789abcdef"
    stray_plan.mkdir(parents=True)
    (stray_plan / "plan.jpg").write_bytes(b"left by a killed upload")
    past = time.time() - 7200
    for path in (stray_marked, stray_plan, photo_folder, storage.path(kept_plan.image_key).parent):
        os.utime(path, (past, past))
    result = app.test_cli_runner().invoke(args=["cleanup-uploads", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "2 orphaned files" in result.output
    assert not stray_marked.exists() and not stray_plan.exists()
    marked = db.session.scalar(select(PhotoMarkup))
    assert all(storage.exists(key) for key in (kept_plan.image_key, kept_plan.original_key, marked.display_key,
                                              marked.thumb_key, photo.original_key))
