"""Photo services: storing (files and row together or not at all), finding, access, soft delete,
record and item queries, orphan detection, and the finishing gate for failed items.
"""
from __future__ import annotations

import hashlib
import io
import os
import time
import uuid
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.services import (
    InspectionError, answers_version, finish, load_answers, save_answer, save_note, summarise,
)
from portal.photos import services
from portal.photos.imaging import ImageRejected
from portal.photos.models import Photo
from portal.photos.services import PhotoError, PhotoTarget
from portal.storage import FileSystemStorage, StorageError
from portal.timeutil import to_local
from tests.factories import make_image_bytes, make_inspection, make_photo, make_project, make_user
from tests.fakes import FailingStorage

GPS_PHOTO = dict(orientation=6, captured="2026:05:01 10:30:00", model="TestCam X1", gps=True)


def stored_files(store: FileSystemStorage) -> list[str]:
    """Every file in the store, as keys."""
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())


def read(store, key: str) -> bytes:
    """The stored bytes under ``key``."""
    with store.open(key) as handle:
        return handle.read()


def concealed_target(project, **tags) -> PhotoTarget:
    """A target in the project's concealed-works record (kitchen drainage unless told)."""
    return PhotoTarget(project=project, record=services.concealed_record(project), stage="before_covering",
                       system=tags.pop("system", "drainage"), location=tags.pop("location", "厨房"), **tags)


def photo_count(**where) -> int:
    """Photo rows matching column == value for each keyword."""
    query = select(func.count()).select_from(Photo)
    for name, value in where.items():
        query = query.where(getattr(Photo, name) == value)
    return db.session.scalar(query)


# --- storing --------------------------------------------------------------------------------

def test_store_keeps_the_original_byte_identical_and_records_the_facts(storage):
    project = make_project()
    data = make_image_bytes(400, 300, **GPS_PHOTO)
    photo_uuid = str(uuid.uuid4())
    photo, created, keys = services.store_photo(concealed_target(project, note="排水管坡度"), photo_uuid, data,
                                                project.foreman, storage)
    assert created and keys == [photo.original_key, photo.display_key, photo.thumb_key]
    assert stored_files(storage) == sorted(keys)
    assert read(storage, photo.original_key) == data
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size_bytes == len(data)
    assert (photo.width, photo.height, photo.format) == (300, 400, "JPEG")
    assert photo.captured_at.isoformat() == "2026-05-01T02:30:00"
    assert photo.device_model == "TestCam X1"
    assert (photo.system, photo.location, photo.stage, photo.note) == ("drainage", "厨房", "before_covering", "排水管坡度")
    assert photo.original_key.startswith(f"photos/{project.id}/{photo_uuid}-") and photo.original_key.endswith(".jpg")
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).uploaded_by_id == project.foreman_id


def test_original_keeps_gps_while_display_and_thumbnail_have_none(storage):
    photo = make_photo(data=make_image_bytes(800, 600, **GPS_PHOTO))
    original = Image.open(io.BytesIO(read(storage, photo.original_key)))
    assert original.getexif().get_ifd(0x8825)[2] == (34.0, 15.0, 36.0)
    for key in (photo.display_key, photo.thumb_key):
        derived = Image.open(io.BytesIO(read(storage, key)))
        assert not derived.getexif() and "exif" not in derived.info
    assert Image.open(io.BytesIO(read(storage, photo.display_key))).size == (600, 800)


def test_png_original_keeps_its_extension(storage):
    photo = make_photo(data=make_image_bytes(fmt="PNG", mode="RGBA"))
    assert photo.format == "PNG" and photo.original_key.endswith("/original.png")
    assert photo.display_key.endswith("/display.jpg") and photo.thumb_key.endswith("/thumb.jpg")


def test_same_uuid_again_returns_the_first_photo_and_writes_nothing(storage):
    project = make_project()
    photo_uuid = str(uuid.uuid4())
    first, created, _ = services.store_photo(concealed_target(project), photo_uuid, make_image_bytes(), project.foreman,
                                             storage)
    files = stored_files(storage)
    again, created_again, written = services.store_photo(concealed_target(project), photo_uuid,
                                                         make_image_bytes(640, 480), project.foreman, storage)
    assert created and not created_again and written == []
    assert again.id == first.id and photo_count(uuid=photo_uuid) == 1
    assert stored_files(storage) == files


def test_same_uuid_for_another_target_is_a_conflict(storage):
    photo = make_photo()
    other = make_project()
    with pytest.raises(PhotoError) as info:
        services.store_photo(concealed_target(other), photo.uuid, make_image_bytes(), other.foreman, storage)
    assert info.value.code == "uuid_conflict"


