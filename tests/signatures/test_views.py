"""Signature pages over HTTP: collecting on the inspector's phone, own slots, stale content,
the public single-use link, refusals, voiding on reopen, and the lock on concealed-works photos.
"""
from __future__ import annotations

import io
import os
import re
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.fieldsync.models import FieldAction
from portal.inspections.services import answers_version, finish, load_answers, reopen, save_answer
from portal.photos.models import ClosureTest
from portal.photos.services import concealed_record
from portal.signatures import services
from portal.signatures.models import Signature, SigningLink
from portal.inspections.signing import INSPECTION_RECORD
from portal.photos.signing import CLOSURE_TEST_RECORD
from portal.timeutil import utcnow
from tests.factories import (
    make_failed_inspection, make_finished_inspection, make_image_bytes, make_photo, make_project, make_signature, make_signature_png,
    make_strokes, make_user, signature_data_url,
)

INSPECTION = INSPECTION_RECORD
LINK_RE = re.compile(r"https://portal\.test/sign/([A-Za-z0-9_.\-]+)")


pytestmark = pytest.mark.usefixtures("storage")  # every test here may store a signature


@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them (the default language is Chinese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


@pytest.fixture
def anonymous(app):
    """A second phone: nobody logged in (the owner opening a signing link)."""
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["lang"] = "en"
    return other


def panel_url(type_name, record) -> str:
    return f"/signatures/{type_name}/{record.id}"


def page_fingerprint(html: str) -> str:
    """The fingerprint the pad posts back (what the signer saw)."""
    return re.search(r'name="fingerprint" value="([0-9a-f]{64})"', html).group(1)


def pad_form(fingerprint: str, slot: str, name: str = "张三", png: str | None = None, strokes: str | None = None,
             **extra) -> dict:
    return {"slot": slot, "signer_name": name, "png": png or signature_data_url(), "strokes": strokes or make_strokes(),
            "fingerprint": fingerprint, **extra}


def signatures_of(type_name, record) -> list[Signature]:
    db.session.expire_all()
    return list(db.session.scalars(select(Signature).where(Signature.record_type == type_name,
                                                           Signature.record_id == record.id).order_by(Signature.id)))


def sign_on_panel(client, type_name, record, slot, **fields):
    """Open the panel (as the logged-in user), then sign ``slot`` with what it showed."""
    fingerprint = page_fingerprint(client.get(panel_url(type_name, record)).text)
    return client.post(f"{panel_url(type_name, record)}/sign", data=pad_form(fingerprint, slot, **fields))


def upload_concealed(client, project):
    form = {"uuid": str(uuid.uuid4()), "file": (io.BytesIO(make_image_bytes()), "IMG_0001.jpg", "image/jpeg"),
            "system": "water_supply", "location": "主卫", "stage": "before_covering"}
    return client.post(f"/projects/{project.id}/concealed/photos", data=form, content_type="multipart/form-data")


# --- collecting on site -----------------------------------------------------------------------

def test_inspector_signs_his_slot_and_collects_the_foremans_on_his_phone(client, login_as):
    inspection = make_finished_inspection()
    inspector = login_as(inspection.inspector)
    page = client.get(panel_url("inspection", inspection))
    assert page.status_code == 200 and 'name="slot" value="foreman"' in page.text
    assert sign_on_panel(client, "inspection", inspection, "inspector", name=inspector.display_name).status_code == 302
    assert sign_on_panel(client, "inspection", inspection, "foreman", name="李工长").status_code == 302
    own, collected = signatures_of("inspection", inspection)
    assert (own.slot, own.signer_user_id, own.collected_by_id) == ("inspector", inspector.id, None)
    assert (collected.slot, collected.signer_name) == ("foreman", "李工长")
    assert collected.signer_user_id is None and collected.collected_by_id == inspector.id
    assert collected.fingerprint == services.current_fingerprint(INSPECTION, inspection)
    html = client.get(panel_url("inspection", inspection)).text
    assert "李工长" in html and f"collected by {inspector.display_name}" in html
    assert "Matches the current content" in html and "Still to sign" in html


def test_all_required_signatures_lock_the_inspection_and_the_pads_go(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    for slot in ("inspector", "foreman", "project_manager"):
        assert sign_on_panel(client, "inspection", inspection, slot).status_code == 302
    html = client.get(panel_url("inspection", inspection)).text
    assert "the record is locked" in html
    assert 'name="slot" value="owner"' in html  # the optional owner may still sign
    assert 'name="slot" value="foreman"' not in html


def test_projects_foreman_signs_his_own_slot_but_not_the_pms(client, login_as):
    inspection = make_finished_inspection()
    foreman = login_as(inspection.project.foreman)
    page = client.get(panel_url("inspection", inspection))
    assert page.status_code == 200
    assert 'name="slot" value="foreman"' in page.text and 'name="slot" value="project_manager"' not in page.text
    fingerprint = page_fingerprint(page.text)
    denied = client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(fingerprint, "project_manager"))
    assert denied.status_code == 403 and "You cannot sign for this role." in denied.text
    signed = client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(fingerprint, "foreman",
                                                                                      name=foreman.display_name))
    assert signed.status_code == 302
    [signature] = signatures_of("inspection", inspection)
    assert (signature.slot, signature.signer_user_id, signature.collected_by_id) == ("foreman", foreman.id, None)


