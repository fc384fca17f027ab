"""Field actions from the phone's outbox over HTTP: one effect per client id, versions and
conflicts, and the phone's and the server's times."""
import io
import uuid
from datetime import timedelta

from PIL import Image

from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.fieldsync.models import FieldAction
from portal.inspections.models import Answer, AnswerChange, Inspection, InspectionEvent
from portal.inspections.services import load_answers
from portal.photos.models import Photo
from portal.timeutil import utcnow
from tests.factories import make_equipment, make_inspection, make_photo, make_project, make_user



def htmx(row, what="item") -> dict:
    """The headers htmx sends for the item's (or its note state's) fragment."""
    target = f"item-{row.item_id}" if what == "item" else f"note-state-{row.item_id}"
    return {"HX-Request": "true", "HX-Target": target}


def iso(moment) -> str:
    return moment.isoformat() + "Z"


def first_row(inspection) -> Answer:
    return next(a for a in load_answers(inspection) if not a.item.is_measured)


def url(inspection, row, suffix=""):
    return f"/inspections/{inspection.id}/items/{row.item_id}{suffix}"


def changes(inspection) -> int:
    return db.session.scalar(select(func.count()).select_from(AnswerChange)
                             .where(AnswerChange.inspection_id == inspection.id))


def test_a_replayed_answer_is_saved_once_and_gets_the_same_answer(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    data = {"outcome": "fail", "client_id": str(uuid.uuid4()), "base_version": "0"}
    headers = htmx(row)
    first = client.post(url(inspection, row), data=data, headers=headers)
    again = client.post(url(inspection, row), data=data, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["X-Replayed"] == "1" and again.text == first.text
    assert first.headers["X-Answer-Version"] == again.headers["X-Answer-Version"] == "1"
    assert changes(inspection) == 1
    assert db.session.scalar(select(func.count()).select_from(FieldAction)) == 1


def test_own_changes_chained_on_the_returned_version_never_conflict(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    one = client.post(url(inspection, row), data={"outcome": "fail", "client_id": str(uuid.uuid4()),
                                                  "base_version": "0"}, headers=htmx(row))
    two = client.post(url(inspection, row), data={"outcome": "pass", "client_id": str(uuid.uuid4()),
                                                  "base_version": one.headers["X-Answer-Version"]}, headers=htmx(row))
    assert two.status_code == 200 and two.headers["X-Answer-Version"] == "2"
    db.session.expire_all()
    assert db.session.get(Answer, row.id).outcome == "pass"


def test_a_change_based_on_an_older_version_is_a_conflict_and_saves_nothing(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row), data={"outcome": "pass", "base_version": "0"}, headers=htmx(row))  # the other phone
    late = client.post(url(inspection, row), data={"outcome": "fail", "client_id": str(uuid.uuid4()),
                                                   "base_version": "0"}, headers=htmx(row))
    assert late.status_code == 409 and late.headers["X-Conflict"] == "1"
    assert late.headers["X-Answer-Version"] == "1"
    assert "data-conflict-keep" in late.text and "data-conflict-drop" in late.text
    assert "合格" in late.text and "不合格" in late.text  # theirs and mine
    db.session.expire_all()
    assert db.session.get(Answer, row.id).outcome == "pass" and changes(inspection) == 1
    # "Keep mine": the same action sent on the current version.
    kept = client.post(url(inspection, row), data={"outcome": "fail", "client_id": str(uuid.uuid4()),
                                                   "base_version": "1"}, headers=htmx(row))
    assert kept.status_code == 200
    db.session.expire_all()
    assert db.session.get(Answer, row.id).outcome == "fail"


def test_an_old_base_is_no_conflict_on_another_field_or_when_both_agree(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row), data={"outcome": "fail"}, headers=htmx(row))
    note = client.post(url(inspection, row, "/note"), data={"note": "裂缝", "base_version": "0"}, headers=htmx(row, "note"))
    same = client.post(url(inspection, row), data={"outcome": "fail", "base_version": "0"}, headers=htmx(row))
    assert note.status_code == 200 and same.status_code == 200
    db.session.expire_all()
    answer = db.session.get(Answer, row.id)
    assert (answer.outcome, answer.note, answer.version) == ("fail", "裂缝", 2)


def test_note_conflict_shows_both_notes(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row, "/note"), data={"note": "办公室的备注"}, headers=htmx(row))
    late = client.post(url(inspection, row, "/note"), data={"note": "现场的备注", "base_version": "0"}, headers=htmx(row))
    assert late.status_code == 409
    assert "办公室的备注" in late.text and "现场的备注" in late.text


