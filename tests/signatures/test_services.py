"""Signature services: validating the pad's output, signing, refusing, locking, voiding, links."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from PIL import Image
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.services import reopen
from portal.photos.services import concealed_record
from portal.signatures import services
from portal.signatures.models import Signature, SigningLink
from portal.inspections.signing import INSPECTION_RECORD
from portal.photos.signing import CLOSURE_TEST_RECORD, CONCEALED_RECORD
from portal.signatures.services import SignatureError, SignatureInput
from tests.factories import (
    make_finished_inspection, make_inspection, make_photo, make_project, make_signature, make_signature_png,
    make_strokes, make_user, signature_data_url,
)

INSPECTION = INSPECTION_RECORD
CONCEALED = CONCEALED_RECORD
T0 = datetime(2026, 5, 1, 8, 0, 0)


def code_of(excinfo) -> str:
    return excinfo.value.code


def data_for(rtype, record, slot, **overrides) -> SignatureInput:
    """A valid pad submission for ``slot`` against the record's current content."""
    fields = dict(slot=slot, signer_name="张三", png=services.parse_signature_png(signature_data_url()),
                  strokes=services.parse_strokes(make_strokes()),
                  seen_fingerprint=services.current_fingerprint(rtype, record))
    fields.update(overrides)
    return SignatureInput(**fields)


def rows_of(rtype_name, record) -> list[Signature]:
    return list(db.session.scalars(select(Signature).where(Signature.record_type == rtype_name,
                                                           Signature.record_id == record.id).order_by(Signature.id)))


# --- the pad's PNG --------------------------------------------------------------------------

def test_a_valid_png_is_accepted_and_trimmed_to_the_ink():
    canvas = make_signature_png(600, 200)
    trimmed = services.parse_signature_png(signature_data_url(canvas))
    image = Image.open(io.BytesIO(trimmed))
    image.load()
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.width < 600 and image.height < 200
    assert len(trimmed) < len(canvas) or image.width * image.height < 600 * 200
    assert image.getchannel("A").getbbox() is not None  # the ink is still there


def test_an_empty_canvas_is_refused_as_empty():
    with pytest.raises(SignatureError) as info:
        services.parse_signature_png(signature_data_url(make_signature_png(ink=False)))
    assert code_of(info) == "empty"


@pytest.mark.parametrize("data_url", [
    signature_data_url(make_signature_png(fmt="JPEG"), mime="image/jpeg"),   # a JPEG data URL
    signature_data_url(make_signature_png(fmt="JPEG")),                      # JPEG bytes claiming to be PNG
    signature_data_url(make_signature_png(5000, 10)),                        # too wide
    signature_data_url(make_signature_png(10, 5000)),                        # too tall
    "data:image/png;base64,not*base64!",
    signature_data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),                 # a PNG header, no image
    "",
    "data:image/svg+xml;base64," + "PHN2Zz48L3N2Zz4=",
], ids=["jpeg-url", "jpeg-bytes", "5000x10", "10x5000", "bad-base64", "truncated-png", "empty-string", "svg"])
def test_anything_but_a_sane_png_is_a_bad_image(data_url):
    with pytest.raises(SignatureError) as info:
        services.parse_signature_png(data_url)
    assert code_of(info) == "bad_image"


def test_an_overlong_data_url_is_refused_before_decoding():
    with pytest.raises(SignatureError) as info:
        services.parse_signature_png("data:image/png;base64," + "A" * (services.MAX_PNG_BYTES * 2))
    assert code_of(info) == "bad_image"


# --- the pad's strokes ----------------------------------------------------------------------

def test_strokes_are_reserialised_compactly():
    out = services.parse_strokes(json.dumps(json.loads(make_strokes()), indent=2))
    assert " " not in out and json.loads(out) == json.loads(make_strokes())


@pytest.mark.parametrize("raw", ["[]", "", '[{"points": []}]'])
def test_no_stroke_points_is_empty(raw):
    with pytest.raises(SignatureError) as info:
        services.parse_strokes(raw)
    assert code_of(info) == "empty"


@pytest.mark.parametrize("raw", ["{", '{"points": []}', '["x"]', '[{"points": [{"x": 1, "y": 2}]}]',
                                 '[{"points": [{"x": "1", "y": 2, "time": 3}]}]'])
def test_malformed_strokes_are_refused(raw):
    with pytest.raises(SignatureError) as info:
        services.parse_strokes(raw)
    assert code_of(info) == "bad_strokes"


