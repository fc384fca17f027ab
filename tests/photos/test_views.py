"""Photo routes over HTTP: uploading (good and bad input), serving with access rules and
caching, soft delete, required item photos, the owner's ZIP archive, closure tests and the
cleanup-uploads command.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
import time
import uuid
import zipfile
from datetime import datetime, timedelta

import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder, encode_multipart

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.services import answers_version, finish, load_answers, save_answer, save_note, summarise
from portal.photos import services
from portal.photos.models import ClosureTest, Photo
from portal.projects.models import Project
from portal.storage import FileSystemStorage
from portal.timeutil import COMPANY_TZ, utcnow
from tests.factories import make_image_bytes, make_inspection, make_photo, make_project
from tests.fakes import FailingStorage
from tests.photos.test_imaging import (
    ORIENTATION_6, WEASYPRINT_LOADED, giant_exif, png_declaring, tiff_exif, truncated_jpeg, truncated_png,
)

NO_PHOTO = "00000000-0000-4000-8000-000000000000"
POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them (the default language is Chinese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def stored_files(store: FileSystemStorage) -> list[str]:
    """Every file under the store's photos/ folder, as keys."""
    return sorted(p.relative_to(store.root).as_posix() for p in (store.root / "photos").rglob("*") if p.is_file())


def photo_rows(project) -> int:
    """Photo rows of ``project``, deleted or not."""
    return db.session.scalar(select(func.count()).select_from(Photo).where(Photo.project_id == project.id))


def upload(client, project, data: bytes, *, photo_uuid: str | None = None, filename: str = "IMG_0001.jpg",
           content_type: str = "image/jpeg", **fields):
    """POST a concealed-works photo of ``project`` as the logged-in user."""
    form = {"uuid": photo_uuid or str(uuid.uuid4()), "file": (io.BytesIO(data), filename, content_type),
            "system": "water_supply", "location": "主卫", "stage": "before_covering", **fields}
    return client.post(f"/projects/{project.id}/concealed/photos", data=form, content_type="multipart/form-data")


def upload_item(client, inspection, item_id: int, data: bytes, photo_uuid: str | None = None):
    """POST a checklist-item photo as the logged-in user."""
    form = {"uuid": photo_uuid or str(uuid.uuid4()), "file": (io.BytesIO(data), "item.jpg", "image/jpeg")}
    return client.post(f"/inspections/{inspection.id}/items/{item_id}/photos", data=form,
                       content_type="multipart/form-data")


def assert_nothing_stored(store, project) -> None:
    """No row and no file for a refused upload."""
    assert photo_rows(project) == 0
    assert not (store.root / "photos").exists() or stored_files(store) == []


def finish_record(project) -> None:
    """Mark the project's concealed-works record finished (as office would)."""
    record = services.concealed_record(project)
    record.finished_at = utcnow()
    db.session.flush()


def finish_inspection(inspection) -> None:
    """Pass every item and finish the inspection."""
    for row in load_answers(inspection):
        save_answer(row, inspection.inspector, **({"raw_value": "5"} if row.item.is_measured else {"outcome": "pass"}))
    finish(inspection, inspection.inspector, answers_version(inspection))


# --- uploading ------------------------------------------------------------------------------

