"""Complaints (000 第三节 投诉处理制度): the fault recorded for a second complaint, and what the handler sees."""
from __future__ import annotations

from decimal import Decimal

import pytest

from portal import create_app
from portal.aftercare import complaint_handling, services
from portal.aftercare.complaint_penalty import RepeatPenalty, RepeatPenaltyConfigError, parse_rule
from portal.aftercare.models import Complaint
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.penalties.models import Penalty, PenaltyKind
from tests.factories import make_finished_inspection, make_project, make_user


def handled(project, office, head) -> Complaint:
    """A complaint that went through a complete round, handled by ``head``."""
    first = complaint_handling.register_complaint(project, matter="地板起拱", description="客厅地板起拱", complained_about="工长",
                                        user=office)
    complaint_handling.pass_on(first, head)
    complaint_handling.answer_complaint(first, "已安排重铺")
    complaint_handling.close_complaint(first, "业主认可", True)
    return first


def repeat(first: Complaint, office) -> Complaint:
    return complaint_handling.register_complaint(first.project, matter=first.matter, description="又起拱了", complained_about="",
                                       user=office, repeat_of=first)


# --- the fault for the first handling (000 第三节 5) -------------------------------------------------

@pytest.mark.parametrize("text, rule", [
    ("", RepeatPenalty(PenaltyKind.GENERAL_FAULT)),
    (None, RepeatPenalty(PenaltyKind.GENERAL_FAULT)),
    ("general_fault", RepeatPenalty(PenaltyKind.GENERAL_FAULT)),
    ("serious_fault", RepeatPenalty(PenaltyKind.SERIOUS_FAULT)),
    ("serious_fault:200", RepeatPenalty(PenaltyKind.SERIOUS_FAULT, Decimal("200.00"))),
    (" general_fault : 50.5 ", RepeatPenalty(PenaltyKind.GENERAL_FAULT, Decimal("50.50"))),
])
def test_repeat_penalty_setting(text, rule):
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["replacement", "fine", "general_fault:abc", "general_fault:-1", "serious_fault:NaN",
                                  "serious_fault:Infinity", "general_fault:1e9"])
def test_bad_repeat_penalty_settings_are_refused(text):
    with pytest.raises(RepeatPenaltyConfigError):
        parse_rule(text)


def test_a_bad_repeat_penalty_refuses_to_start(tmp_path):
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": "k" * 40, "BASE_URL": "https://portal.test",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "COMPLAINT_REPEAT_PENALTY": "replacement"}
    with pytest.raises(RepeatPenaltyConfigError):
        create_app(env)


def test_second_complaint_records_a_general_fault_against_the_first_handler():
    inspection = make_finished_inspection()
    office, head = make_user(Role.OFFICE), make_user(Role.PROJECT_MANAGER)
    first = handled(inspection.project, office, head)
    assert db.session.query(Penalty).count() == 0
    second = repeat(first, office)
    penalty = db.session.query(Penalty).one()
    assert (penalty.person_id, penalty.kind, penalty.role, penalty.reason, penalty.amount) == (
        head.id, "general_fault", "complaint_handler", f"complaint_{first.id}_repeat", None)
    assert (penalty.project_id, penalty.inspection_id) == (inspection.project_id, inspection.id)
    assert penalty.annulled_at is None
    complaint_handling.pass_on(second, make_user(Role.FOREMAN))
    complaint_handling.answer_complaint(second, "重铺")
    complaint_handling.close_complaint(second, "业主认可", True)
    repeat(first, office)  # a third complaint about the first handling records no second fault
    assert db.session.query(Penalty).count() == 1


def test_the_configured_fault_and_fine(app, monkeypatch):
    monkeypatch.setitem(app.config, "COMPLAINT_REPEAT_PENALTY", "serious_fault:200")
    inspection = make_finished_inspection()
    office, head = make_user(Role.OFFICE), make_user(Role.FOREMAN)
    repeat(handled(inspection.project, office, head), office)
    penalty = db.session.query(Penalty).one()
    assert (penalty.kind, penalty.amount, penalty.person_id) == ("serious_fault", Decimal("200.00"), head.id)