def test_rejected_image_stores_nothing(storage):
    project = make_project()
    with pytest.raises(ImageRejected):
        services.store_photo(concealed_target(project), str(uuid.uuid4()), b"%PDF-1.4", project.foreman, storage)
    assert stored_files(storage) == [] and photo_count(project_id=project.id) == 0


def test_storage_failure_on_the_second_file_removes_the_first(tmp_path):
    store = FailingStorage(tmp_path / "failing", fail_on=2)
    project = make_project()
    with pytest.raises(StorageError):
        services.store_photo(concealed_target(project), str(uuid.uuid4()), make_image_bytes(), project.foreman, store)
    assert store.puts == 2
    assert stored_files(store) == []
    assert photo_count(project_id=project.id) == 0


@pytest.mark.parametrize("value, expected", [
    ("0B6C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3", "0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"),
    ("  0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3\n", "0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"),
])
def test_normalise_uuid_canonicalises(value, expected):
    assert services.normalise_uuid(value) == expected


@pytest.mark.parametrize("value", [None, "", "not-a-uuid", "0b6c1d2e3f404a5b8c6d7e8f90a1b2c3",
                                   "0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3/../x", "0b6c1d2e-3f40-4a5b-8c6d-7e8f90a1b2cz"])
def test_normalise_uuid_refuses_anything_else(value):
    with pytest.raises(PhotoError) as info:
        services.normalise_uuid(value)
    assert info.value.code == "bad_uuid"


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_normalise_uuid_result_is_always_a_safe_storage_path_part(value):
    """Whatever the client sends, an accepted UUID is 36 characters of [0-9a-f-] (it becomes part of a key)."""
    try:
        result = services.normalise_uuid(value)
    except PhotoError:
        return
    assert len(result) == 36 and set(result) <= set("0123456789abcdef-")


def test_watermark_names_contract_place_local_time_and_uploader():
    project = make_project(contract_no="T26050101")
    foreman = make_user(Role.FOREMAN, display_name="王建国")
    lines = services.watermark_lines(PhotoTarget(project=project, location="主卫"), foreman, datetime(2026, 5, 1, 2, 30))
    assert lines == ["T26050101 · 主卫", "2026-05-01 10:30 · 王建国"]


# --- access ---------------------------------------------------------------------------------

def test_foreman_of_another_project_gets_404_for_every_variant(storage):
    photo = make_photo()
    stranger = make_user(Role.FOREMAN)
    for variant in services.VARIANTS:
        with pytest.raises(NotFound):
            services.get_photo_or_404(photo.uuid, stranger, variant)


def test_own_foreman_sees_thumb_and_display_but_not_the_original(storage):
    photo = make_photo()
    foreman = photo.uploaded_by
    assert services.get_photo_or_404(photo.uuid, foreman, "thumb") is photo
    assert services.get_photo_or_404(photo.uuid, foreman, "display") is photo
    with pytest.raises(NotFound):
        services.get_photo_or_404(photo.uuid, foreman, "original")


@pytest.mark.parametrize("role", [Role.OFFICE, Role.INSPECTOR])
def test_office_and_inspectors_get_the_original(storage, role):
    photo = make_photo()
    assert services.get_photo_or_404(photo.uuid, make_user(role), "original") is photo


@pytest.mark.parametrize("photo_uuid, variant", [
    ("00000000-0000-4000-8000-000000000000", "thumb"), ("../../etc/passwd", "thumb"), (None, "thumb"),
])
def test_unknown_or_malformed_uuids_are_404(photo_uuid, variant):
    with pytest.raises(NotFound):
        services.get_photo_or_404(photo_uuid, make_user(Role.OFFICE), variant)


def test_unknown_variant_is_404(storage):
    photo = make_photo()
    with pytest.raises(NotFound):
        services.get_photo_or_404(photo.uuid, make_user(Role.OFFICE), "raw")


def test_deleted_photos_are_hidden_except_from_office(storage):
    photo = make_photo()
    services.soft_delete(photo, photo.uploaded_by, "拍错了", locked=False)
    for user in (photo.uploaded_by, make_user(Role.INSPECTOR), make_user(Role.ENGINEERING)):
        with pytest.raises(NotFound):
            services.get_photo_or_404(photo.uuid, user, "thumb")
    assert services.get_photo_or_404(photo.uuid, make_user(Role.OFFICE), "original") is photo


# --- soft delete ----------------------------------------------------------------------------