def test_foreman_uploads_a_concealed_photo(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    data = make_image_bytes(400, 300, orientation=6, captured="2026:05:01 10:30:00", model="TestCam X1")
    photo_uuid = str(uuid.uuid4())
    response = upload(client, project, data, photo_uuid=photo_uuid, system="drainage", location="厨房",
                      note="坡度 2%")
    assert response.status_code == 201
    assert f"/photos/{photo_uuid}/thumb" in response.text and f"/photos/{photo_uuid}/display" in response.text
    photo = services.find_by_uuid(photo_uuid)
    assert (photo.system, photo.location, photo.stage, photo.note) == ("drainage", "厨房", "before_covering", "坡度 2%")
    assert (photo.width, photo.height, photo.sha256) == (300, 400, hashlib.sha256(data).hexdigest())
    assert photo.captured_at == datetime(2026, 5, 1, 2, 30) and photo.device_model == "TestCam X1"
    assert stored_files(storage) == sorted([photo.original_key, photo.display_key, photo.thumb_key])
    with storage.open(photo.original_key) as handle:
        assert handle.read() == data


def test_upload_is_tagged_with_a_closure_test_of_the_same_record_only(client, login_as, storage):
    project = make_project()
    record = services.concealed_record(project)
    test = ClosureTest(record_id=record.id, location="主卫", started_at=utcnow(), created_by_id=project.foreman_id)
    foreign = ClosureTest(record_id=services.concealed_record(make_project()).id, location="次卫",
                          started_at=utcnow(), created_by_id=project.foreman_id)
    db.session.add_all([test, foreign])
    db.session.flush()
    login_as(project.foreman)
    own_uuid, foreign_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    assert upload(client, project, make_image_bytes(), photo_uuid=own_uuid, stage="closure_start",
                  closure_test_id=test.id).status_code == 201
    assert upload(client, project, make_image_bytes(), photo_uuid=foreign_uuid,
                  closure_test_id=foreign.id).status_code == 201
    assert services.find_by_uuid(own_uuid).closure_test_id == test.id
    assert services.find_by_uuid(own_uuid).stage == "closure_start"
    assert services.find_by_uuid(foreign_uuid).closure_test_id is None


def test_correct_image_with_a_wrong_content_type_is_accepted(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    response = upload(client, project, make_image_bytes(), filename="scan.pdf", content_type="application/pdf")
    assert response.status_code == 201 and photo_rows(project) == 1


def test_same_uuid_twice_answers_200_with_one_row_and_one_set_of_files(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    photo_uuid = str(uuid.uuid4())
    data = make_image_bytes()
    assert upload(client, project, data, photo_uuid=photo_uuid).status_code == 201
    files = stored_files(storage)
    again = upload(client, project, data, photo_uuid=photo_uuid.upper())
    assert again.status_code == 200 and f"/photos/{photo_uuid}/thumb" in again.text
    assert photo_rows(project) == 1 and len(files) == 3 and stored_files(storage) == files


def test_same_uuid_for_another_project_is_a_409_conflict(client, login_as, storage):
    office = login_as(Role.OFFICE)
    first, second = make_project(), make_project()
    photo_uuid = str(uuid.uuid4())
    assert upload(client, first, make_image_bytes(), photo_uuid=photo_uuid).status_code == 201
    response = upload(client, second, make_image_bytes(), photo_uuid=photo_uuid)
    assert response.status_code == 409 and "belongs to another photo" in response.text
    assert photo_rows(second) == 0 and services.find_by_uuid(photo_uuid).uploaded_by_id == office.id


@pytest.mark.parametrize("bad_uuid", ["", "123", "not-a-uuid-at-all", "../../etc/passwd"])
def test_invalid_uuid_is_422(client, login_as, storage, bad_uuid):
    project = make_project()
    login_as(project.foreman)
    response = upload(client, project, make_image_bytes(), photo_uuid=bad_uuid or " ")
    assert response.status_code == 422 and "missing its identifier" in response.text
    assert_nothing_stored(storage, project)


def test_missing_file_is_422(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    response = client.post(f"/projects/{project.id}/concealed/photos", content_type="multipart/form-data",
                           data={"uuid": str(uuid.uuid4()), "system": "water_supply", "location": "主卫",
                                 "stage": "before_covering"})
    assert response.status_code == 422 and "Choose a photo" in response.text


def test_missing_location_is_422_and_stores_nothing(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    response = upload(client, project, make_image_bytes(), location="")
    assert response.status_code == 422
    assert_nothing_stored(storage, project)


def _zip() -> bytes:
    """A ZIP archive holding a photo (renamed .jpg on upload)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", make_image_bytes())
    return out.getvalue()


def _giant_exif_png() -> bytes:
    """A PNG with a 300 KB EXIF block."""
    out = io.BytesIO()
    Image.open(io.BytesIO(make_image_bytes())).save(out, "PNG", exif=giant_exif())
    return out.getvalue()


BAD_UPLOADS = {
    "pdf renamed .jpg": (lambda: b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "not a photo"),
    "zip renamed .jpg": (_zip, "not a photo"),
    "zero bytes": (lambda: b"", "The file is empty"),
    "png of 100000x100000": (lambda: png_declaring(100_000, 100_000), "more than 50 megapixels"),
    "png of 8000x7000": (lambda: png_declaring(8000, 7000), "more than 50 megapixels"),  # Pillow only warns
    "svg with a script": (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                          "not a photo"),
    "giant exif": (_giant_exif_png, "metadata (EXIF) is too large"),
}


@pytest.mark.parametrize("make_data, message", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_bad_input_is_refused_with_422_and_nothing_is_stored(client, login_as, storage, make_data, message):
    project = make_project()
    login_as(project.foreman)
    started = time.perf_counter()
    response = upload(client, project, make_data(), filename="IMG_0002.jpg")
    assert response.status_code == 422, response.text[:300]
    assert message in response.text and "Traceback" not in response.text
    assert time.perf_counter() - started < 5
    assert_nothing_stored(storage, project)


@pytest.mark.parametrize("make_data, filename", [
    pytest.param(truncated_jpeg, "IMG_0004.jpg", id="jpeg"), pytest.param(truncated_png, "screenshot.png", id="png")])
@pytest.mark.parametrize("flag", [False, pytest.param(True, marks=WEASYPRINT_LOADED)],
                         ids=["pillow default", "after WeasyPrint import"])
def test_truncated_upload_is_refused_with_422(client, login_as, storage, monkeypatch, make_data, filename, flag):
    """An interrupted upload is not evidence. The app imports WeasyPrint, which turns Pillow's
    LOAD_TRUNCATED_IMAGES on for the whole process, so both states are tested explicitly."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", flag)
    project = make_project()
    login_as(project.foreman)
    response = upload(client, project, make_data(), filename=filename)
    assert response.status_code == 422 and "damaged or incomplete" in response.text
    assert_nothing_stored(storage, project)


def test_rotated_photo_with_odd_exif_is_accepted(client, login_as, storage):
    """Regression: a mistyped EXIF tag (GPSLatitude as text) in a rotated photo was an HTTP 500."""
    gps_latitude_as_text = (0x0002, 2, 4, b"abc\0")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, "JPEG",
                                           exif=tiff_exif([ORIENTATION_6], {0x8825: [gps_latitude_as_text]}))
    project = make_project()
    login_as(project.foreman)
    assert upload(client, project, out.getvalue()).status_code == 201
    assert db.session.scalar(select(Photo).where(Photo.project_id == project.id)).width == 30


def _jpeg_with_nul_in_model() -> bytes:
    """A JPEG whose EXIF model is "Phone\\0\\0 X1" (only a trailing NUL is stripped by Pillow)."""
    model = b"Phone\0\0 X1\0"
    exif = tiff_exif([(0x0110, 2, len(model), (8 + 18).to_bytes(4, "big"))]) + model  # value right after IFD0
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, "JPEG", exif=exif)
    return out.getvalue()


NUL_IN_FORM = ()  # NUL characters in typed fields are refused with 400 before they reach the database


@pytest.mark.parametrize("source", ["exif model", pytest.param("note", marks=NUL_IN_FORM),
                                    pytest.param("location", marks=NUL_IN_FORM)])
def test_nul_characters_are_not_a_server_error(client, login_as, storage, source):
    """Regression for the EXIF model (PostgreSQL refuses NUL in text); open bug for the typed fields."""
    project = make_project()
    login_as(project.foreman)
    if source == "exif model":
        response = upload(client, project, _jpeg_with_nul_in_model())
        assert response.status_code == 201
        assert db.session.scalar(select(Photo.device_model).where(Photo.project_id == project.id)) == "Phone X1"
    else:
        response = upload(client, project, make_image_bytes(), **{source: "主\0卫"})
        assert response.status_code == 400
        assert db.session.scalar(select(Photo.id).where(Photo.project_id == project.id)) is None


def test_request_over_20_mb_is_413_with_a_clear_message(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    # Encoded here, in memory: the test client would spool a body this big to a temp file it never closes.
    boundary, body = encode_multipart({"uuid": str(uuid.uuid4()), "system": "water_supply", "location": "主卫",
                                       "file": FileStorage(io.BytesIO(b"\xff\xd8" + b"\0" * (21 * 1024 * 1024)),
                                                           "IMG_0003.jpg", content_type="image/jpeg")})
    response = client.post(f"/projects/{project.id}/concealed/photos", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "Photos may be at most 20 MB" in response.text and "Traceback" not in response.text
    assert_nothing_stored(storage, project)


def test_storage_failure_is_507_with_no_row_and_no_files(app, client, login_as, tmp_path):
    failing = FailingStorage(tmp_path / "failing", fail_on=2)
    previous = app.extensions.get("portal_storage")
    app.extensions["portal_storage"] = failing
    try:
        project = make_project()
        login_as(project.foreman)
        response = upload(client, project, make_image_bytes())
    finally:
        app.extensions["portal_storage"] = previous
    assert response.status_code == 507
    assert "could not be stored" in response.text and "Nothing was saved" in response.text
    assert failing.puts == 2
    assert_nothing_stored(failing, project)


def test_foreman_of_another_project_gets_404_uploading_there(client, login_as, storage):
    project = make_project()
    login_as(make_project().foreman)
    assert upload(client, project, make_image_bytes()).status_code == 404
    assert_nothing_stored(storage, project)


@pytest.mark.parametrize("role", [Role.ENGINEERING, Role.FINANCE, Role.ADMIN])
def test_desk_roles_that_only_read_may_not_upload(client, login_as, storage, role):
    project = make_project()
    login_as(role)
    response = upload(client, project, make_image_bytes())
    assert response.status_code == 403 and "cannot add photos here" in response.text
    assert_nothing_stored(storage, project)


def test_upload_to_a_finished_record_is_409(client, login_as, storage):
    project = make_project()
    finish_record(project)
    login_as(project.foreman)
    response = upload(client, project, make_image_bytes())
    assert response.status_code == 409 and "This record is finished" in response.text
    assert_nothing_stored(storage, project)


def test_inspector_uploads_an_item_photo(client, login_as, storage):
    inspection = make_inspection()
    row = load_answers(inspection)[0]
    login_as(inspection.inspector)
    response = upload_item(client, inspection, row.item_id, make_image_bytes())
    assert response.status_code == 201
    photos = services.item_photos(inspection.id)[row.item_id]
    assert len(photos) == 1 and photos[0].record_id is None and photos[0].location == row.item.text[:100]


def test_upload_to_an_item_of_a_finished_inspection_is_409(client, login_as, storage):
    inspection = make_inspection()
    finish_inspection(inspection)
    login_as(inspection.inspector)
    response = upload_item(client, inspection, load_answers(inspection)[0].item_id, make_image_bytes())
    assert response.status_code == 409
    assert_nothing_stored(storage, inspection.project)


def test_office_may_not_add_item_photos_to_an_open_inspection(client, login_as, storage):
    inspection = make_inspection()
    login_as(Role.OFFICE)
    assert upload_item(client, inspection, load_answers(inspection)[0].item_id, make_image_bytes()).status_code == 403


def test_another_inspector_gets_404_for_item_uploads(client, login_as, storage):
    inspection = make_inspection()
    login_as(Role.INSPECTOR)
    assert upload_item(client, inspection, load_answers(inspection)[0].item_id, make_image_bytes()).status_code == 404


# --- serving ----------------------------------------------------------------------------------

def get(client, photo, variant: str, **headers):
    """GET one version of ``photo``, read whole (and the file handle closed)."""
    return client.get(f"/photos/{photo.uuid}/{variant}", headers=headers, buffered=True)


@pytest.mark.parametrize("variant", ["thumb", "display", "original"])
def test_foreman_of_another_project_gets_404_for_every_variant(client, login_as, storage, variant):
    photo = make_photo()
    login_as(make_project().foreman)
    assert get(client, photo, variant).status_code == 404


@pytest.mark.parametrize("who", ["foreman", "project_manager"])
def test_own_site_team_sees_thumb_and_display_but_not_the_original(client, login_as, storage, who):
    photo = make_photo()
    project = db.session.get(Project, photo.project_id)
    login_as(getattr(project, who))
    thumb, display = get(client, photo, "thumb"), get(client, photo, "display")
    assert thumb.status_code == display.status_code == 200
    assert thumb.mimetype == display.mimetype == "image/jpeg"
    with storage.open(photo.thumb_key) as handle:
        assert thumb.data == handle.read()
    assert get(client, photo, "original").status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICE, Role.INSPECTOR])
def test_office_and_inspectors_get_the_byte_identical_original(client, login_as, storage, role):
    data = make_image_bytes(fmt="PNG", mode="RGBA")
    photo = make_photo(data=data)
    login_as(role)
    response = get(client, photo, "original")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == data


def test_anonymous_is_sent_to_login(client, storage):
    photo = make_photo()
    for variant in ("thumb", "display", "original"):
        response = get(client, photo, variant)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deleted_photos_are_404_except_for_office(client, login_as, storage):
    photo = make_photo()
    services.soft_delete(photo, photo.uploaded_by, "拍错", locked=False)
    db.session.commit()
    login_as(photo.uploaded_by)
    assert get(client, photo, "thumb").status_code == 404
    login_as(Role.INSPECTOR)
    assert get(client, photo, "original").status_code == 404
    login_as(Role.OFFICE)
    assert get(client, photo, "original").status_code == 200


def test_served_photos_are_privately_cacheable_with_an_etag(client, login_as, storage):
    photo = make_photo()
    login_as(Role.OFFICE)
    response = get(client, photo, "display")
    cache = response.cache_control
    # display and thumbnail change when somebody marks the photo up: revalidated by ETag every time
    assert cache.private and not cache.public and not cache.max_age and "no-cache" in response.headers["Cache-Control"]
    assert response.headers["ETag"].strip('"') == f"{photo.sha256}-display-m0"
    assert get(client, photo, "thumb").headers["ETag"] != response.headers["ETag"]
    for variant in ("original", "plain"):  # never change
        cache = get(client, photo, variant).cache_control
        assert cache.private and cache.immutable and cache.max_age >= 86400
    revalidated = get(client, photo, "display", **{"If-None-Match": response.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.data == b""


def test_missing_file_in_the_store_is_404_not_500(client, login_as, storage):
    photo = make_photo()
    storage.delete(photo.display_key)
    login_as(Role.OFFICE)
    assert get(client, photo, "display").status_code == 404


# --- deleting ---------------------------------------------------------------------------------

def delete(client, photo, reason: str | None = "拍错房间", **headers):
    """POST the delete form for ``photo`` (no reason field when ``reason`` is None)."""
    return client.post(f"/photos/{photo.uuid}/delete", data={} if reason is None else {"reason": reason},
                       headers=headers)


def test_uploader_soft_deletes_with_a_reason(client, login_as, storage):
    photo = make_photo()
    login_as(photo.uploaded_by)
    response = delete(client, photo, "拍错房间", **{"HX-Request": "true"})
    assert response.status_code == 200
    db.session.expire_all()
    row = db.session.get(Photo, photo.id)
    assert row.deleted_at is not None and row.delete_reason == "拍错房间" and row.deleted_by_id == photo.uploaded_by_id
    assert storage.exists(row.original_key)


def test_office_deletes_and_is_redirected_back(client, login_as, storage):
    photo = make_photo()
    office = login_as(Role.OFFICE)
    response = delete(client, photo, "重复照片", Referer=f"/projects/{photo.project_id}/concealed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projects/{photo.project_id}/concealed")
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_by_id == office.id


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_delete_without_a_reason_is_422(client, login_as, storage, reason):
    photo = make_photo()
    login_as(photo.uploaded_by)
    response = delete(client, photo, reason)
    assert response.status_code == 422 and "Write why" in response.text
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_at is None


def test_somebody_else_gets_403_deleting(client, login_as, storage):
    photo = make_photo()
    login_as(db.session.get(Project, photo.project_id).project_manager)
    response = delete(client, photo)
    assert response.status_code == 403 and "Only the person who uploaded" in response.text
    login_as(Role.INSPECTOR)
    assert delete(client, photo).status_code == 403
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_at is None


def test_foreman_of_another_project_gets_404_deleting(client, login_as, storage):
    photo = make_photo()
    login_as(make_project().foreman)
    assert delete(client, photo).status_code == 404


def test_delete_after_the_record_is_finished_is_409(client, login_as, storage):
    photo = make_photo()
    finish_record(db.session.get(Project, photo.project_id))
    login_as(Role.OFFICE)
    response = delete(client, photo)
    assert response.status_code == 409 and "This record is finished" in response.text
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_at is None


def test_delete_of_an_item_photo_after_the_inspection_is_finished_is_409(client, login_as, storage):
    inspection = make_inspection()
    photo = make_photo(inspection=inspection, item_id=load_answers(inspection)[0].item_id)
    finish_inspection(inspection)
    login_as(inspection.inspector)
    assert delete(client, photo).status_code == 409
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_at is None


# --- item photos required on fail -------------------------------------------------------------

def test_failed_item_needing_a_photo_blocks_finishing_until_it_is_uploaded(client, login_as, storage):
    inspection = make_inspection()
    rows = load_answers(inspection)
    flagged = next(r for r in rows if not r.item.is_measured and not r.item.note_required_on_fail)
    flagged.item.photo_required_on_fail = True
    for row in rows:
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value="10")
        else:
            save_answer(row, inspection.inspector, outcome="fail" if row is flagged else "pass")
    save_note(flagged, inspection.inspector, "漏电保护器不动作")
    db.session.commit()
    login_as(inspection.inspector)
    assert [item.id for item in summarise(inspection).photos_missing] == [flagged.item_id]
    blocked = client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    assert blocked.status_code == 422
    assert upload_item(client, inspection, flagged.item_id, make_image_bytes()).status_code == 201
    assert summarise(inspection).photos_missing == []
    done = client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    assert done.status_code == 302
    db.session.expire_all()
    assert inspection.is_completed


# --- the owner's archive ----------------------------------------------------------------------

def _archive_photos(project):
    """Three photos of the record (JPEG with EXIF, PNG, WebP) and a deleted one."""
    photos = [
        make_photo(project, system="water_supply", location="主卫",
                   data=make_image_bytes(captured="2026:05:01 10:30:00", model="TestCam X1"), note="冷热水管"),
        make_photo(project, system="electrical", location="客厅", data=make_image_bytes(fmt="PNG", mode="RGBA")),
        make_photo(project, system="drainage", location="厨房/阳台", data=make_image_bytes(fmt="WEBP")),
    ]
    gone = make_photo(project, location="次卫")
    services.soft_delete(gone, gone.uploaded_by, "拍错", locked=False)
    db.session.commit()
    return photos, gone


def download(app, client, url: str) -> tuple[str, bytes]:
    """(status, body) of a GET run as a WSGI server runs it: in a thread without any Flask context,
    the body iterated after the app has returned (and popped its request context).

    Read through the test client, the body would be produced inside the test's own app
    context, which no server has.
    """
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    environ = EnvironBuilder(path=url, headers={"Cookie": f"{cookie.key}={cookie.value}"}).get_environ()
    status, body, errors = [], bytearray(), []

    def serve():
        try:
            app_iter = app(environ, lambda code, headers, exc_info=None: status.append(code))
            try:
                for chunk in app_iter:
                    body.extend(chunk)
            finally:
                getattr(app_iter, "close", lambda: None)()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    worker = threading.Thread(target=serve)
    worker.start()
    worker.join(60)
    assert not errors, errors
    return status[0], bytes(body)


def originals_in(archive: zipfile.ZipFile) -> list[str]:
    """The photo files in the archive (everything but the index and the CSV)."""
    return [name for name in archive.namelist() if name not in ("index.html", "photos.csv")]


def test_owner_archive_is_a_streamed_zip_attachment(client, login_as, storage):
    project = make_project()
    _archive_photos(project)
    login_as(Role.OFFICE)
    response = client.get(f"/projects/{project.id}/concealed/archive.zip")
    try:
        assert response.status_code == 200 and response.is_streamed
        assert response.mimetype == "application/zip" and response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"] == f'attachment; filename="concealed-{project.contract_no}.zip"'
    finally:
        response.close()


def test_office_downloads_the_owner_archive(app, client, login_as, storage):
    project = make_project()
    photos, gone = _archive_photos(project)
    login_as(Role.OFFICE)
    status, body = download(app, client, f"/projects/{project.id}/concealed/archive.zip")
    assert status.startswith("200")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    assert "index.html" in archive.namelist() and "photos.csv" in archive.namelist()
    expected = {p.sha256 for p in photos}
    assert len(originals_in(archive)) == 3
    assert {hashlib.sha256(archive.read(n)).hexdigest() for n in originals_in(archive)} == expected
    raw_csv = archive.read("photos.csv")
    assert raw_csv.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw_csv.decode("utf-8-sig"))))
    assert len(rows) == 3 and {row["sha256"] for row in rows} == expected
    for row in rows:
        assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
    assert gone.sha256 not in expected and gone.sha256 not in raw_csv.decode("utf-8-sig")
    index = archive.read("index.html").decode("utf-8")
    assert all(p.sha256 in index for p in photos) and "冷热水管" in index
    assert any("厨房_阳台" in name for name in originals_in(archive))  # "/" in a room name makes no folder