def test_times_of_an_answer_done_offline_on_a_slow_phone(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    now = utcnow()
    slow = timedelta(minutes=30)  # the phone's clock runs 30 minutes behind
    captured = now - timedelta(hours=2) - slow
    response = client.post(url(inspection, row), data={"outcome": "pass", "captured_at": iso(captured)},
                           headers={**htmx(row), "X-Phone-Clock": iso(now - slow)})
    assert response.status_code == 200
    change = db.session.scalar(select(AnswerChange).where(AnswerChange.inspection_id == inspection.id))
    assert abs(change.captured_at - (now - timedelta(hours=2))) < timedelta(seconds=30)
    assert abs(change.changed_at - now) < timedelta(seconds=30)
    db.session.expire_all()
    stored = db.session.get(Inspection, inspection.id)
    assert stored.clock_flagged and abs(stored.clock_offset_seconds - 1800) < 30
    office_page = client.get(f"/inspections/{inspection.id}/history")
    assert office_page.status_code == 200


def test_start_done_offline_takes_the_phone_time_and_is_done_once(client, login_as):
    inspection = make_inspection(started=False)
    equipment = make_equipment()
    login_as(inspection.inspector)
    now = utcnow()
    data = {"foreman_present": "yes", "project_manager_present": "yes", "handbook_present": "yes",
            "equipment_ids": [equipment.id], "client_id": str(uuid.uuid4()),
            "captured_at": iso(now - timedelta(minutes=40))}
    first = client.post(f"/inspections/{inspection.id}/start", data=data, headers={"X-Phone-Clock": iso(now)})
    again = client.post(f"/inspections/{inspection.id}/start", data=data, headers={"X-Phone-Clock": iso(now)})
    assert first.status_code == again.status_code == 302 and again.headers["X-Replayed"] == "1"
    db.session.expire_all()
    stored = db.session.get(Inspection, inspection.id)
    assert abs(stored.started_at - (now - timedelta(minutes=40))) < timedelta(seconds=30)
    assert not stored.clock_flagged
    events = db.session.scalars(select(InspectionEvent).where(InspectionEvent.inspection_id == inspection.id,
                                                              InspectionEvent.kind == "started")).all()
    assert len(events) == 1 and events[0].captured_at == stored.started_at


def test_a_refused_action_is_not_recorded_and_can_be_sent_again(client, login_as):
    inspection = make_inspection()
    row = next(a for a in load_answers(inspection) if a.item.is_measured)
    login_as(inspection.inspector)
    action = str(uuid.uuid4())
    refused = client.post(url(inspection, row), data={"value": "abc", "client_id": action}, headers=htmx(row))
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(FieldAction)) == 0


def test_a_client_id_that_is_not_a_uuid_is_ignored(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    response = client.post(url(inspection, row), data={"outcome": "pass", "client_id": "../x"}, headers=htmx(row))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(FieldAction)) == 0


def small_jpeg() -> bytes:
    """A JPEG without EXIF (no capture time of its own)."""
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_a_photo_without_exif_takes_the_phone_time_and_a_deletion_is_done_once(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row), data={"outcome": "fail"}, headers=htmx(row))
    now = utcnow()
    photo_uuid = str(uuid.uuid4())
    upload = client.post(url(inspection, row, "/photos"), headers={"HX-Request": "true", "X-Phone-Clock": iso(now)},
                         data={"uuid": photo_uuid, "client_id": photo_uuid, "captured_at": iso(now - timedelta(hours=1)),
                               "file": (io.BytesIO(small_jpeg()), "crack.jpg", "image/jpeg")})
    assert upload.status_code == 201
    photo = db.session.scalar(select(Photo).where(Photo.uuid == photo_uuid))
    assert abs(photo.captured_at - (now - timedelta(hours=1))) < timedelta(seconds=30)
    assert abs(photo.uploaded_at - now) < timedelta(seconds=30)
    deletion = {"reason": "拍错了", "client_id": str(uuid.uuid4())}
    first = client.post(f"/photos/{photo_uuid}/delete", data=deletion, headers={"HX-Request": "true"})
    again = client.post(f"/photos/{photo_uuid}/delete", data=deletion, headers={"HX-Request": "true"})
    assert first.status_code == again.status_code == 200 and again.headers["X-Replayed"] == "1"
    db.session.expire_all()
    assert db.session.get(Photo, photo.id).deleted_at is not None