def test_uploader_soft_deletes_with_a_reason_and_the_row_stays(storage):
    photo = make_photo()
    services.soft_delete(photo, photo.uploaded_by, "  拍错房间  ", locked=False)
    db.session.expire_all()
    row = db.session.get(Photo, photo.id)
    assert row.is_deleted and row.deleted_at is not None
    assert (row.delete_reason, row.deleted_by_id) == ("拍错房间", photo.uploaded_by_id)
    assert storage.exists(row.original_key)  # evidence is hidden, not destroyed


def test_office_may_delete_anybodys_photo(storage):
    photo = make_photo()
    office = make_user(Role.OFFICE)
    services.soft_delete(photo, office, "重复", locked=False)
    assert photo.deleted_by_id == office.id


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_delete_needs_a_reason(storage, reason):
    photo = make_photo()
    with pytest.raises(PhotoError) as info:
        services.soft_delete(photo, photo.uploaded_by, reason, locked=False)
    assert info.value.code == "reason_required" and not photo.is_deleted


@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.INSPECTOR, Role.ENGINEERING])
def test_somebody_else_may_not_delete(storage, role):
    photo = make_photo()
    with pytest.raises(PhotoError) as info:
        services.soft_delete(photo, make_user(role), "不需要", locked=False)
    assert info.value.code == "not_yours" and not photo.is_deleted


def test_locked_photos_cannot_be_deleted_even_by_office(storage):
    photo = make_photo()
    with pytest.raises(PhotoError) as info:
        services.soft_delete(photo, make_user(Role.OFFICE), "重复", locked=True)
    assert info.value.code == "locked" and not photo.is_deleted


def test_deleting_twice_keeps_the_first_reason(storage):
    photo = make_photo()
    services.soft_delete(photo, photo.uploaded_by, "第一次", locked=False)
    first = photo.deleted_at
    services.soft_delete(photo, make_user(Role.OFFICE), "第二次", locked=False)
    assert (photo.delete_reason, photo.deleted_at) == ("第一次", first)


# --- records and items ------------------------------------------------------------------------

def test_concealed_record_is_created_once_per_project():
    project = make_project()
    assert services.concealed_record(project).id == services.concealed_record(project).id


def test_record_photos_are_ordered_by_system_location_time_and_skip_deleted(storage):
    project = make_project()
    late = make_photo(project, system="drainage", location="kitchen",
                      data=make_image_bytes(captured="2026:05:02 09:00:00"))
    early = make_photo(project, system="drainage", location="kitchen",
                       data=make_image_bytes(captured="2026:05:01 09:00:00"))
    bath = make_photo(project, system="drainage", location="bathroom")
    electric = make_photo(project, system="electrical", location="bathroom")
    gone = make_photo(project, system="drainage", location="kitchen")
    services.soft_delete(gone, gone.uploaded_by, "重复", locked=False)
    make_photo(make_project())  # another project's record
    photos = services.record_photos(services.concealed_record(project))
    assert [p.id for p in photos] == [bath.id, early.id, late.id, electric.id]


def test_item_photos_and_counts_group_by_item_and_skip_deleted(storage):
    inspection = make_inspection()
    first, second = (row.item_id for row in load_answers(inspection)[:2])
    a = make_photo(inspection=inspection, item_id=first)
    b = make_photo(inspection=inspection, item_id=first)
    c = make_photo(inspection=inspection, item_id=second)
    services.soft_delete(c, c.uploaded_by, "模糊", locked=False)
    assert {k: [p.id for p in v] for k, v in services.item_photos(inspection.id).items()} == {first: [a.id, b.id]}
    assert services.item_photos(inspection.id, [second]) == {}
    assert services.item_photo_counts(inspection.id) == {first: 2}


def _fail_flagged_item(inspection):
    """Answer everything (pass), fail one item whose template item needs a photo on fail; return that answer."""
    rows = load_answers(inspection)
    flagged = next(r for r in rows if not r.item.is_measured and not r.item.note_required_on_fail)
    flagged.item.photo_required_on_fail = True
    for row in rows:
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value="10")
        else:
            save_answer(row, inspection.inspector, outcome="fail" if row is flagged else "pass")
    save_note(flagged, inspection.inspector, "漏电保护器不动作")
    db.session.flush()
    return flagged


def test_failed_item_needing_a_photo_blocks_finishing_until_one_is_uploaded(storage):
    inspection = make_inspection()
    flagged = _fail_flagged_item(inspection)
    assert [item.id for item in summarise(inspection).photos_missing] == [flagged.item_id]
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, answers_version(inspection))
    assert info.value.code == "blocked"
    make_photo(inspection=inspection, item_id=flagged.item_id)
    summary = summarise(inspection)
    assert summary.photos_missing == [] and not summary.blocking  # finishing itself: test_views.py