def test_owner_archive_of_a_record_without_photos_is_a_valid_zip(app, client, login_as, storage):
    project = make_project()
    login_as(Role.OFFICE)
    _status, body = download(app, client, f"/projects/{project.id}/concealed/archive.zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["index.html", "photos.csv"]


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.ENGINEERING, Role.FINANCE])
def test_non_office_gets_403_for_the_archive(client, login_as, storage, role):
    project = make_project()
    login_as(role)
    assert client.get(f"/projects/{project.id}/concealed/archive.zip").status_code == 403


def test_own_foreman_gets_403_for_the_archive(client, login_as, storage):
    project = make_project()
    login_as(project.foreman)
    assert client.get(f"/projects/{project.id}/concealed/archive.zip").status_code == 403


def test_owner_archive_is_in_the_users_language(app, client, login_as, storage):
    """Regression: without stream_with_context a server produced the body with no request, so the
    folder names and the CSV came out in English under a Chinese title."""
    project = make_project()
    make_photo(project, system="water_supply", location="主卫")
    db.session.commit()
    with client.session_transaction() as sess:
        sess["lang"] = "zh_CN"
    login_as(Role.OFFICE)
    _status, body = download(app, client, f"/projects/{project.id}/concealed/archive.zip")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert "隐蔽工程" in archive.read("index.html").decode("utf-8")
    assert originals_in(archive)[0].startswith("给水/主卫/")


