"""Completion acceptance, handover, owner's links, repairs and complaints through the services."""
from datetime import date, timedelta
from decimal import Decimal
import io
import re

import pytest
from pypdf import PdfReader

from portal.aftercare import complaint_handling, owner_links, repair_requests, services, signing
from portal.aftercare.figures import complaint_figures
from portal.aftercare.notify import send_aftercare_reminders
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.projects.models import ProjectStatus
from portal.timeutil import local_today, utcnow
from tests.aftercare.conftest import accepted, handed_over
from tests.certificates.test_pdf import qr_points_to
from tests.factories import make_finished_inspection, make_image_bytes, make_project, make_signature, make_user


def test_acceptance_needs_a_valid_pass_certificate(storage):
    inspection = make_finished_inspection()  # passed, but no certificate: finance could not settle either
    with pytest.raises(services.AftercareError) as exc:
        services.record_acceptance(inspection.project, inspection.inspector, accepted_on=date(2026, 3, 10),
                                   quality=5, service=5, timeliness=5, comment="", warranty_explained=True)
    assert exc.value.code == "not_passed"


def test_handover_needs_every_signature(app, storage):
    acceptance = accepted(storage)
    from portal.signatures.services import void_signatures
    void_signatures("completion", acceptance.id, make_user(Role.OFFICE), "test")
    with pytest.raises(services.AftercareError) as exc:
        services.hand_over(acceptance, make_user(Role.OFFICE), storage, lambda a, u: b"")
    assert exc.value.code == "unsigned"


def test_handover_moves_the_project_and_starts_the_warranty(handed):
    acceptance, result = handed
    assert acceptance.project.status == ProjectStatus.HANDED_OVER.value
    assert acceptance.warranty_start == acceptance.accepted_on == local_today()
    assert acceptance.warranty_months["waterproofing"] == 60
    assert acceptance.card_number.startswith(f"BX-{local_today().year}-")
    link, state = owner_links.resolve_owner_link(result.token)
    assert link.id == result.link.id and state == "active"


def test_warranty_card_pdf_has_extractable_chinese_and_the_owner_qr(app, storage):
    acceptance, result = handed_over(app, storage, accepted_on=date(2026, 3, 10))
    with storage.open(result.card_key) as handle:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "保修卡" in text and acceptance.card_number in text and acceptance.project.contract_no in text
    assert "厨房、卫生间和外墙面防水" in text and "5 年" in text and "2031-03-10" in text and "2028-03-10" in text
    assert "建设部令第110号" in text


def test_owner_link_states(handed):
    acceptance, result = handed
    assert owner_links.resolve_owner_link(result.token + "x")[1] == "invalid"
    result.link.expires_at = utcnow() - timedelta(seconds=1)
    assert owner_links.resolve_owner_link(result.token)[1] == "expired"
    result.link.expires_at = utcnow() + timedelta(days=1)
    owner_links.revoke_owner_link(result.link)
    assert owner_links.resolve_owner_link(result.token)[1] == "revoked"


def test_repair_in_and_out_of_warranty(app, storage):
    acceptance, _ = handed_over(app, storage, render=lambda a, u: b"%PDF",
                                accepted_on=local_today() - timedelta(days=800))
    project = acceptance.project
    general = repair_requests.file_repair(project, kind="general", description="门框开裂", source="phone")
    leak = repair_requests.file_repair(project, kind="waterproofing", description="卫生间漏水到楼下", source="owner_page")
    assert general.in_warranty is False and general.warranty_months == 24
    assert leak.in_warranty is True and leak.warranty_months == 60
    before = repair_requests.file_repair(make_project(), kind="general", description="x", source="phone")
    assert before.in_warranty is None


def test_leak_repair_flow_with_water_test_signature_and_deduction(handed, storage):
    acceptance, _ = handed
    project = acceptance.project
    repair = repair_requests.file_repair(project, kind="waterproofing", description="卫生间漏水", source="owner_page")
    photo, keys = repair_requests.add_repair_photo(repair, make_image_bytes(), storage)
    assert storage.exists(photo.display_key) and len(keys) == 2
    repair_requests.record_contact(repair)
    with pytest.raises(services.AftercareError):
        repair_requests.record_repair(repair, work_done="x", cost=Decimal("1"), responsibility="crew", water_test_passed=True)
    repair_requests.plan_repair(repair, assignee=project.foreman, solution="重做防水", visit_on=local_today())
    with pytest.raises(services.AftercareError) as exc:
        repair_requests.record_repair(repair, work_done="重做", cost=Decimal("300"), responsibility="crew",
                               water_test_passed=None)
    assert exc.value.code == "water_test_required"
    repair_requests.record_repair(repair, work_done="重做防水层", cost=Decimal("300.00"), responsibility="crew",
                           water_test_passed=True)
    with pytest.raises(services.AftercareError):
        repair_requests.accept_repair(repair)  # the owner has not signed
    make_signature("repair", repair, "owner", user=project.foreman, storage=storage, signer_name="王业主")
    repair_requests.accept_repair(repair)
    repair_requests.follow_up(repair, "业主满意")
    assert repair.status == "closed" and repair.charged_foreman_id == project.foreman_id
    today = services.local_naive(repair.accepted_at).date()
    rows, totals = repair_requests.deductions(today.year, today.month)
    assert [(r.repair_id, r.cost) for r in rows] == [(repair.id, Decimal("300.00"))]
    assert totals == {project.foreman.display_name: Decimal("300.00")}