def test_foreman_may_not_create_links_on_an_inspection(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.project.foreman)
    response = client.post(f"{panel_url('inspection', inspection)}/links", data={"slot": "owner", "signer_name": "赵六"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.FOREMAN, Role.PROJECT_MANAGER])
def test_an_unrelated_foreman_or_pm_gets_404(client, login_as, role):
    inspection = make_finished_inspection()
    make_signature("inspection", inspection, "inspector", user=inspection.inspector)
    signature = signatures_of("inspection", inspection)[0]
    login_as(make_user(role))
    assert client.get(panel_url("inspection", inspection)).status_code == 404
    assert client.post(f"{panel_url('inspection', inspection)}/sign",
                       data=pad_form("0" * 64, "foreman")).status_code == 404
    assert client.get(f"/signatures/image/{signature.id}").status_code == 404


def test_another_inspector_gets_404(client, login_as):
    inspection = make_finished_inspection()
    login_as(Role.INSPECTOR)
    assert client.get(panel_url("inspection", inspection)).status_code == 404


def test_signature_image_is_served_to_those_who_see_the_record(client, login_as):
    inspection = make_finished_inspection()
    signature = make_signature("inspection", inspection, "inspector", user=inspection.inspector)
    login_as(inspection.project.project_manager)
    response = client.get(f"/signatures/image/{signature.id}")
    try:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG") and "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
    finally:
        response.close()


# --- what the pad sends -----------------------------------------------------------------------

def test_signing_after_the_record_changed_is_refused_with_409(client, login_as):
    project = make_project()
    record = concealed_record(project)
    login_as(project.foreman)
    seen = page_fingerprint(client.get(panel_url("concealed", record)).text)
    make_photo(project)  # another photo arrives while the owner reads the record
    response = client.post(f"{panel_url('concealed', record)}/sign", data=pad_form(seen, "owner", name="业主"))
    assert response.status_code == 409
    assert "The record changed, please review it again" in response.text
    assert page_fingerprint(response.text) != seen  # the page now shows the new content to review
    assert signatures_of("concealed", record) == []


def test_signing_an_inspection_that_was_reopened_and_changed_is_refused(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    seen = page_fingerprint(client.get(panel_url("inspection", inspection)).text)
    reopen(inspection, make_user(Role.OFFICE), "含水率复测")
    measured = next(a for a in load_answers(inspection) if a.item.is_measured)
    save_answer(measured, inspection.inspector, raw_value="11")
    finish(inspection, inspection.inspector, answers_version(inspection))
    db.session.commit()
    response = client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(seen, "inspector"))
    assert response.status_code == 409 and "The record changed, please review it again" in response.text


@pytest.mark.parametrize("png, strokes", [
    (signature_data_url(make_signature_png(ink=False)), None),   # the canvas is empty
    (None, "[]"),                                                  # no stroke points
], ids=["empty-canvas", "no-strokes"])
def test_an_empty_signature_is_422(client, login_as, png, strokes):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    response = sign_on_panel(client, "inspection", inspection, "inspector", png=png, strokes=strokes)
    assert response.status_code == 422
    assert "The signature is empty" in response.text
    assert signatures_of("inspection", inspection) == []