# --- closure tests ----------------------------------------------------------------------------

def start_test(client, project, started: datetime, location: str = "主卫"):
    """POST the start of a closure test, ``started`` in company time."""
    return client.post(f"/projects/{project.id}/concealed/closure-tests",
                       data={"location": location, "started_at": f"{started:%Y-%m-%dT%H:%M}"})


def end_test(client, project, test, ended: datetime, result: str = "no_leak", note: str = ""):
    """POST the end and result of ``test``, ``ended`` in company time."""
    return client.post(f"/projects/{project.id}/concealed/closure-tests/{test.id}",
                       data={"ended_at": f"{ended:%Y-%m-%dT%H:%M}", "result": result, "note": note})


def started_test(client, login_as, start: datetime):
    """A project, its foreman logged in, and a closure test he started at local time ``start``."""
    project = make_project()
    login_as(project.foreman)
    assert start_test(client, project, start).status_code == 302
    test = db.session.scalar(select(ClosureTest).where(ClosureTest.record_id == services.concealed_record(project).id))
    return project, test


def test_start_is_stored_in_utc(client, login_as):
    project, test = started_test(client, login_as, datetime(2026, 5, 1, 9, 0))
    assert test.started_at == datetime(2026, 5, 1, 1, 0) and test.location == "主卫" and test.ended_at is None


