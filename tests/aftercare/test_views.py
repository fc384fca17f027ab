"""Staff pages: the inspector's completion acceptance, office's repairs and complaints, finance's deductions."""
from decimal import Decimal
import io

from portal.aftercare import owner_links, repair_requests, services
from portal.aftercare.models import CompletionAcceptance, Complaint, RepairRequest
from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import ProjectStatus
from portal.timeutil import local_today
from tests.aftercare.conftest import accepted
from tests.aftercare.test_owner_page import oversize_body
from tests.factories import (
    issue_certificate, make_image_bytes, make_project, make_signature, make_signed_inspection, make_user,
)


def test_inspector_records_the_acceptance_and_is_sent_to_the_signatures(client, login_as, storage):
    inspection = make_signed_inspection(storage=storage)
    issue_certificate(inspection, storage=storage, render=lambda c: b"%PDF-1.7")
    db.session.commit()
    login_as(inspection.inspector)
    url = f"/projects/{inspection.project_id}/completion"
    assert "acceptance-form" in client.get(url).text
    response = client.post(url, data={"accepted_on": local_today().isoformat(), "quality": "5", "service": "4",
                                      "timeliness": "5", "comment": "满意", "warranty_explained": "y"})
    assert response.status_code == 303 and "/signatures/completion/" in response.headers["Location"]
    acceptance = db.session.query(CompletionAcceptance).filter_by(project_id=inspection.project_id).one()
    assert acceptance.inspector_id == inspection.inspector_id and acceptance.rating_service == 4


def test_no_acceptance_form_without_a_certificate(client, login_as):
    project = make_project()
    login_as(Role.INSPECTOR)
    html = client.get(f"/projects/{project.id}/completion").text
    assert "acceptance-form" not in html and "合格证书" in html
    response = client.post(f"/projects/{project.id}/completion", data={
        "accepted_on": local_today().isoformat(), "quality": "5", "service": "5", "timeliness": "5",
        "warranty_explained": "y"})
    assert response.status_code == 409


def test_hand_over_by_its_inspector_shows_the_link_once(client, login_as, storage):
    acceptance = accepted(storage)
    services.record_final_payment(acceptance, make_user(Role.FINANCE), paid_on=local_today())
    db.session.commit()
    login_as(acceptance.inspector)
    response = client.post(f"/completion/{acceptance.id}/hand-over")
    assert response.status_code == 200 and "https://portal.test/owner/" in response.text
    db.session.expire_all()
    assert acceptance.project.status == ProjectStatus.HANDED_OVER.value
    assert client.get(f"/completion/{acceptance.id}/card.pdf").data.startswith(b"%PDF")
    assert client.post(f"/completion/{acceptance.id}/hand-over").status_code == 409
    other_inspector = make_user(Role.INSPECTOR)
    login_as(other_inspector)
    assert client.post(f"/completion/{acceptance.id}/owner-link").status_code == 403