def test_a_non_png_signature_is_422(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    response = sign_on_panel(client, "inspection", inspection, "inspector",
                             png=signature_data_url(make_signature_png(fmt="JPEG"), mime="image/jpeg"))
    assert response.status_code == 422 and "The signature image is not valid" in response.text


def test_an_unfinished_inspection_shows_no_pad_and_refuses_signing(client, login_as):
    from tests.factories import make_inspection

    inspection = make_inspection()
    login_as(inspection.inspector)
    page = client.get(panel_url("inspection", inspection))
    assert page.status_code == 200 and "data-sign-form" not in page.text
    fingerprint = services.current_fingerprint(INSPECTION, inspection)
    response = client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(fingerprint, "inspector"))
    assert response.status_code == 422 and "it is not finished" in response.text


def test_a_slot_signed_twice_is_409(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    seen = page_fingerprint(client.get(panel_url("inspection", inspection)).text)
    assert client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(seen, "foreman")).status_code == 302
    again = client.post(f"{panel_url('inspection', inspection)}/sign", data=pad_form(seen, "foreman"))
    assert again.status_code == 409 and "This role has already signed." in again.text
    assert len(signatures_of("inspection", inspection)) == 1


# --- refusal ----------------------------------------------------------------------------------

def test_a_refusal_is_shown_with_its_witness(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    before = client.get(panel_url("inspection", inspection)).text
    assert "badge-bad refused" not in before
    response = sign_on_panel(client, "inspection", inspection, "foreman", name="李工长", refusal_reason="不同意扣分",
                             witness_name="王见证", witness_relation="物业管家")
    assert response.status_code == 302
    html = client.get(panel_url("inspection", inspection)).text
    slot_list = html[html.index('class="list sig-slots"'):]
    assert "拒签" in slot_list and 'class="badge badge-bad refused"' in slot_list
    assert "王见证" in slot_list and "物业管家" in slot_list and "不同意扣分" in slot_list
    [signature] = signatures_of("inspection", inspection)
    assert signature.refused and signature.witness_name == "王见证"


@pytest.mark.parametrize("refusal", [{}, {"refusal_reason": "不同意扣分", "witness_name": "王见证", "witness_relation": "物业管家"}],
                         ids=["signature", "refusal"])
def test_a_signing_sent_twice_by_the_outbox_is_stored_once(client, login_as, refusal):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    fingerprint = page_fingerprint(client.get(panel_url("inspection", inspection)).text)
    data = pad_form(fingerprint, "foreman", name="李工长", client_id=str(uuid.uuid4()), **refusal)
    outbox = {"X-Outbox": "1", "HX-Request": "true"}
    first = client.post(f"{panel_url('inspection', inspection)}/sign", data=data, headers=outbox)
    again = client.post(f"{panel_url('inspection', inspection)}/sign", data=data, headers=outbox)  # its answer was lost
    assert first.status_code == again.status_code == 200
    assert "X-Replayed" not in first.headers and again.headers["X-Replayed"] == "1"
    assert again.headers["X-Redirect-To"] == first.headers["X-Redirect-To"] == panel_url("inspection", inspection)
    [signature] = signatures_of("inspection", inspection)
    assert signature.refused == bool(refusal) and signature.witness_name == refusal.get("witness_name", "")
    assert db.session.scalar(select(func.count()).select_from(FieldAction)) == 1
    other = dict(data, client_id=str(uuid.uuid4()))  # another action on the same slot is refused as ever
    assert client.post(f"{panel_url('inspection', inspection)}/sign", data=other, headers=outbox).status_code == 409


def test_a_signature_from_the_inspectors_far_off_phone_clock_flags_the_inspection(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    now = utcnow()
    fingerprint = page_fingerprint(client.get(panel_url("inspection", inspection)).text)
    data = pad_form(fingerprint, "foreman", name="李工长", captured_at=(now + timedelta(minutes=20)).isoformat() + "Z")
    response = client.post(f"{panel_url('inspection', inspection)}/sign", data=data,
                           headers={"X-Phone-Clock": (now + timedelta(minutes=20)).isoformat() + "Z"})
    assert response.status_code == 302
    db.session.expire_all()
    assert inspection.clock_flagged and abs(inspection.clock_offset_seconds + 20 * 60) < 30
    [signature] = signatures_of("inspection", inspection)
    assert abs(signature.captured_at - now) < timedelta(seconds=30)  # corrected, not 20 minutes ahead


def test_a_signature_from_the_foremans_own_phone_does_not_flag_the_inspectors_clock(client, login_as):
    inspection = make_finished_inspection()
    foreman = login_as(inspection.project.foreman)
    fingerprint = page_fingerprint(client.get(panel_url("inspection", inspection)).text)
    response = client.post(f"{panel_url('inspection', inspection)}/sign",
                           data=pad_form(fingerprint, "foreman", name=foreman.display_name),
                           headers={"X-Phone-Clock": (utcnow() - timedelta(hours=2)).isoformat() + "Z"})
    assert response.status_code == 302
    db.session.expire_all()
    assert inspection.clock_offset_seconds is None and not inspection.clock_flagged


def test_a_refusal_without_a_witness_is_422(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    response = sign_on_panel(client, "inspection", inspection, "owner", refusal_reason="拒绝签字")
    assert response.status_code == 422 and "A refusal needs a witness (name and role) who signs." in response.text


# --- voiding and stale signatures -------------------------------------------------------------

def test_reopening_shows_the_signatures_as_voided_with_who_when_why(client, login_as):
    inspection = make_finished_inspection()
    for slot in ("inspector", "foreman", "project_manager"):
        make_signature("inspection", inspection, slot, user=inspection.inspector, signer_name=f"签{slot}")
    office = make_user(Role.OFFICE, display_name="质检办小刘")
    reopen(inspection, office, "业主投诉，重新检查")
    db.session.commit()
    login_as(inspection.inspector)
    html = client.get(panel_url("inspection", inspection)).text
    voided = html[html.index("Voided signatures"):]
    assert "签foreman" in voided and "质检办小刘" in voided and "业主投诉，重新检查" in voided
    assert "the record is locked" not in html


def test_a_signature_on_older_content_is_shown_as_not_matching(client, login_as):
    project = make_project()
    record = concealed_record(project)
    make_signature("concealed", record, "owner", signer_name="业主钱七")
    make_photo(project)
    login_as(project.foreman)
    html = client.get(panel_url("concealed", record)).text
    assert "业主钱七" in html and "Content changed since signing" in html
    assert 'name="slot" value="owner"' in html  # the owner signs again


# --- the concealed-works lock -----------------------------------------------------------------

def test_a_fully_signed_concealed_record_refuses_photo_uploads(client, login_as):
    project = make_project()
    record = concealed_record(project)
    make_photo(project)
    login_as(project.foreman)
    assert upload_concealed(client, project).status_code == 201  # open while unsigned
    db.session.expire_all()
    make_signature("concealed", record, "owner")
    make_signature("concealed", record, "foreman", user=project.foreman)
    db.session.commit()
    response = upload_concealed(client, project)
    assert response.status_code == 409
    assert len(concealed_content_photos(record)) == 2


def concealed_content_photos(record):
    from portal.photos.services import record_photos

    db.session.expire_all()
    return record_photos(record)


def test_a_fully_signed_concealed_record_refuses_photo_deletion(client, login_as):
    project = make_project()
    record = concealed_record(project)
    photo = make_photo(project)
    make_signature("concealed", record, "owner")
    make_signature("concealed", record, "foreman", user=project.foreman)
    login_as(project.foreman)
    response = client.post(f"/photos/{photo.uuid}/delete", data={"reason": "拍错了"})
    assert response.status_code == 409


def _signed_closure_test(project):
    test = ClosureTest(record_id=concealed_record(project).id, location="主卫", started_at=datetime(2026, 5, 1, 2, 0),
                       created_by_id=project.foreman_id)
    db.session.add(test)
    db.session.flush()
    test.ended_at, test.leak = test.started_at + timedelta(hours=25), False
    make_signature("closure_test", test, "owner")
    make_signature("closure_test", test, "foreman", user=project.foreman)
    assert services.is_locked(CLOSURE_TEST_RECORD, test)
    db.session.commit()
    return test


def test_a_fully_signed_closure_test_cannot_be_changed(client, login_as):
    project = make_project()
    test = _signed_closure_test(project)
    login_as(project.foreman)
    response = client.post(f"/projects/{project.id}/concealed/closure-tests/{test.id}",
                           data={"ended_at": "2026-05-02T12:00", "result": "leak", "note": "其实漏了"})
    db.session.expire_all()
    assert response.status_code == 409 and db.session.get(ClosureTest, test.id).leak is False


def test_a_fully_signed_closure_test_refuses_photos(client, login_as):
    project = make_project()
    test = _signed_closure_test(project)
    login_as(project.foreman)
    form = {"uuid": str(uuid.uuid4()), "file": (io.BytesIO(make_image_bytes()), "IMG_0002.jpg", "image/jpeg"),
            "system": "waterproofing", "location": "主卫", "stage": "closure_end", "closure_test_id": str(test.id)}
    response = client.post(f"/projects/{project.id}/concealed/photos", data=form, content_type="multipart/form-data")
    assert response.status_code == 409


def test_closure_test_panel_waits_for_the_end_then_takes_owner_and_foreman(client, login_as):
    project = make_project()
    test = ClosureTest(record_id=concealed_record(project).id, location="主卫", started_at=datetime(2026, 5, 1, 2, 0),
                       created_by_id=project.foreman_id)
    db.session.add(test)
    db.session.flush()
    login_as(project.foreman)
    running = client.get(panel_url("closure_test", test))
    assert running.status_code == 200 and "data-sign-form" not in running.text
    test.ended_at, test.leak = test.started_at + timedelta(hours=24), False
    db.session.commit()
    ended = client.get(panel_url("closure_test", test)).text
    assert "No leak" in ended
    assert 'name="slot" value="owner"' in ended and 'name="slot" value="foreman"' in ended
    assert sign_on_panel(client, "closure_test", test, "foreman").status_code == 302
    assert sign_on_panel(client, "closure_test", test, "owner", name="业主").status_code == 302
    assert "the record is locked" in client.get(panel_url("closure_test", test)).text


def test_a_link_for_an_unknown_slot_or_without_a_name_is_422(client, login_as):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    for data in ({"slot": "landlord", "signer_name": "赵六"}, {"slot": "owner", "signer_name": ""}):
        assert client.post(f"{panel_url('inspection', inspection)}/links", data=data).status_code == 422
    assert db.session.scalars(select(SigningLink).where(SigningLink.record_id == inspection.id)).all() == []


# --- single-use links -------------------------------------------------------------------------

def create_link_on_panel(client, type_name, record, slot, signer_name) -> str:
    response = client.post(f"{panel_url(type_name, record)}/links", data={"slot": slot, "signer_name": signer_name})
    assert response.status_code == 200, response.text[:300]
    assert "<svg" in response.text  # the QR code
    return LINK_RE.search(response.text).group(1)


def test_public_link_flow_shows_the_record_signs_once_then_is_dead(client, login_as, anonymous):
    project = make_project(owner_name="业主孙八", address="西安市碑林区南大街1号101室")
    record = concealed_record(project)
    make_photo(project)
    login_as(project.foreman)
    token = create_link_on_panel(client, "concealed", record, "owner", project.owner_name)
    assert token not in "".join(db.session.scalars(select(SigningLink.nonce_hash)))

    page = anonymous.get(f"/sign/{token}")
    assert page.status_code == 200
    assert project.contract_no in page.text and "sigpad-canvas" in page.text and "data-sign-form" in page.text
    assert "1 concealed-works photos" in page.text
    done = anonymous.post(f"/sign/{token}", data={"fingerprint": page_fingerprint(page.text),
                                                  "png": signature_data_url(), "strokes": make_strokes()})
    assert done.status_code == 200 and "Thank you" in done.text

    [signature] = signatures_of("concealed", record)
    assert signature.slot == "owner" and signature.signer_name == "业主孙八" and signature.link_id is not None
    assert signature.signer_user_id is None and signature.collected_by_id is None

    for again in (anonymous.get(f"/sign/{token}"), anonymous.post(f"/sign/{token}", data={})):
        assert again.status_code == 410
        assert "already been used" in again.text
        for secret in (project.contract_no, "业主孙八", "西安市碑林区南大街1号101室", "sigpad"):
            assert secret not in again.text
    assert len(signatures_of("concealed", record)) == 1


def test_the_link_fixes_slot_and_name(client, login_as, anonymous):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    token = create_link_on_panel(client, "inspection", inspection, "owner", "业主周九")
    page = anonymous.get(f"/sign/{token}")
    response = anonymous.post(f"/sign/{token}", data={
        "slot": "project_manager", "signer_name": "冒名者", "fingerprint": page_fingerprint(page.text),
        "png": signature_data_url(), "strokes": make_strokes()})
    assert response.status_code == 200
    [signature] = signatures_of("inspection", inspection)
    assert (signature.slot, signature.signer_name) == ("owner", "业主周九")


def test_a_public_signature_on_changed_content_is_409_and_the_link_stays_usable(client, login_as, anonymous):
    project = make_project()
    record = concealed_record(project)
    login_as(project.foreman)
    token = create_link_on_panel(client, "concealed", record, "owner", "业主")
    seen = page_fingerprint(anonymous.get(f"/sign/{token}").text)
    make_photo(project)
    db.session.commit()
    response = anonymous.post(f"/sign/{token}", data={"fingerprint": seen, "png": signature_data_url(),
                                                      "strokes": make_strokes()})
    assert response.status_code == 409 and "The record changed, please review it again" in response.text
    assert anonymous.get(f"/sign/{token}").status_code == 200


def test_an_empty_public_signature_is_422(client, login_as, anonymous):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    token = create_link_on_panel(client, "inspection", inspection, "owner", "业主")
    seen = page_fingerprint(anonymous.get(f"/sign/{token}").text)
    response = anonymous.post(f"/sign/{token}", data={"fingerprint": seen, "strokes": make_strokes(),
                                                      "png": signature_data_url(make_signature_png(ink=False))})
    assert response.status_code == 422 and "The signature is empty" in response.text


def test_a_revoked_link_is_410(client, login_as, anonymous):
    inspection = make_finished_inspection()
    login_as(inspection.inspector)
    token = create_link_on_panel(client, "inspection", inspection, "owner", "业主吴十")
    link = db.session.scalars(select(SigningLink).where(SigningLink.record_id == inspection.id)).one()
    assert client.post(f"/signing-links/{link.id}/revoke").status_code == 302
    response = anonymous.get(f"/sign/{token}")
    assert response.status_code == 410 and "withdrawn" in response.text
    assert inspection.project.contract_no not in response.text
    assert "Withdrawn" in client.get(panel_url("inspection", inspection)).text


def test_an_expired_link_is_410(client, login_as, anonymous):
    inspection = make_finished_inspection()
    link, token = services.create_link(INSPECTION, inspection, "owner", "业主", inspection.inspector,
                                       now=utcnow() - timedelta(hours=73))
    db.session.commit()
    response = anonymous.get(f"/sign/{token}")
    assert response.status_code == 410 and "expired" in response.text
    assert link.state(utcnow()) == "expired"


def test_only_collectors_revoke_links(client, login_as):
    inspection = make_finished_inspection()
    link, _token = services.create_link(INSPECTION, inspection, "owner", "业主", inspection.inspector)
    db.session.commit()
    login_as(inspection.project.foreman)
    assert client.post(f"/signing-links/{link.id}/revoke").status_code == 403
    login_as(make_user(Role.FOREMAN))
    assert client.post(f"/signing-links/{link.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(SigningLink, link.id).revoked_at is None


@pytest.mark.parametrize("token", ["garbage", "eyJsIjoxLCJuIjoieCJ9.AAAAAAAAAAAAAAAAAAAAAAAAAAA", "x" * 400])
def test_a_garbage_token_is_404(anonymous, token):
    response = anonymous.get(f"/sign/{token}")
    assert response.status_code == 404 and "sigpad" not in response.text


@pytest.mark.real_commits
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_phones_using_one_link_at_the_same_moment_sign_once(app, monkeypatch):
    with app.app_context():
        # Committed for real: a contract number the factory never generates, so later tests cannot collide.
        inspection = make_finished_inspection(project=make_project(contract_no=f"S{uuid.uuid4().hex[:8].upper()}"))
        link, token = services.create_link(INSPECTION, inspection, "owner", "业主", inspection.inspector)
        fingerprint = services.current_fingerprint(INSPECTION, inspection)
        db.session.commit()
        link_id = link.id
        db.session.remove()

    # Both requests read the record's signature state before either of them writes (when the
    # code lets them: a request waiting for a lock simply meets nobody and goes on after 3 s).
    original, barrier = services.record_signatures, threading.Barrier(2)

    def rendezvous(rtype, record):
        state = original(rtype, record)
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return state

    monkeypatch.setattr(services, "record_signatures", rendezvous)
    statuses, errors = [], []

    def phone():
        try:
            response = app.test_client().post(f"/sign/{token}", data={
                "fingerprint": fingerprint, "png": signature_data_url(), "strokes": make_strokes()})
            statuses.append(response.status_code)
        except Exception as exc:  # an integrity error of the loser is acceptable, two signatures are not
            errors.append(exc)

    threads = [threading.Thread(target=phone) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        used = db.session.scalars(select(Signature).where(Signature.link_id == link_id)).all()
        db.session.remove()
    assert statuses.count(200) == 1 and len(used) == 1, (statuses, errors)


# --- who collects on notices, concealed-works records and closure tests ------------------------

def _project_records():
    """A failed inspection's project with its notice, concealed-works record and an ended closure test."""
    inspection, notice = make_failed_inspection()
    project = inspection.project
    record = concealed_record(project)
    test = ClosureTest(record_id=record.id, location="主卫", started_at=datetime(2026, 5, 1, 2, 0),
                       ended_at=datetime(2026, 5, 2, 3, 0), leak=False, created_by_id=project.foreman_id)
    db.session.add(test)
    db.session.commit()
    return inspection, {"notice": notice, "concealed": record, "closure_test": test}


@pytest.mark.parametrize("type_name", ["notice", "concealed", "closure_test"])
def test_an_inspector_not_assigned_to_the_project_cannot_collect_or_create_links(client, login_as, type_name):
    _inspection, records = _project_records()
    record = records[type_name]
    login_as(Role.INSPECTOR)
    assert client.get(panel_url(type_name, record)).status_code == 404
    assert client.post(f"{panel_url(type_name, record)}/sign", data=pad_form("0" * 64, "owner")).status_code == 404
    response = client.post(f"{panel_url(type_name, record)}/links", data={"slot": "foreman", "signer_name": "李工长"})
    assert response.status_code == 404
    assert db.session.scalars(select(SigningLink)).all() == []
    assert signatures_of(type_name, record) == []


@pytest.mark.parametrize("type_name", ["notice", "concealed", "closure_test"])
def test_the_inspector_assigned_to_the_project_collects_and_creates_links(client, login_as, type_name):
    inspection, records = _project_records()
    login_as(inspection.inspector)
    slot = "foreman"
    assert sign_on_panel(client, type_name, records[type_name], slot).status_code == 302
    assert create_link_on_panel(client, type_name, records[type_name], "owner" if type_name != "notice"
                                else "project_manager", "赵六")


@pytest.mark.parametrize("role, shown", [(Role.OFFICE, True), (Role.ENGINEERING, False), (Role.FINANCE, False),
                                         (Role.ADMIN, False), (Role.INSPECTOR, False)])
def test_the_concealed_page_shows_the_signature_buttons_only_to_who_may_open_them(client, login_as, role, shown):
    _inspection, records = _project_records()
    project = records["concealed"].project_id
    login_as(role)
    html = client.get(f"/projects/{project}/concealed").text
    for type_name in ("concealed", "closure_test"):
        assert (panel_url(type_name, records[type_name]) in html) is shown
        if shown:
            assert client.get(panel_url(type_name, records[type_name])).status_code == 200


def test_the_projects_foreman_and_assigned_inspector_see_the_signature_buttons(client, login_as):
    inspection, records = _project_records()
    for person in (inspection.project.foreman, inspection.inspector):
        login_as(person)
        html = client.get(f"/projects/{inspection.project_id}/concealed").text
        assert panel_url("concealed", records["concealed"]) in html
        assert panel_url("closure_test", records["closure_test"]) in html