def test_ending_before_24_hours_is_422_with_the_message(client, login_as):
    project, test = started_test(client, login_as, datetime(2026, 5, 1, 9, 0))
    response = end_test(client, project, test, datetime(2026, 5, 2, 8, 59), "no_leak")
    assert response.status_code == 422
    assert "must last at least 24 hours (started 2026-05-01 09:00)" in response.text
    db.session.expire_all()
    assert db.session.get(ClosureTest, test.id).ended_at is None


@pytest.mark.parametrize("hours, result, leak", [(24, "no_leak", False), (48, "leak", True)])
def test_ending_after_24_hours_records_the_result(client, login_as, hours, result, leak):
    start = datetime(2026, 5, 1, 9, 0)
    project, test = started_test(client, login_as, start)
    response = end_test(client, project, test, start + timedelta(hours=hours), result, note="地漏周边渗水" if leak else "")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(ClosureTest, test.id)
    assert saved.leak is leak and saved.ended_at - saved.started_at == timedelta(hours=hours)
    assert saved.ended_at == start + timedelta(hours=hours) - timedelta(hours=8)


def test_ending_without_a_result_is_422(client, login_as):
    project, test = started_test(client, login_as, datetime(2026, 5, 1, 9, 0))
    response = client.post(f"/projects/{project.id}/concealed/closure-tests/{test.id}",
                           data={"ended_at": "2026-05-03T09:00"})
    assert response.status_code == 422