def test_overdue_repairs_are_reminded_once(handed):
    acceptance, _ = handed
    office = make_user(Role.OFFICE)
    repair = repair_requests.file_repair(acceptance.project, kind="general", description="墙面开裂", source="phone")
    repair.received_at = utcnow() - timedelta(days=2)
    db.session.flush()
    assert {s.name for s in repair_requests.repair_overdue(repair)} == {"contact", "plan"}
    first = send_aftercare_reminders()
    assert first >= 4 and send_aftercare_reminders() == 0
    texts = [n.text for n in db.session.query(Notification).filter_by(user_id=office.id, kind="repair_overdue")]
    assert len(texts) == 2


def test_complaint_round_and_repeat_flags_the_handler():
    project = make_project()
    office, head = make_user(Role.OFFICE), make_user(Role.PROJECT_MANAGER)
    first = complaint_handling.register_complaint(project, matter="地板起拱", description="客厅地板起拱", complained_about="工长",
                                        user=office)
    with pytest.raises(services.AftercareError) as exc:  # still being handled: a chase, not a second complaint
        complaint_handling.register_complaint(project, matter="地板起拱", description="催办", complained_about="", user=office,
                                    repeat_of=first)
    assert exc.value.code == "first_still_open"
    complaint_handling.pass_on(first, head)
    complaint_handling.answer_complaint(first, "已安排重铺")
    complaint_handling.close_complaint(first, "业主认可", True)
    repeat = complaint_handling.register_complaint(project, matter="地板起拱", description="又起拱了", complained_about="",
                                         user=office, repeat_of=first)
    assert first.handler_flagged_at is not None and repeat.repeat_of_id == first.id
    figures = complaint_figures(local_today() - timedelta(days=1), local_today(), utcnow())
    assert (figures.received, figures.open, figures.closed, figures.repeats) == (2, 1, 1, 1)
    assert figures.by_foreman[0].received == 2
    with pytest.raises(services.AftercareError):
        complaint_handling.register_complaint(make_project(), matter="x", description="y", complained_about="", user=office,
                                    repeat_of=first)


def test_acceptance_cannot_predate_the_pass(storage):
    from tests.factories import issue_certificate, make_signed_inspection

    inspection = make_signed_inspection(storage=storage)
    issue_certificate(inspection, storage=storage, render=lambda c: b"%PDF-1.7")
    with pytest.raises(services.AftercareError) as exc:
        services.record_acceptance(inspection.project, inspection.inspector,
                                   accepted_on=local_today() - timedelta(days=30), quality=5, service=5,
                                   timeliness=5, comment="", warranty_explained=True)
    assert exc.value.code == "before_pass"


def test_a_failed_water_test_sends_the_repair_back_until_a_test_passes(handed, storage):
    acceptance, _ = handed
    project = acceptance.project
    crew = make_user(Role.FOREMAN)
    repair = repair_requests.file_repair(project, kind="plumbing", description="厨房下水管滴水", source="phone")
    repair_requests.plan_repair(repair, assignee=crew, solution="更换密封圈", visit_on=local_today())
    failed = repair_requests.record_repair(repair, work_done="换密封圈", cost=Decimal("80"), responsibility="crew",
                                    water_test_passed=False, user=crew)
    assert failed.failed and failed.recorded_by_id == crew.id
    assert repair.status == "open" and repair.repaired_at is None and repair.responsibility is None
    assert not signing.repair_ready(repair)  # the owner cannot sign a repair that still leaks
    with pytest.raises(services.AftercareError) as exc:
        repair_requests.accept_repair(repair)
    assert exc.value.code == "not_repaired"
    assert {s.name for s in repair_requests.repair_clock(repair) if s.due is not None} == {"contact", "plan"}

    again = repair_requests.record_repair(repair, work_done="更换整段下水管", cost=Decimal("260"), responsibility="crew",
                                   water_test_passed=True, user=crew)
    assert [a.water_test_passed for a in repair_requests.repair_attempts(repair)] == [False, True]
    assert repair_requests.repair_attempts(repair)[0].work_done == "换密封圈"
    assert repair.status == "repaired" and repair.work_done == "更换整段下水管" and repair.cost == Decimal("260")
    assert repair.repaired_at == again.recorded_at and signing.repair_ready(repair)
    with pytest.raises(services.AftercareError) as exc:  # repaired: no third recording
        repair_requests.record_repair(repair, work_done="x", cost=Decimal("0"), responsibility="crew", water_test_passed=True)
    assert exc.value.code == "not_open"
    make_signature("repair", repair, "owner", user=crew, storage=storage, signer_name="王业主")
    repair_requests.accept_repair(repair)
    assert repair.status == "accepted"