def test_office_enters_a_phone_call_and_runs_the_repair(client, login_as, storage):
    acceptance = accepted(storage)
    project = acceptance.project
    db.session.commit()
    login_as(Role.OFFICE)
    response = client.post("/repairs/new", data={"contract_no": project.contract_no, "kind": "general",
                                                 "description": "门吸脱落", "contact_phone": ""})
    assert response.status_code == 303
    repair = db.session.query(RepairRequest).filter_by(project_id=project.id).one()
    assert repair.source == "phone" and repair.in_warranty is None  # not handed over yet
    base = f"/repairs/{repair.id}"
    assert client.post(base + "/contact").status_code == 303
    assert client.post(base + "/plan", data={"assignee_id": str(project.foreman_id), "solution": "重装门吸",
                                             "visit_on": local_today().isoformat()}).status_code == 303
    assert client.post(base + "/done", data={"work_done": "已重装", "cost": "50", "responsibility": "crew"}
                       ).status_code == 303
    assert client.post(base + "/accept").status_code == 409  # no owner signature yet
    db.session.refresh(repair)
    make_signature("repair", repair, "owner", user=make_user(Role.OFFICE), storage=storage, signer_name="业主")
    db.session.commit()
    assert client.post(base + "/accept").status_code == 303
    assert client.post(base + "/follow-up", data={"note": "满意"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(RepairRequest, repair.id).status == "closed"
    login_as(Role.FINANCE)
    html = client.get("/repairs/deductions").text
    assert project.contract_no in html and "50.00" in html
    csv = client.get(f"/repairs/deductions?month={local_today().replace(day=1).isoformat()}&format=csv")
    assert csv.mimetype == "text/csv" and project.contract_no in csv.text and "50.00" in csv.text


def test_crew_leader_sees_only_his_repairs(client, login_as, storage):
    acceptance = accepted(storage)
    repair = repair_requests.file_repair(acceptance.project, kind="general", description="x", source="phone")
    db.session.commit()
    foreman = acceptance.project.foreman
    login_as(foreman)
    assert f"/repairs/{repair.id}" in client.get("/repairs/mine").text
    assert client.post(f"/repairs/{repair.id}/contact").status_code == 403  # office phones the owner
    login_as(make_user(Role.FOREMAN))
    assert client.get(f"/repairs/{repair.id}").status_code == 404


def test_complaint_pages(client, login_as):
    project = make_project()
    office = login_as(Role.OFFICE)
    response = client.post("/complaints/new", data={"contract_no": project.contract_no, "matter": "噪音扰民",
                                                    "description": "周末施工", "complained_about": "工长"})
    assert response.status_code == 303
    complaint = db.session.query(Complaint).filter_by(project_id=project.id).one()
    assert client.post(f"/complaints/{complaint.id}/answer", data={"answer": "x"}).status_code == 409
    assert client.post(f"/complaints/{complaint.id}/pass-on", data={"handler_id": str(office.id)}).status_code == 303
    assert client.post(f"/complaints/{complaint.id}/answer", data={"answer": "已调整施工时间"}).status_code == 303
    assert client.post(f"/complaints/{complaint.id}/close", data={"return_visit": "业主认可", "satisfied": "yes"}
                       ).status_code == 303
    second = client.post("/complaints/new", data={"contract_no": project.contract_no, "matter": "噪音扰民",
                                                  "description": "又来了", "repeat_of": str(complaint.id)})
    assert second.status_code == 303
    html = client.get("/complaints/").text
    assert "再次投诉" in html and 'id="complaint-figures"' in html and "/dashboard/#table-complaints" in html
    dashboard = client.get("/dashboard/").text
    assert 'id="table-complaints"' in dashboard and "/complaints/" in dashboard
    assert client.post("/complaints/new", data={"contract_no": make_project().contract_no, "matter": "m",
                                                "description": "d", "repeat_of": str(complaint.id)}).status_code == 422


def test_deductions_month_parameter_is_validated(client, login_as):
    login_as(Role.FINANCE)
    assert client.get("/repairs/deductions?month=2026-13-01").status_code == 400


def test_a_crew_leader_from_another_site_collects_the_owners_signature(client, login_as, storage):
    acceptance = accepted(storage)
    project = acceptance.project
    crew = make_user(Role.FOREMAN)
    repair = repair_requests.file_repair(project, kind="general", description="门吸脱落", source="phone")
    repair_requests.plan_repair(repair, assignee=crew, solution="重装", visit_on=local_today())
    repair_requests.record_repair(repair, work_done="已重装", cost=Decimal("0"), responsibility="company",
                           water_test_passed=None)
    db.session.commit()
    login_as(crew)
    assert client.get(f"/projects/{project.id}").status_code == 404  # not his project
    panel = client.get(f"/signatures/repair/{repair.id}")
    assert panel.status_code == 200 and "data-sign-form" in panel.text
    login_as(make_user(Role.FOREMAN))
    assert client.get(f"/signatures/repair/{repair.id}").status_code == 404


def test_the_acceptance_needs_the_warranty_explained(client, login_as, storage):
    inspection = make_signed_inspection(storage=storage)
    issue_certificate(inspection, storage=storage, render=lambda c: b"%PDF-1.7")
    db.session.commit()
    login_as(inspection.inspector)
    response = client.post(f"/projects/{inspection.project_id}/completion", data={
        "accepted_on": local_today().isoformat(), "quality": "5", "service": "5", "timeliness": "5"})
    assert response.status_code == 422
    assert db.session.query(CompletionAcceptance).filter_by(project_id=inspection.project_id).count() == 0


def test_a_failed_water_test_is_redone_through_the_pages(client, login_as, storage):
    acceptance = accepted(storage)
    project = acceptance.project
    repair = repair_requests.file_repair(project, kind="waterproofing", description="卫生间漏水到楼下", source="phone")
    repair_requests.plan_repair(repair, assignee=project.foreman, solution="重做防水", visit_on=local_today())
    db.session.commit()
    login_as(project.foreman)
    base = f"/repairs/{repair.id}"
    data = {"work_done": "局部补刷防水涂料", "cost": "120", "responsibility": "crew"}
    assert client.post(base + "/done", data=data).status_code == 409  # a leak needs the water test's result
    response = client.post(base + "/done", data={**data, "water_test": "failed"}, follow_redirects=True)
    assert response.status_code == 200
    html = response.text
    assert "试水不合格：维修未完成" in html and 'id="redo"' in html and 'id="repair-attempts"' in html
    assert f'action="{base}/done"' in html  # the repair can be recorded again
    assert "/signatures/repair/" not in html
    assert client.get(f"/signatures/repair/{repair.id}").text.count("data-sign-form") == 0
    response = client.post(base + "/done", data={**data, "work_done": "整体重做防水层", "cost": "600",
                                                 "water_test": "passed"})
    assert response.status_code == 303
    db.session.expire_all()
    repair = db.session.get(RepairRequest, repair.id)
    assert repair.status == "repaired" and repair.work_done == "整体重做防水层"
    assert [a.water_test_passed for a in repair_requests.repair_attempts(repair)] == [False, True]
    html = client.get(base).text
    assert "局部补刷防水涂料" in html and "整体重做防水层" in html and 'id="redo"' not in html
    assert "data-sign-form" in client.get(f"/signatures/repair/{repair.id}").text


def test_finance_records_the_final_payment_then_the_card_is_issued(client, login_as, storage):
    acceptance = accepted(storage)
    db.session.commit()
    page = f"/projects/{acceptance.project_id}/completion"
    owner_page = f"/owner/{owner_links.printed_owner_link(acceptance.project)[1]}"
    login_as(acceptance.inspector)
    html = client.get(page).text
    assert 'id="hand-over"' not in html and 'id="hand-over-waits"' in html and "final-payment-form" not in html
    assert client.post(f"/completion/{acceptance.id}/hand-over").status_code == 409
    assert client.get(f"/completion/{acceptance.id}/card.pdf").status_code == 404
    assert client.post(f"/completion/{acceptance.id}/final-payment",
                       data={"paid_on": local_today().isoformat()}).status_code == 403
    owner = client.get(owner_page).text
    assert "交齐尾款即发放保修卡" in owner and "warranty-card.pdf" not in owner
    assert client.get(owner_page + "/warranty-card.pdf").status_code == 404

    finance = login_as(Role.FINANCE)
    assert "final-payment-form" in client.get(page).text
    bad = client.post(f"/completion/{acceptance.id}/final-payment", data={"paid_on": "", "amount": "-5"})
    assert bad.status_code == 422 and "final-payment-form" in bad.text
    response = client.post(f"/completion/{acceptance.id}/final-payment",
                           data={"paid_on": local_today().isoformat(), "amount": "12000"})
    assert response.status_code == 303
    html = client.get(page).text
    assert "12000.00" in html and finance.display_name in html and "final-payment-form" not in html
    assert client.post(f"/completion/{acceptance.id}/final-payment",
                       data={"paid_on": local_today().isoformat()}).status_code == 409

    login_as(acceptance.inspector)
    assert 'id="hand-over"' in client.get(page).text
    assert client.post(f"/completion/{acceptance.id}/hand-over").status_code == 200
    assert client.get(f"/completion/{acceptance.id}/card.pdf").data.startswith(b"%PDF")
    assert "warranty-card.pdf" in client.get(owner_page).text
    assert client.get(owner_page + "/warranty-card.pdf").status_code == 200


def test_office_enters_a_phone_call_with_the_photos_the_owner_sent(client, login_as, storage):
    acceptance = accepted(storage)
    project = acceptance.project
    db.session.commit()
    login_as(Role.OFFICE)
    form = client.get("/repairs/new").text
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and "multiple" in form
    data = {"contract_no": project.contract_no, "kind": "painting", "description": "卧室墙面起皮"}
    bad = client.post("/repairs/new", data={**data, "photo": [(io.BytesIO(make_image_bytes()), "a.jpg"),
                                                              (io.BytesIO(b""), "b.jpg")]},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "第 2 张照片（共 2 张）无法接收" in bad.text
    assert db.session.query(RepairRequest).filter_by(project_id=project.id).count() == 0
    assert not (storage.root / "repairs").exists() or not any((storage.root / "repairs").rglob("*.jpg"))
    response = client.post("/repairs/new", data={**data, "photo": [(io.BytesIO(make_image_bytes()), "a.jpg"),
                                                                   (io.BytesIO(make_image_bytes()), "b.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    repair = db.session.query(RepairRequest).filter_by(project_id=project.id).one()
    photos = repair_requests.repair_photos(repair)
    assert len(photos) == 2 and all(storage.exists(p.display_key) for p in photos)
    assert client.get(f"/repairs/{repair.id}").text.count('class="thumb"') == 2


def test_a_phone_call_over_the_request_limit_shows_the_form_again_with_a_clear_message(client, login_as, storage):
    acceptance = accepted(storage)
    project = acceptance.project
    db.session.commit()
    boundary, data = oversize_body(contract_no=project.contract_no, kind="general", description="门吸脱落")
    content_type = f"multipart/form-data; boundary={boundary}"
    login_as(Role.OFFICE)
    form = client.get("/repairs/new").text
    assert "data-photo-form" in form.split('id="phone-repair-form"')[1].split(">")[0]
    response = client.post("/repairs/new", data=data, content_type=content_type)
    assert response.status_code == 413
    assert "照片合计过大：总共最多 20 MB，请少选几张。" in response.text and 'id="phone-repair-form"' in response.text
    assert db.session.query(RepairRequest).filter_by(project_id=project.id).count() == 0
    repair = repair_requests.file_repair(project, kind="general", description="x", source="phone")
    db.session.commit()
    elsewhere = client.post(f"/repairs/{repair.id}/plan", data=data, content_type=content_type)
    assert elsewhere.status_code == 413 and "照片合计过大" not in elsewhere.text  # the portal's usual 413
    login_as(Role.FINANCE)  # may not record repairs
    response = client.post("/repairs/new", data=data, content_type=content_type)
    assert response.status_code == 413 and "phone-repair-form" not in response.text