def test_a_project_never_inspected_gets_the_flag_but_no_penalty():
    """Every penalty in the register belongs to an inspection; without one the flag stays the only record."""
    office = make_user(Role.OFFICE)
    first = handled(make_project(), office, make_user(Role.PROJECT_MANAGER))
    repeat(first, office)
    assert first.handler_flagged_at is not None and db.session.query(Penalty).count() == 0


def test_office_sees_the_fault_in_the_register_and_annuls_it(client, login_as):
    inspection = make_finished_inspection()
    office, head = make_user(Role.OFFICE), make_user(Role.PROJECT_MANAGER, display_name="部门主管甲")
    first = handled(inspection.project, office, head)
    repeat(first, office)
    penalty = db.session.query(Penalty).one()
    login_as(office)
    html = client.get("/penalties/").text
    assert "部门主管甲" in html and f"同一问题再次投诉：第一次投诉 #{first.id} 处理不力" in html
    response = client.post(f"/penalties/{penalty.id}/annul", data={"reason": "经核查，第一次处理到位"})
    assert response.status_code == 302
    db.session.refresh(penalty)
    assert penalty.annulled_at is not None and penalty.annul_reason == "经核查，第一次处理到位"


# --- the handler's page ----------------------------------------------------------------------------

def test_the_department_head_opens_his_complaint_and_answers_it(client, login_as):
    office = login_as(Role.OFFICE)
    head = make_user(Role.PROJECT_MANAGER)
    project = make_project()
    assert client.post("/complaints/new", data={"contract_no": project.contract_no, "matter": "噪音扰民",
                                                "description": "周末施工"}).status_code == 303
    complaint = db.session.query(Complaint).filter_by(project_id=project.id).one()
    assert client.post(f"/complaints/{complaint.id}/pass-on", data={"handler_id": str(head.id)}).status_code == 303
    note = db.session.query(Notification).filter_by(user_id=head.id, kind="complaint_passed_on").one()
    assert note.link == f"/complaints/{complaint.id}" and "48" in note.text
    assert not db.session.query(Notification).filter_by(user_id=office.id, kind="complaint_passed_on").count()

    login_as(head)
    page = client.get(note.link)
    assert page.status_code == 200 and "噪音扰民" in page.text
    assert f"/complaints/{complaint.id}/answer" in page.text
    assert f"/complaints/{complaint.id}/pass-on" not in page.text
    assert f"/complaints/{complaint.id}/close" not in page.text
    assert client.post(f"/complaints/{complaint.id}/pass-on", data={"handler_id": str(head.id)}).status_code == 403
    assert client.post(f"/complaints/{complaint.id}/answer", data={"answer": "已调整施工时间"}).status_code == 303
    assert client.post(f"/complaints/{complaint.id}/close", data={"return_visit": "好", "satisfied": "yes"}
                       ).status_code == 403
    assert client.get("/complaints/").status_code == 403  # the office's list stays the office's
    login_as(make_user(Role.PROJECT_MANAGER))
    assert client.get(note.link).status_code == 404


def test_the_repeat_notification_reaches_office_and_the_first_handler_with_a_link_each_opens(client, login_as):
    office, other_office, head = make_user(Role.OFFICE), make_user(Role.OFFICE), make_user(Role.FOREMAN)
    first = handled(make_finished_inspection().project, office, head)
    login_as(office)
    response = client.post("/complaints/new", data={"contract_no": first.project.contract_no, "matter": first.matter,
                                                    "description": "又起拱了", "repeat_of": str(first.id)})
    assert response.status_code == 303
    second = db.session.query(Complaint).filter_by(repeat_of_id=first.id).one()
    notes = db.session.query(Notification).filter_by(kind="complaint_repeat").all()
    recipients = {n.user_id for n in notes}
    assert {office.id, other_office.id, head.id} <= recipients and len(notes) == len(recipients)
    assert {n.link for n in notes} == {f"/complaints/{second.id}"}
    for user in (office, other_office, head):
        login_as(user)
        page = client.get(f"/complaints/{second.id}")
        assert page.status_code == 200 and "又起拱了" in page.text
    # the first handler reads the second complaint and reaches his own first one; he may not act on it
    assert f'href="/complaints/{first.id}"' in page.text and f"/complaints/{second.id}/answer" not in page.text
    assert client.get(f"/complaints/{first.id}").status_code == 200
    assert client.post(f"/complaints/{second.id}/answer", data={"answer": "x"}).status_code == 403