def test_too_many_points_are_refused():
    with pytest.raises(SignatureError) as info:
        services.parse_strokes(make_strokes(services.MAX_POINTS + 1))
    assert code_of(info) == "bad_strokes"


# --- signing --------------------------------------------------------------------------------

def test_signing_stores_the_image_and_a_row_bound_to_the_fingerprint(storage):
    inspection = make_finished_inspection()
    expected_fp = services.current_fingerprint(INSPECTION, inspection)
    signature, key = services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "inspector"), storage,
                                   user=inspection.inspector)
    assert signature.id is not None and signature.fingerprint == expected_fp
    assert signature.slot == "inspector" and signature.signer_name == "张三" and not signature.refused
    assert signature.signer_user_id == inspection.inspector.id and signature.collected_by_id is None
    assert storage.exists(key) and signature.image_key == key
    with storage.open(key) as handle, Image.open(handle) as image:
        assert image.format == "PNG"
    assert json.loads(signature.strokes)[0]["points"]


def test_a_slot_signed_for_somebody_else_is_collected(storage):
    inspection = make_finished_inspection()
    signature, _key = services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "foreman"), storage,
                                    user=inspection.inspector)
    assert signature.signer_user_id is None and signature.collected_by_id == inspection.inspector.id


def test_signing_with_an_old_fingerprint_is_changed(storage):
    inspection = make_finished_inspection()
    with pytest.raises(SignatureError) as info:
        services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "inspector", seen_fingerprint="0" * 64),
                      storage, user=inspection.inspector)
    assert code_of(info) == "changed"
    assert rows_of("inspection", inspection) == []


def test_an_unfinished_inspection_is_not_ready(storage):
    inspection = make_inspection()
    with pytest.raises(SignatureError) as info:
        services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "inspector"), storage,
                      user=inspection.inspector)
    assert code_of(info) == "not_ready"


def test_a_signed_slot_is_already_signed(storage):
    inspection = make_finished_inspection()
    make_signature("inspection", inspection, "foreman", user=inspection.inspector, storage=storage)
    with pytest.raises(SignatureError) as info:
        services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "foreman"), storage,
                      user=inspection.inspector)
    assert code_of(info) == "already_signed"
    assert len(rows_of("inspection", inspection)) == 1


@pytest.mark.parametrize("slot, name, code", [("owner", "", "name_required"), ("owner", "   ", "name_required"),
                                              ("owner", "x" * 101, "name_required"), ("landlord", "张三", "bad_slot"),
                                              ("inspector", "张三", "bad_slot")])
def test_slot_and_name_are_checked(storage, slot, name, code):
    record = concealed_record(make_project())
    with pytest.raises(SignatureError) as info:
        services.sign(CONCEALED, record, data_for(CONCEALED, record, slot, signer_name=name), storage)
    assert code_of(info) == code


def test_a_refusal_needs_a_witness(storage):
    inspection = make_finished_inspection()
    with pytest.raises(SignatureError) as info:
        services.sign(INSPECTION, inspection, data_for(INSPECTION, inspection, "owner", refusal_reason="不同意结论"),
                      storage, user=inspection.inspector)
    assert code_of(info) == "witness_required"


def test_a_witnessed_refusal_fills_the_slot(storage):
    inspection = make_finished_inspection()
    signature = make_signature("inspection", inspection, "foreman", user=inspection.inspector, storage=storage,
                               signer_name="李工长", refusal_reason="不同意扣分", witness_name="王五",
                               witness_relation="物业")
    assert signature.refused and signature.refusal_reason == "不同意扣分"
    assert (signature.witness_name, signature.witness_relation) == ("王五", "物业")
    slot = next(s for s in services.record_signatures(INSPECTION, inspection).slots if s.slot == "foreman")
    assert slot.signature == signature and slot.matches


# --- locking and voiding --------------------------------------------------------------------

def test_inspection_locks_after_inspector_foreman_and_pm_owner_optional(storage):
    inspection = make_finished_inspection()
    for slot in ("inspector", "foreman"):
        make_signature("inspection", inspection, slot, user=inspection.inspector, storage=storage)
        assert not services.is_locked(INSPECTION, inspection)
    assert services.record_signatures(INSPECTION, inspection).missing == ["project_manager"]
    make_signature("inspection", inspection, "project_manager", user=inspection.inspector, storage=storage)
    state = services.record_signatures(INSPECTION, inspection)
    assert state.locked and state.missing == []
    assert next(s for s in state.slots if s.slot == "owner").signature is None


