"""Issuing and revoking pass certificates: the rules, the number series, the stored PDF, the fingerprint,
masking addresses for the public page, matching an uploaded copy.

Most tests render with ``fake_pdf`` (WeasyPrint is slow); tests/certificates/test_pdf.py looks at
the real PDF.
"""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.certificates import services
from portal.certificates.models import PassCertificate
from portal.certificates.services import CertificateError
from portal.extensions import db
from portal.inspections.services import answers_version, finish, reopen
from portal.numbering import NumberSequence
from portal.signatures.content import fingerprint
from portal.inspections.signing import INSPECTION_RECORD
from portal.timeutil import local_today
from tests.factories import (
    fake_pdf, issue_certificate, make_finished_inspection, make_inspection, make_payment, make_signature,
    make_signed_inspection, make_user, sign_fully,
)

INSPECTION = INSPECTION_RECORD


def last_value(year: int | None = None) -> int:
    """The certificate counter of ``year`` (this year by default) as it stands; 0 before the first."""
    series = f"YS-{year or local_today().year}"
    return db.session.scalar(select(NumberSequence.last_value).where(NumberSequence.series == series)) or 0


def number(n: int, year: int | None = None) -> str:
    return f"YS-{year or local_today().year}-{n:06d}"


def issue(inspection, storage, **kwargs):
    return issue_certificate(inspection, storage=storage, render=kwargs.pop("render", fake_pdf), **kwargs)


def refusal(inspection, storage) -> str:
    with pytest.raises(CertificateError) as info:
        issue(inspection, storage)
    return info.value.code


def certificate_count() -> int:
    return db.session.scalar(select(func.count()).select_from(PassCertificate))


# --- issuing --------------------------------------------------------------------------------

def test_a_passed_fully_signed_inspection_gets_a_numbered_certificate(storage):
    inspection = make_signed_inspection(storage=storage)
    office = make_user(Role.OFFICE)
    before = last_value()
    certificate = issue(inspection, storage, user=office)
    assert certificate.id is not None
    assert certificate.number == number(before + 1)
    assert last_value() == before + 1
    assert certificate.inspection_id == inspection.id and certificate.project_id == inspection.project_id
    assert certificate.issued_by_id == office.id and certificate.issued_at is not None
    assert certificate.grade == inspection.grade == "excellent"
    assert certificate.overall_rate == inspection.overall_rate
    assert not certificate.is_revoked and certificate.revoke_reason == ""


def test_numbers_follow_each_other_without_gaps(storage):
    before = last_value()
    numbers = [issue(make_signed_inspection(storage=storage), storage).number for _ in range(3)]
    assert numbers == [number(before + 1), number(before + 2), number(before + 3)]