def test_a_recorded_result_is_not_overwritten(client, login_as):
    start = datetime(2026, 5, 1, 9, 0)
    project, test = started_test(client, login_as, start)
    assert end_test(client, project, test, start + timedelta(hours=25), "leak", note="地漏渗水").status_code == 302
    end_test(client, project, test, start + timedelta(hours=26), "no_leak")
    db.session.expire_all()
    assert db.session.get(ClosureTest, test.id).leak is True


def test_an_end_time_in_the_future_is_refused(client, login_as):
    now = datetime.now(COMPANY_TZ).replace(tzinfo=None, second=0, microsecond=0)
    project, test = started_test(client, login_as, now)
    response = end_test(client, project, test, now + timedelta(hours=24), "no_leak")
    assert response.status_code == 422


@pytest.mark.parametrize("started", [datetime(9999, 12, 31, 23, 59), datetime(1, 1, 1, 0, 0),
                                     datetime.now(COMPANY_TZ).replace(tzinfo=None) + timedelta(days=2)])
def test_a_start_outside_the_window_is_refused_and_nothing_stored(client, login_as, started):
    project = make_project()
    login_as(project.foreman)
    response = start_test(client, project, started)
    assert response.status_code == 422 and 'class="error"' in response.text
    assert db.session.scalar(select(func.count()).select_from(ClosureTest)) == 0