def test_concealed_record_needs_owner_and_foreman(storage):
    record = concealed_record(make_project())
    assert [s.slot for s in services.record_signatures(CONCEALED, record).slots] == ["owner", "foreman"]
    make_signature("concealed", record, "owner", storage=storage)
    assert not services.is_locked(CONCEALED, record)
    make_signature("concealed", record, "foreman", storage=storage)
    assert services.is_locked(CONCEALED, record)


def test_closure_test_needs_owner_and_foreman_and_an_end(storage):
    from portal.photos.models import ClosureTest

    project = make_project()
    test = ClosureTest(record_id=concealed_record(project).id, location="主卫", started_at=T0,
                       created_by_id=project.foreman_id)
    db.session.add(test)
    db.session.flush()
    rtype = CLOSURE_TEST_RECORD
    assert rtype.required == ("owner", "foreman") and rtype.optional == ()
    with pytest.raises(SignatureError) as info:
        services.sign(rtype, test, data_for(rtype, test, "owner"), storage)
    assert code_of(info) == "not_ready"
    test.ended_at, test.leak = T0 + timedelta(hours=24), False
    make_signature("closure_test", test, "owner", storage=storage)
    make_signature("closure_test", test, "foreman", storage=storage)
    assert services.is_locked(rtype, test)


def test_a_refusal_counts_for_locking(storage):
    record = concealed_record(make_project())
    make_signature("concealed", record, "owner", storage=storage, refusal_reason="业主不在场", witness_name="王五",
                   witness_relation="物业管理员")
    make_signature("concealed", record, "foreman", storage=storage)
    assert services.is_locked(CONCEALED, record)


def test_reopening_voids_every_signature_and_unlocks(storage):
    inspection = make_finished_inspection()
    for slot in ("inspector", "foreman", "project_manager", "owner"):
        make_signature("inspection", inspection, slot, user=inspection.inspector, storage=storage)
    assert services.is_locked(INSPECTION, inspection)
    office = make_user(Role.OFFICE)
    reopen(inspection, office, "业主投诉，重新检查")
    rows = rows_of("inspection", inspection)
    assert len(rows) == 4
    assert all(r.voided_at is not None and r.voided_by_id == office.id and r.void_reason == "业主投诉，重新检查"
               for r in rows)
    state = services.record_signatures(INSPECTION, inspection)
    assert not state.locked and all(s.signature is None for s in state.slots)
    assert {s.id for s in state.voided} == {r.id for r in rows}


def test_after_reopening_and_finishing_again_the_slots_are_signed_anew(storage):
    from portal.inspections.services import answers_version, finish

    inspection = make_finished_inspection()
    for slot in ("inspector", "foreman", "project_manager"):
        make_signature("inspection", inspection, slot, user=inspection.inspector, storage=storage)
    fp_before = services.current_fingerprint(INSPECTION, inspection)
    reopen(inspection, make_user(Role.OFFICE), "补充照片")
    finish(inspection, inspection.inspector, answers_version(inspection))
    assert services.current_fingerprint(INSPECTION, inspection) == fp_before  # same content again
    assert not services.is_locked(INSPECTION, inspection)  # voided signatures do not come back
    make_signature("inspection", inspection, "inspector", user=inspection.inspector, storage=storage)
    assert len(rows_of("inspection", inspection)) == 4


def test_a_signature_on_changed_content_no_longer_matches_or_counts(storage):
    project = make_project()
    record = concealed_record(project)
    owner = make_signature("concealed", record, "owner", storage=storage)
    make_photo(project)  # the record changes after the owner signed
    make_signature("concealed", record, "foreman", storage=storage)
    state = services.record_signatures(CONCEALED, record)
    owner_slot = next(s for s in state.slots if s.slot == "owner")
    assert owner_slot.signature == owner and not owner_slot.matches
    assert not state.locked and state.missing == ["owner"]
    # The owner may sign again (the old signature no longer counts), and then it locks.
    make_signature("concealed", record, "owner", storage=storage)
    assert services.is_locked(CONCEALED, record)


def test_void_signatures_leaves_other_records_alone(storage):
    first, second = make_finished_inspection(), make_finished_inspection()
    make_signature("inspection", first, "inspector", user=first.inspector, storage=storage)
    kept = make_signature("inspection", second, "inspector", user=second.inspector, storage=storage)
    assert services.void_signatures("inspection", first.id, make_user(Role.OFFICE), "重新检查") == 1
    assert kept.voided_at is None