def test_the_number_has_the_form_ys_year_six_digits(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    assert services.NUMBER_RE.fullmatch(certificate.number)
    prefix, year, seq = certificate.number.split("-")
    assert prefix == "YS" and year == str(local_today().year) and len(seq) == 6


def test_each_year_has_its_own_series_starting_at_one(storage, monkeypatch):
    this_year = issue(make_signed_inspection(storage=storage), storage)
    monkeypatch.setattr(services, "local_today", lambda: date(2099, 1, 1))
    assert last_value(2099) == 0
    first = issue(make_signed_inspection(storage=storage), storage)
    second = issue(make_signed_inspection(storage=storage), storage)
    assert (first.number, second.number) == ("YS-2099-000001", "YS-2099-000002")
    assert this_year.number.startswith(f"YS-{local_today().year}-")


def test_the_issued_pdf_is_stored_with_its_hash(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    assert storage.exists(certificate.pdf_key)
    with storage.open(certificate.pdf_key) as handle:
        data = handle.read()
    assert data == fake_pdf(certificate)
    assert certificate.pdf_sha256 == hashlib.sha256(data).hexdigest()


def test_the_fingerprint_is_the_signed_records_fingerprint(storage):
    inspection = make_finished_inspection()
    signatures = sign_fully(inspection, storage=storage)
    expected = fingerprint(INSPECTION.content(inspection))
    certificate = issue(inspection, storage)
    assert len(certificate.fingerprint) == 64
    assert certificate.fingerprint == expected
    assert {s.fingerprint for s in signatures.values()} == {expected}


# --- refusals -------------------------------------------------------------------------------

def test_a_failed_inspection_is_refused(storage):
    inspection = make_finished_inspection(outcome="fail")
    assert inspection.is_completed and inspection.passed is False
    assert refusal(inspection, storage) == "failed"


def test_an_unfinished_inspection_is_refused(storage):
    assert refusal(make_inspection(), storage) == "not_finished"


@pytest.mark.parametrize("signed", [(), ("inspector",), ("inspector", "foreman"), ("inspector", "project_manager"),
                                    ("foreman", "project_manager"), ("inspector", "foreman", "owner")],
                         ids=lambda s: "+".join(s) or "nobody")
def test_an_inspection_missing_a_required_signature_is_refused(storage, signed):
    inspection = make_finished_inspection()
    for slot in signed:
        make_signature("inspection", inspection, slot, user=inspection.inspector, storage=storage)
    assert refusal(inspection, storage) == "unsigned"


def test_a_witnessed_refusal_to_sign_fills_the_slot(storage):
    inspection = make_finished_inspection()
    make_signature("inspection", inspection, "inspector", user=inspection.inspector, storage=storage)
    make_signature("inspection", inspection, "project_manager", user=inspection.inspector, storage=storage)
    make_signature("inspection", inspection, "foreman", user=inspection.inspector, storage=storage,
                   refusal_reason="不同意扣分", witness_name="王五", witness_relation="邻居")
    assert issue(inspection, storage).number


def test_a_reopened_inspection_is_refused(storage):
    inspection = make_signed_inspection(storage=storage)
    reopen(inspection, make_user(Role.OFFICE), "业主投诉，重新检查")
    assert refusal(inspection, storage) == "not_finished"


def test_a_reopened_and_finished_again_inspection_needs_new_signatures(storage):
    inspection = make_signed_inspection(storage=storage)
    reopen(inspection, make_user(Role.OFFICE), "补充照片")
    finish(inspection, inspection.inspector, answers_version(inspection))
    assert inspection.is_completed and inspection.passed
    assert refusal(inspection, storage) == "unsigned"  # the old signatures were voided
    sign_fully(inspection, storage=storage)
    assert issue(inspection, storage).number


def test_a_certified_inspection_is_refused_a_second_certificate(storage):
    inspection = make_signed_inspection(storage=storage)
    issue(inspection, storage)
    before = last_value()
    assert refusal(inspection, storage) == "already_certified"
    assert last_value() == before and certificate_count() >= 1


def test_a_revoked_certificate_still_blocks_a_second_one_for_the_same_inspection(storage):
    inspection = make_signed_inspection(storage=storage)
    certificate = issue(inspection, storage)
    services.revoke(certificate, make_user(Role.OFFICE), "发现渗漏")
    assert refusal(inspection, storage) == "already_certified"


def test_a_refusal_takes_no_number(storage):
    before = last_value()
    for inspection in (make_finished_inspection(outcome="fail"), make_finished_inspection(), make_inspection()):
        with pytest.raises(CertificateError):
            issue(inspection, storage)
    assert last_value() == before
    assert issue(make_signed_inspection(storage=storage), storage).number == number(before + 1)


def test_a_failed_render_gives_the_number_back(storage):
    """The view rolls back when issuing fails; the number is then issued to the next certificate."""
    inspection = make_signed_inspection(storage=storage)
    before = last_value()

    def broken(_certificate):
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError), db.session.begin_nested():
        issue(inspection, storage, render=broken)
    assert last_value() == before
    assert db.session.scalar(select(PassCertificate.id).where(PassCertificate.inspection_id == inspection.id)) is None
    assert issue(inspection, storage).number == number(before + 1)


def test_a_failed_insert_removes_the_stored_pdf_and_gives_the_number_back(storage, monkeypatch):
    """Two office users at once: the loser's insert fails on the unique inspection; no orphan file."""
    inspection = make_signed_inspection(storage=storage)
    first = issue(inspection, storage)
    before = last_value()
    monkeypatch.setattr(services, "check_issuable", lambda _inspection: None)  # the race: both checked first
    with pytest.raises(Exception) as info, db.session.begin_nested():
        issue(inspection, storage)
    assert "unique" in str(info.value).lower() or "duplicate" in str(info.value).lower()
    assert last_value() == before
    assert not storage.exists(f"certificates/{number(before + 1).lower()}.pdf")
    assert storage.exists(first.pdf_key)


# --- revoking -------------------------------------------------------------------------------

def test_revoking_keeps_the_certificate_on_record(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    office = make_user(Role.OFFICE)
    services.revoke(certificate, office, "  隐蔽工程发现渗漏  ")
    db.session.expire_all()
    again = services.find_by_number(certificate.number)
    assert again is not None and again.id == certificate.id
    assert again.is_revoked and again.revoked_at is not None
    assert again.revoked_by_id == office.id and again.revoke_reason == "隐蔽工程发现渗漏"
    assert storage.exists(again.pdf_key)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_revoking_needs_a_written_reason(storage, reason):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    with pytest.raises(CertificateError) as info:
        services.revoke(certificate, make_user(Role.OFFICE), reason)
    assert info.value.code == "reason_required" and not certificate.is_revoked


def test_revoking_twice_is_refused(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    services.revoke(certificate, make_user(Role.OFFICE), "第一次")
    revoked_at = certificate.revoked_at
    with pytest.raises(CertificateError) as info:
        services.revoke(certificate, make_user(Role.OFFICE), "第二次")
    assert info.value.code == "already_revoked"
    assert certificate.revoked_at == revoked_at and certificate.revoke_reason == "第一次"


def test_after_a_recorded_payment_revoking_needs_confirmation(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    make_payment(certificate.project, certificate=certificate)
    assert services.paid(certificate) is not None
    with pytest.raises(CertificateError) as info:
        services.revoke(certificate, make_user(Role.OFFICE), "发现问题")
    assert info.value.code == "paid_warning" and not certificate.is_revoked
    services.revoke(certificate, make_user(Role.OFFICE), "发现问题", confirm_paid=True)
    assert certificate.is_revoked


def test_without_a_payment_no_confirmation_is_needed(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    assert services.paid(certificate) is None
    services.revoke(certificate, make_user(Role.OFFICE), "发现问题")
    assert certificate.is_revoked


# --- finding by number ----------------------------------------------------------------------

def test_find_by_number(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    assert services.find_by_number(certificate.number).id == certificate.id
    assert services.find_by_number("YS-1999-999999") is None


@pytest.mark.parametrize("raw", ["", None, "ys-2026-000001", "YS-2026-1", "YS-2026-0000001", " YS-2026-000001",
                                 "YS-2026-000001\n", "YS-2026-000001' OR 1=1", "../../etc/passwd", "\x00",
                                 "YS-2026-000001%", "YS-____-______"])
def test_malformed_numbers_find_nothing(storage, raw):
    issue(make_signed_inspection(storage=storage), storage)
    assert services.find_by_number(raw) is None


# --- masking the address --------------------------------------------------------------------

@pytest.mark.parametrize("address, masked", [
    ("西安市雁塔区曲江池东路曲江六号3号楼2单元1502室", "西安市雁塔区曲江池东路曲江六号…"),
    ("西安市高新区锦业路绿地世纪城B区12号楼1801室", "西安市高新区锦业路绿地世纪城B区…"),
    ("西安市长安区西长安街紫薇西棠9号楼1单元602室", "西安市长安区西长安街紫薇西棠…"),
    ("西安市未央区凤城八路首创国际城5栋903室", "西安市未央区凤城八路首创国际城…"),
    ("西安市雁塔区测试路12号1201室", "西安市雁塔区测试路12号…"),
    ("西安市碑林区南关正街中贸广场７号楼２２０４室", "西安市碑林区南关正街中贸广场…"),
    ("西安市莲湖区某小区，3幢2单元", "西安市莲湖区某小区…"),
])
def test_the_public_address_stops_before_building_and_flat(address, masked):
    assert services.mask_address(address) == masked


@pytest.mark.parametrize("address, flat", [
    ("西安市雁塔区曲江池东路曲江六号3号楼2单元1502室", "1502"),
    ("西安市雁塔区小寨东路某某花园3-2-1502", "1502"),
    ("西安市雁塔区某某花园 1502", "1502"),
])
def test_the_flat_number_never_reaches_the_public_page(address, flat):
    masked = services.mask_address(address)
    assert flat not in masked and masked.endswith("…") and len(masked) < len(address) + 1


def test_an_empty_address_masks_to_nothing_but_the_ellipsis():
    assert services.mask_address("") == "…"


# --- matching an uploaded copy --------------------------------------------------------------

def test_only_the_issued_bytes_match(storage):
    certificate = issue(make_signed_inspection(storage=storage), storage)
    with storage.open(certificate.pdf_key) as handle:
        issued = handle.read()
    assert services.matches_issued_pdf(certificate, issued)
    changed = bytearray(issued)
    changed[len(changed) // 2] ^= 0x01
    assert not services.matches_issued_pdf(certificate, bytes(changed))
    assert not services.matches_issued_pdf(certificate, issued + b"\n")
    assert not services.matches_issued_pdf(certificate, b"")


def test_a_certified_inspection_cannot_be_reopened_until_the_certificate_is_revoked(storage):
    """The certificate proves the result; office revokes it before reopening the inspection."""
    import pytest

    from portal.inspections.services import InspectionError, reopen

    inspection = make_signed_inspection(storage=storage)
    certificate = issue_certificate(inspection, storage=storage)
    office = make_user(Role.OFFICE)
    with pytest.raises(InspectionError) as info:
        reopen(inspection, office, "复核")
    assert info.value.code == "certified"
    services.revoke(certificate, office, "复核发现问题")
    reopen(inspection, office, "复核")
    assert not inspection.is_completed