def test_an_end_in_year_9999_is_refused(client, login_as):
    project, test = started_test(client, login_as, datetime(2026, 5, 1, 9, 0))
    assert end_test(client, project, test, datetime(9999, 12, 31, 23, 59)).status_code == 422
    db.session.expire_all()
    assert db.session.get(ClosureTest, test.id).ended_at is None


def test_closure_test_of_another_project_is_404(client, login_as):
    project, test = started_test(client, login_as, datetime(2026, 5, 1, 9, 0))
    office_project = make_project()
    login_as(Role.OFFICE)
    assert end_test(client, office_project, test, datetime(2026, 5, 3, 9, 0)).status_code == 404


def test_no_closure_tests_on_a_finished_record(client, login_as):
    project = make_project()
    finish_record(project)
    login_as(project.foreman)
    assert start_test(client, project, datetime(2026, 5, 1, 9, 0)).status_code == 409


# --- finishing the record -----------------------------------------------------------------------

def test_office_finishes_the_record_then_it_is_locked(client, login_as, storage):
    project = make_project()
    login_as(Role.OFFICE)
    assert client.post(f"/projects/{project.id}/concealed/finish", data={}).status_code == 422
    assert client.post(f"/projects/{project.id}/concealed/finish", data={"confirm": "y"}).status_code == 302
    assert services.concealed_record(project).is_finished
    login_as(project.foreman)
    assert upload(client, project, make_image_bytes()).status_code == 409
    assert client.get(f"/projects/{project.id}/concealed").status_code == 200