def test_the_outbox_gets_a_redirect_as_its_target_so_the_flash_waits_for_the_page(client, login_as):
    inspection = make_inspection(started=False)
    equipment = make_equipment()
    login_as(inspection.inspector)
    data = {"foreman_present": "yes", "project_manager_present": "yes", "handbook_present": "yes",
            "equipment_ids": [equipment.id], "client_id": str(uuid.uuid4())}
    response = client.post(f"/inspections/{inspection.id}/start", data=data, headers={"X-Outbox": "1"})
    assert response.status_code == 200 and response.text == ""
    assert response.headers["X-Redirect-To"].endswith(f"/inspections/{inspection.id}")
    replay = client.post(f"/inspections/{inspection.id}/start", data=data, headers={"X-Outbox": "1"})
    assert replay.headers["X-Redirect-To"] == response.headers["X-Redirect-To"] and replay.headers["X-Replayed"] == "1"


def test_a_far_off_phone_clock_is_shown_to_the_office(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    now = utcnow()
    client.post(url(inspection, row), data={"outcome": "pass", "captured_at": iso(now + timedelta(hours=3))},
                headers={**htmx(row), "X-Phone-Clock": iso(now + timedelta(hours=3))})
    change = db.session.scalar(select(AnswerChange).where(AnswerChange.inspection_id == inspection.id))
    assert abs(change.captured_at - now) < timedelta(seconds=30)  # corrected, not three hours ahead
    login_as(make_user(Role.OFFICE))
    page = client.get(f"/inspections/{inspection.id}").text
    assert "data-clock-flag" in page and "180" in page


def upload_photo(client, inspection, row, phone_clock):
    photo_uuid = str(uuid.uuid4())
    return client.post(url(inspection, row, "/photos"), headers={"HX-Request": "true", "X-Phone-Clock": iso(phone_clock)},
                       data={"uuid": photo_uuid, "client_id": photo_uuid, "captured_at": iso(phone_clock),
                             "file": (io.BytesIO(small_jpeg()), "crack.jpg", "image/jpeg")}), photo_uuid


def test_a_photo_from_a_far_off_phone_clock_flags_its_inspection(client, login_as):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row), data={"outcome": "fail"}, headers=htmx(row))  # no clock: nothing noted
    db.session.expire_all()
    assert inspection.clock_offset_seconds is None
    now = utcnow()
    upload, photo_uuid = upload_photo(client, inspection, row, now - timedelta(minutes=40))
    assert upload.status_code == 201
    db.session.expire_all()
    assert inspection.clock_flagged and abs(inspection.clock_offset_seconds - 40 * 60) < 30
    photo = db.session.scalar(select(Photo).where(Photo.uuid == photo_uuid))
    assert abs(photo.captured_at - now) < timedelta(seconds=30)  # corrected by the offset
    login_as(make_user(Role.OFFICE))
    assert "data-clock-flag" in client.get(f"/inspections/{inspection.id}").text


def test_a_photo_deleted_from_a_far_off_phone_clock_flags_its_inspection(client, login_as, storage):
    inspection = make_inspection()
    row = first_row(inspection)
    photo = make_photo(inspection=inspection, item_id=row.item_id)
    login_as(inspection.inspector)
    response = client.post(f"/photos/{photo.uuid}/delete", data={"reason": "拍错了", "client_id": str(uuid.uuid4())},
                           headers={"HX-Request": "true", "X-Phone-Clock": iso(utcnow() + timedelta(hours=1))})
    assert response.status_code == 200
    db.session.expire_all()
    assert inspection.clock_flagged and abs(inspection.clock_offset_seconds + 3600) < 30


def test_a_near_clock_is_kept_unflagged_and_a_photo_of_no_inspection_flags_nothing(client, login_as, storage):
    inspection = make_inspection()
    row = first_row(inspection)
    login_as(inspection.inspector)
    client.post(url(inspection, row), data={"outcome": "fail"}, headers=htmx(row))
    upload, _uuid = upload_photo(client, inspection, row, utcnow() - timedelta(minutes=2))
    assert upload.status_code == 201
    db.session.expire_all()
    assert not inspection.clock_flagged and abs(inspection.clock_offset_seconds - 120) < 30
    project = make_project()
    concealed = make_photo(project)  # the concealed-works record: its foreman's photo
    login_as(project.foreman)
    response = client.post(f"/photos/{concealed.uuid}/delete", data={"reason": "重复"},
                           headers={"HX-Request": "true", "X-Phone-Clock": iso(utcnow() + timedelta(hours=1))})
    assert response.status_code == 200