def test_a_deleted_photo_does_not_count_for_a_required_item(storage):
    inspection = make_inspection()
    flagged = _fail_flagged_item(inspection)
    photo = make_photo(inspection=inspection, item_id=flagged.item_id)
    services.soft_delete(photo, photo.uploaded_by, "拍错", locked=False)
    assert [item.id for item in summarise(inspection).photos_missing] == [flagged.item_id]


def test_a_photo_of_another_item_does_not_unblock(storage):
    inspection = make_inspection()
    flagged = _fail_flagged_item(inspection)
    other = next(r for r in load_answers(inspection) if r.item_id != flagged.item_id)
    make_photo(inspection=inspection, item_id=other.item_id)
    assert [item.id for item in summarise(inspection).photos_missing] == [flagged.item_id]


# --- orphans ----------------------------------------------------------------------------------

def _age(path, seconds: int = 7200) -> None:
    """Pretend ``path`` was last changed ``seconds`` ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_orphaned_folders_are_old_folders_without_a_row(storage):
    kept = make_photo()
    orphan = storage.root / "photos" / "999" / "00000000-0000-4000-8000-000000000000-abcd1234"
    orphan.mkdir(parents=True)
    (orphan / "original.jpg").write_bytes(b"x")
    (orphan / "display.jpg").write_bytes(b"x")
    young = storage.root / "photos" / "999" / "11111111-0000-4000-8000-000000000000-abcd1234"
    young.mkdir()
    (young / "original.jpg").write_bytes(b"x")
    _age(orphan)
    _age(storage.path(kept.original_key).parent)
    found = services.finished_files(storage, services.orphaned_folders(storage, 3600))
    prefix = "photos/999/00000000-0000-4000-8000-000000000000-abcd1234"
    assert sorted(found) == [f"{prefix}/display.jpg", f"{prefix}/original.jpg"]
    assert sorted(services.finished_files(storage, services.orphaned_folders(storage, 0))) == sorted(
        [*found, "photos/999/11111111-0000-4000-8000-000000000000-abcd1234/original.jpg"])


def test_orphaned_folders_include_empty_ones_and_their_finished_files_skip_temp_files(storage):
    """A worker killed right after creating the folder leaves it empty; one killed while writing
    leaves a temp file, which is the store's to list (stale_temp_files), not an orphaned file."""
    kept = make_photo()
    empty = storage.root / "photos" / "999" / "00000000-0000-4000-8000-000000000000-abcd1234"
    empty.mkdir(parents=True)
    partial = storage.root / "photos" / "999" / "22222222-0000-4000-8000-000000000000-abcd1234"
    partial.mkdir()
    (partial / ".tmp-half").write_bytes(b"half a file")
    (partial / "original.jpg").write_bytes(b"x")
    for path in (empty, partial, partial / ".tmp-half", storage.path(kept.original_key).parent):
        _age(path)
    assert services.orphaned_folders(storage, older_than_seconds=3600) == [
        "photos/999/00000000-0000-4000-8000-000000000000-abcd1234",
        "photos/999/22222222-0000-4000-8000-000000000000-abcd1234"]
    assert services.finished_files(storage, services.orphaned_folders(storage, 3600)) == [
        "photos/999/22222222-0000-4000-8000-000000000000-abcd1234/original.jpg"]
    assert storage.stale_temp_files(3600) == [partial / ".tmp-half"]


def test_stale_temp_files_spares_young_ones_and_skips_what_vanishes_while_listing(storage, monkeypatch):
    old, young = storage.root / "a" / ".tmp-old", storage.root / "a" / ".tmp-young"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    young.write_bytes(b"x")
    _age(old)
    assert storage.stale_temp_files(3600) == [old]
    # A write in flight renames its temp file away between the listing and the look at its age.
    listed = list(storage.root.rglob(".tmp-*"))
    old.unlink()
    monkeypatch.setattr(type(storage.root), "rglob", lambda self, pattern: iter(listed))
    assert storage.stale_temp_files(0) == [young]


def test_a_store_without_photos_has_no_orphaned_folders(tmp_path):
    assert services.orphaned_folders(FileSystemStorage(tmp_path / "empty"), 0) == []
    assert services.orphaned_folders(object(), 0) == []


def test_timestamps_are_stored_utc_and_shown_in_company_time(storage):
    photo = make_photo(data=make_image_bytes(captured="2026:05:01 23:30:00"))
    assert photo.captured_at.isoformat() == "2026-05-01T15:30:00"
    assert f"{to_local(photo.captured_at):%Y-%m-%d %H:%M}" == "2026-05-01 23:30"