def test_concealed_page_shows_the_gallery_with_originals_only_for_office(client, login_as, storage):
    photo = make_photo(note="给水管试压")
    db.session.commit()
    project = db.session.get(Project, photo.project_id)
    login_as(project.foreman)
    page = client.get(f"/projects/{project.id}/concealed").text
    assert f"/photos/{photo.uuid}/thumb" in page and f"/photos/{photo.uuid}/original" not in page
    login_as(Role.OFFICE)
    page = client.get(f"/projects/{project.id}/concealed").text
    assert f"/photos/{photo.uuid}/original" in page and "archive.zip" in page


# --- cleanup-uploads ----------------------------------------------------------------------------

def _age(path, seconds: int = 7200) -> None:
    """Pretend ``path`` was last changed ``seconds`` ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_cleanup_uploads_removes_orphans_and_stale_temp_files_and_keeps_photos(app, storage):
    kept = make_photo()
    kept_folder = storage.path(kept.original_key).parent
    orphan = storage.root / "photos" / "424242" / f"{NO_PHOTO}-deadbeef"
    orphan.mkdir(parents=True)
    for name in ("original.jpg", "display.jpg", "thumb.jpg"):
        (orphan / name).write_bytes(b"left by a killed upload")
    stale = kept_folder / ".tmp-abc123"
    stale.write_bytes(b"half a file")
    for path in (stale, orphan, kept_folder):
        _age(path)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["cleanup-uploads", "--older-than", "0", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"orphan photos/424242/{NO_PHOTO}-deadbeef/original.jpg" in dry.output
    assert f"temp {stale}" in dry.output and "3 orphaned files, 1 temp files found" in dry.output
    assert (orphan / "original.jpg").exists() and stale.exists()

    result = runner.invoke(args=["cleanup-uploads", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "3 orphaned files, 1 temp files removed" in result.output
    assert not orphan.exists() and not stale.exists()
    assert all(storage.exists(key) for key in (kept.original_key, kept.display_key, kept.thumb_key))


def test_cleanup_uploads_removes_folders_a_killed_upload_left_empty_or_half_written(app, storage):
    empty = storage.root / "photos" / "424242" / f"{NO_PHOTO}-00000001"
    half = storage.root / "photos" / "424242" / f"{NO_PHOTO}-00000002"
    empty.mkdir(parents=True)
    half.mkdir()
    (half / ".tmp-k1ll3d").write_bytes(b"the first file, half written")
    for path in (empty, half / ".tmp-k1ll3d", half):
        _age(path)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["cleanup-uploads", "--older-than", "60", "--dry-run"])
    assert f"folder photos/424242/{NO_PHOTO}-00000001" in dry.output and empty.exists()
    result = runner.invoke(args=["cleanup-uploads", "--older-than", "60"])
    assert result.exit_code == 0, result.output
    assert "0 orphaned files, 1 temp files removed" in result.output
    assert not empty.exists() and not half.exists()


def test_cleanup_uploads_spares_young_files(app, storage):
    young = storage.root / "photos" / "424242" / f"{NO_PHOTO}-deadbeef"
    young.mkdir(parents=True)
    (young / "original.jpg").write_bytes(b"an upload in flight")
    (young / ".tmp-inflight").write_bytes(b"being written")
    result = app.test_cli_runner().invoke(args=["cleanup-uploads"])
    assert result.exit_code == 0 and "0 orphaned files, 0 temp files removed" in result.output
    assert (young / "original.jpg").exists() and (young / ".tmp-inflight").exists()


def test_the_gallery_offers_delete_with_a_reason_to_the_uploader(client, login_as, storage):
    """The soft delete is reachable from the page, not only by URL."""
    project = make_project()
    login_as(project.foreman)
    assert upload(client, project, make_image_bytes()).status_code == 201
    page = client.get(f"/projects/{project.id}/concealed").text
    assert 'name="reason"' in page and "/delete" in page