def test_repairs_without_a_water_test_keep_their_one_recording(handed):
    acceptance, _ = handed
    repair = repair_requests.file_repair(acceptance.project, kind="general", description="门吸脱落", source="phone")
    repair_requests.plan_repair(repair, assignee=acceptance.project.foreman, solution="重装", visit_on=local_today())
    attempt = repair_requests.record_repair(repair, work_done="已重装", cost=Decimal("0"), responsibility="company",
                                     water_test_passed=False)  # no water test for this kind: ignored
    assert attempt.water_test_passed is None and not attempt.failed and repair.status == "repaired"
    assert repair_requests.repair_attempts(repair) == [attempt]


def test_the_card_follows_the_final_payment_and_the_warranty_the_acceptance(app, storage):
    acceptance = accepted(storage, accepted_on=local_today() - timedelta(days=5))
    office, finance = make_user(Role.OFFICE), make_user(Role.FINANCE)
    with app.test_request_context(), pytest.raises(services.AftercareError) as exc:
        services.hand_over(acceptance, office, storage, lambda a, u: b"%PDF")
    assert exc.value.code == "final_payment_missing"
    assert acceptance.card_number is None and acceptance.card_pdf_key is None and not acceptance.is_handed_over
    for paid_on, amount, code in ((acceptance.accepted_on - timedelta(days=1), None, "final_payment_before_acceptance"),
                                  (local_today() + timedelta(days=1), None, "final_payment_in_future"),
                                  (local_today(), Decimal("0"), "bad_amount")):
        with pytest.raises(services.AftercareError) as exc:
            services.record_final_payment(acceptance, finance, paid_on=paid_on, amount=amount)
        assert exc.value.code == code
    assert acceptance.final_payment_on is None
    services.record_final_payment(acceptance, finance, paid_on=acceptance.accepted_on + timedelta(days=2),
                                  amount=Decimal("8500.00"))
    assert (acceptance.final_payment_by_id, acceptance.final_payment_amount) == (finance.id, Decimal("8500.00"))
    with pytest.raises(services.AftercareError) as exc:
        services.record_final_payment(acceptance, office, paid_on=local_today())
    assert exc.value.code == "final_payment_recorded"
    with app.test_request_context():
        result = services.hand_over(acceptance, office, storage, lambda a, u: b"%PDF")
    assert storage.exists(result.card_key) and acceptance.card_pdf_key == result.card_key
    assert acceptance.warranty_start == acceptance.accepted_on == local_today() - timedelta(days=5)


def test_repair_photos_are_stored_all_or_none(handed, storage):
    acceptance, _ = handed
    repair = repair_requests.file_repair(acceptance.project, kind="general", description="墙裂", source="phone")
    with pytest.raises(repair_requests.RepairPhotoRejected) as exc:
        repair_requests.add_repair_photos(repair, [make_image_bytes(), make_image_bytes(), b"junk"], storage)
    assert (exc.value.number, exc.value.code) == (3, "not_an_image")
    assert not any(p.is_file() for p in (storage.root / "repairs").rglob("*"))
    with pytest.raises(services.AftercareError) as too_many:
        repair_requests.add_repair_photos(repair, [b"x"] * 7, storage)
    assert too_many.value.code == "too_many_photos"


def _card_reader(storage, result) -> PdfReader:
    with storage.open(result.card_key) as handle:
        return PdfReader(io.BytesIO(handle.read()))


def test_the_warranty_cards_qr_code_leads_to_the_owners_page(app, storage):
    _acceptance, result = handed_over(app, storage)
    page = _card_reader(storage, result).pages[0]
    [qr] = [image.image for image in page.images if image.image.width == image.image.height]
    with app.test_request_context():
        owner_url = owner_links.owner_url(result.token)
    assert owner_url.startswith("https://portal.test/owner/")
    assert qr_points_to(qr, owner_url)
    assert not qr_points_to(qr, owner_url[:-1] + ("A" if owner_url[-1] != "A" else "B"))  # it can tell links apart


def test_the_card_prints_the_service_phone_and_the_service_hours_of_the_clock(app, storage, monkeypatch):
    _acceptance, result = handed_over(app, storage)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in _card_reader(storage, result).pages))
    assert "电话" not in text and "报修：扫描右侧二维码" in text  # no phone configured: none printed
    assert "服务时间每天08:00–20:00" in text and "服务时间内3小时内与您联系" in text
    assert "24小时内给出解决方案" in text and "维修后48小时回访" in text
    monkeypatch.setitem(app.config, "SERVICE_PHONE", "029-8888 6666")
    _acceptance, result = handed_over(app, storage)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in _card_reader(storage, result).pages))
    assert "报修：电话029-88886666，或扫描右侧二维码" in text