# --- who may sign ---------------------------------------------------------------------------

def test_own_slots_and_collectors():
    inspection = make_finished_inspection()
    project = inspection.project
    assert services.own_slots(INSPECTION, inspection, inspection.inspector) == {"inspector"}
    assert services.own_slots(INSPECTION, inspection, project.foreman) == {"foreman"}
    assert services.own_slots(INSPECTION, inspection, project.project_manager) == {"project_manager"}
    assert services.may_collect(INSPECTION, inspection, inspection.inspector)
    assert services.may_collect(INSPECTION, inspection, make_user(Role.OFFICE))
    assert not services.may_collect(INSPECTION, inspection, project.foreman)
    assert not services.may_collect(INSPECTION, inspection, make_user(Role.INSPECTOR))
    assert services.may_sign(INSPECTION, inspection, project.foreman, "foreman")
    assert not services.may_sign(INSPECTION, inspection, project.foreman, "project_manager")


# --- single-use links -----------------------------------------------------------------------

def new_link(now=None, slot="owner"):
    inspection = make_finished_inspection()
    link, token = services.create_link(INSPECTION, inspection, slot, "业主赵六", inspection.inspector, now=now)
    return inspection, link, token


def test_a_new_link_resolves_active_and_expires_after_72_hours():
    _inspection, link, token = new_link(now=T0)
    assert link.expires_at == T0 + timedelta(hours=72)
    assert services.resolve_link(token, now=T0) == (link, "active")
    assert services.resolve_link(token, now=T0 + timedelta(hours=71, minutes=59)) == (link, "active")
    assert services.resolve_link(token, now=T0 + timedelta(hours=72)) == (link, "expired")
    assert services.resolve_link(token, now=T0 + timedelta(days=30)) == (link, "expired")


def test_a_link_without_a_fixed_clock_is_active_now():
    _inspection, link, token = new_link()
    assert services.resolve_link(token) == (link, "active")


def test_a_revoked_link_is_revoked():
    _inspection, link, token = new_link()
    services.revoke_link(link)
    assert link.revoked_at is not None
    assert services.resolve_link(token) == (link, "revoked")


def test_a_used_link_is_used_and_used_links_cannot_be_revoked(storage):
    inspection, link, token = new_link()
    signature = make_signature("inspection", inspection, link.slot, signer_name=link.signer_name, link=link,
                               storage=storage)
    assert signature.link_id == link.id and signature.signer_user_id is None and signature.collected_by_id is None
    assert link.used_at is not None
    assert services.resolve_link(token) == (link, "used")
    services.revoke_link(link)
    assert link.revoked_at is None and services.resolve_link(token)[1] == "used"


def test_tampered_tokens_are_invalid(app):
    _inspection, link, token = new_link()
    # A changed character inside the payload (the last base64 character of the signature may
    # carry only padding bits, so changing it can leave the bytes unchanged).
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    forged_nonce = URLSafeSerializer(app.secret_key, salt="signing-link").dumps({"l": link.id, "n": "guess"})
    other_key = URLSafeSerializer("another-secret", salt="signing-link").dumps({"l": link.id, "n": "x"})
    no_link = URLSafeSerializer(app.secret_key, salt="signing-link").dumps({"l": 999999, "n": "x"})
    not_a_dict = URLSafeSerializer(app.secret_key, salt="signing-link").dumps(["x"])
    for bad in (flipped, forged_nonce, other_key, no_link, not_a_dict, "", "garbage", token + "x"):
        assert services.resolve_link(bad) == (None, "invalid"), bad


def test_only_the_hash_of_the_nonce_is_stored(app):
    _inspection, link, token = new_link()
    nonce = URLSafeSerializer(app.secret_key, salt="signing-link").loads(token)["n"]
    assert link.nonce_hash == hashlib.sha256(nonce.encode()).hexdigest()
    db.session.expire_all()
    row = db.session.execute(select(SigningLink.__table__).where(SigningLink.__table__.c.id == link.id)).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert token not in stored and nonce not in stored


def test_links_need_a_known_slot_and_a_name():
    inspection = make_finished_inspection()
    for slot, name, code in (("landlord", "赵六", "bad_slot"), ("owner", "  ", "name_required")):
        with pytest.raises(SignatureError) as info:
            services.create_link(INSPECTION, inspection, slot, name, inspection.inspector)
        assert code_of(info) == code
