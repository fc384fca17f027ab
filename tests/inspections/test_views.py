"""Inspection pages over HTTP: fragments vs pages, inline errors, finishing, reopening."""
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Answer, AnswerChange, Inspection
from portal.inspections.services import answers_version, load_answers
from portal.timeutil import local_today
from tests.factories import make_equipment, make_inspection, make_project, make_template, make_user


def htmx(target: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target}


def item_of(inspection, text):
    return next(a for a in load_answers(inspection) if a.item.text == text)


def answer_url(inspection, row):
    return f"/inspections/{inspection.id}/items/{row.item_id}"


def test_home_lists_todays_then_upcoming(client, login_as):
    inspector = make_user(Role.INSPECTOR)
    today = make_inspection(inspector=inspector, started=False)
    later = make_inspection(inspector=inspector, started=False, scheduled_date=local_today() + timedelta(days=3))
    make_inspection(started=False)  # somebody else's
    login_as(inspector)
    html = client.get("/inspections/today").text
    assert html.index(today.project.contract_no) < html.index(later.project.contract_no)
    assert html.count('class="list-item"') == 2


def test_todays_open_inspections_offer_to_prepare_their_pages_for_offline_use(client, login_as):
    inspector = make_user(Role.INSPECTOR)
    started = make_inspection(inspector=inspector)
    not_started = make_inspection(inspector=inspector, started=False)
    later = make_inspection(inspector=inspector, started=False, scheduled_date=local_today() + timedelta(days=3))
    login_as(inspector)
    html = client.get("/inspections/today").text
    pages = [json.loads(unescape(found)) for found in re.findall(r"data-pages='([^']*)'", html)]
    assert pages == [
        [f"/inspections/{started.id}", f"/inspections/{started.id}/summary", f"/projects/{started.project_id}/concealed"],
        [f"/inspections/{not_started.id}", f"/projects/{not_started.project_id}/concealed"],
    ]
    assert f"/inspections/{later.id}'" not in html  # upcoming ones are prepared on their day
    assert html.count("data-prepare-button") == 2 and "离线准备" in html
    assert re.search(r'<script src="/static/js/prepare\.js\?v=\w+" defer>', html)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31"])
def test_an_inspection_far_outside_the_planning_window_is_refused(client, login_as, day):
    make_template(family="default")
    project = make_project()
    inspector = make_user(Role.INSPECTOR)
    login_as(Role.OFFICE)
    response = client.post("/inspections/new", data={"project_id": project.id, "scheduled_date": day,
                                                      "inspector_id": inspector.id})
    assert response.status_code == 422 and "2000-01-01" in response.text
    assert db.session.scalar(select(func.count()).select_from(Inspection).where(Inspection.project_id == project.id)) == 0


def test_office_schedules_an_inspection(client, login_as):
    make_template(family="default")
    project = make_project()
    inspector = make_user(Role.INSPECTOR, display_name="检查员甲")
    login_as(Role.OFFICE)
    page = client.get(f"/inspections/new?project={project.id}")
    assert "检查员甲" in page.text
    response = client.post("/inspections/new", data={"project_id": project.id, "scheduled_date": local_today().isoformat(),
                                                      "inspector_id": inspector.id})
    assert response.status_code == 302
    again = client.post("/inspections/new", data={"project_id": project.id, "scheduled_date": local_today().isoformat(),
                                                   "inspector_id": inspector.id})
    assert again.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Inspection).where(Inspection.project_id == project.id)) == 1


def test_start_page_then_checklist(client, login_as):
    inspection = make_inspection(started=False)
    equipment = make_equipment()
    login_as(inspection.inspector)
    assert 'id="start-form"' in client.get(f"/inspections/{inspection.id}").text
    response = client.post(f"/inspections/{inspection.id}/start", data={
        "foreman_present": "yes", "project_manager_present": "no", "handbook_present": "yes",
        "equipment_ids": [equipment.id]})
    assert response.status_code == 302
    page = client.get(f"/inspections/{inspection.id}").text
    assert page.count('class="item item--open"') == 5 and 'id="summary-bar"' in page


def test_start_with_expired_equipment_names_the_date(client, login_as):
    inspection = make_inspection(started=False)
    expired = make_equipment(valid_from=local_today() - timedelta(days=400), valid_until=local_today() - timedelta(days=2))
    login_as(inspection.inspector)
    response = client.post(f"/inspections/{inspection.id}/start", data={
        "foreman_present": "yes", "project_manager_present": "yes", "handbook_present": "yes",
        "equipment_ids": [expired.id]})
    assert response.status_code == 422
    assert (local_today() - timedelta(days=2)).isoformat() in response.text
    db.session.expire_all()
    assert not db.session.get(Inspection, inspection.id).is_started


def test_answer_returns_the_item_fragment_with_live_totals(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "接缝严密")
    login_as(inspection.inspector)
    response = client.post(answer_url(inspection, row), data={"outcome": "fail"}, headers=htmx(f"item-{row.item_id}"))
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="item item--fail" id="item-{row.item_id}"')
    assert 'hx-swap-oob="true"' in response.text and 'id="summary-bar"' in response.text
    assert "<html" not in response.text
    db.session.expire_all()
    assert db.session.get(Answer, row.id).outcome == "fail"


def test_plain_form_post_redirects_back_to_the_item(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "接缝严密")
    login_as(inspection.inspector)
    response = client.post(answer_url(inspection, row), data={"outcome": "pass"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#item-{row.item_id}")


def test_measured_value_out_of_limit_fails_the_item(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "木材含水率")
    login_as(inspection.inspector)
    response = client.post(answer_url(inspection, row), data={"value": "15"}, headers=htmx(f"item-{row.item_id}"))
    assert "item--fail" in response.text and 'value="15"' in response.text


def test_bad_measured_value_is_an_inline_error_and_nothing_saved(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "木材含水率")
    login_as(inspection.inspector)
    client.post(answer_url(inspection, row), data={"value": "9"}, headers=htmx(f"item-{row.item_id}"))
    for bad in ("abc", "NaN", "1e308", "12.34567", "<script>alert(1)</script>"):
        response = client.post(answer_url(inspection, row), data={"value": bad}, headers=htmx(f"item-{row.item_id}"))
        assert response.status_code == 422, bad
        error = re.search(r'<p class="item-error"[^>]*>(.*?)</p>', response.text).group(1)
        assert error, bad
        assert "<script>" not in response.text
    db.session.expire_all()
    assert str(db.session.get(Answer, row.id).value.normalize()) == "9"


def test_answering_a_finished_inspection_is_refused(client, login_as):
    inspection = make_inspection()
    login_as(inspection.inspector)
    for row in load_answers(inspection):
        client.post(answer_url(inspection, row), data={"value": "5"} if row.item.is_measured else {"outcome": "pass"})
    client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    row = item_of(inspection, "接缝严密")
    response = client.post(answer_url(inspection, row), data={"outcome": "fail"}, headers=htmx(f"item-{row.item_id}"))
    assert response.status_code == 409 and "disabled" in response.text
    db.session.expire_all()
    assert db.session.get(Answer, row.id).outcome == "pass"


def test_note_is_saved_and_answers_with_its_state(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "插座左零右火上接地")
    login_as(inspection.inspector)
    response = client.post(f"/inspections/{inspection.id}/items/{row.item_id}/note", data={"note": "插座接反"},
                           headers=htmx(f"note-state-{row.item_id}"))
    assert response.status_code == 200 and 'id="note-state-' in response.text
    db.session.expire_all()
    assert db.session.get(Answer, row.id).note == "插座接反"


def test_note_fields_follow_their_details_instead_of_sitting_inside(client, login_as):
    """A text field inside a closed <details> costs the phone a full layout at load, once per item."""
    inspection = make_inspection()
    login_as(inspection.inspector)
    html = client.get(f"/inspections/{inspection.id}").text
    notes = re.findall(r'<details class="note"[^>]*>(.*?)</details>\s*(<form class="note-form".*?</form>)', html, re.S)
    assert len(notes) == len(load_answers(inspection))
    for inside, form in notes:
        assert "<textarea" not in inside and "<input" not in inside
        assert "<textarea" in form


def test_summary_shows_blocking_reasons_and_finish_refuses(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "插座左零右火上接地")
    login_as(inspection.inspector)
    client.post(answer_url(inspection, row), data={"outcome": "fail"})
    summary = client.get(f"/inspections/{inspection.id}/summary").text
    assert "4" in summary and "disabled" in summary
    response = client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    assert response.status_code == 422
    assert "插座左零右火上接地" in response.text  # note required and missing
    assert not db.session.get(Inspection, inspection.id).is_completed


def test_finish_with_stale_version_shows_the_summary_again(client, login_as):
    inspection = make_inspection()
    login_as(inspection.inspector)
    for row in load_answers(inspection):
        client.post(answer_url(inspection, row), data={"value": "5"} if row.item.is_measured else {"outcome": "pass"})
    seen = answers_version(inspection)
    row = item_of(inspection, "接缝严密")
    client.post(answer_url(inspection, row), data={"outcome": "fail"})  # changed meanwhile
    response = client.post(f"/inspections/{inspection.id}/finish", data={"version": seen})
    assert response.status_code == 409 and 'name="version" value="%d"' % (seen + 1) in response.text
    ok = client.post(f"/inspections/{inspection.id}/finish", data={"version": seen + 1})
    assert ok.status_code == 302
    page = client.get(ok.headers["Location"]).text
    assert 'class="result result-fail"' in page  # carpentry: 1 of 2 passed


def test_summary_names_what_is_missing_for_the_phone_to_compare_with_its_outbox(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "插座左零右火上接地")
    login_as(inspection.inspector)
    client.post(answer_url(inspection, row), data={"outcome": "fail"})
    summary = client.get(f"/inspections/{inspection.id}/summary").text
    missing = json.loads(unescape(re.search(r'data-missing="([^"]*)"', summary).group(1)))
    unanswered = [a.item_id for a in load_answers(inspection) if a.id != row.id]
    assert missing == [{"item": i, "need": "answer"} for i in unanswered] + [{"item": row.item_id, "need": "note"}]
    assert "data-finish-phone hidden" in summary


def test_finish_queued_on_the_phone_after_its_own_answers_is_accepted(client, login_as):
    inspection = make_inspection()
    login_as(inspection.inspector)
    seen = answers_version(inspection)  # the summary kept on the phone
    for row in load_answers(inspection):  # the answers that waited in its outbox
        client.post(answer_url(inspection, row), data={"value": "5"} if row.item.is_measured else {"outcome": "pass"})
    refused = client.post(f"/inspections/{inspection.id}/finish", data={"version": seen})
    assert refused.status_code == 409
    ok = client.post(f"/inspections/{inspection.id}/finish", data={"version": seen, "own_changes": "1"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Inspection, inspection.id).is_completed


def test_office_reopens_with_reason_and_history_shows_it(client, login_as):
    inspection = make_inspection()
    inspector_client_answers = load_answers(inspection)
    from portal.inspections.services import finish, save_answer

    for row in inspector_client_answers:
        save_answer(row, inspection.inspector, **({"raw_value": "5"} if row.item.is_measured else {"outcome": "pass"}))
    finish(inspection, inspection.inspector, answers_version(inspection))
    db.session.commit()
    login_as(Role.OFFICE)
    assert client.post(f"/inspections/{inspection.id}/reopen", data={"reason": ""}).status_code == 422
    assert client.post(f"/inspections/{inspection.id}/reopen", data={"reason": "照片缺失，重新检查"}).status_code == 302
    history = client.get(f"/inspections/{inspection.id}/history").text
    assert "照片缺失，重新检查" in history
    assert db.session.scalar(select(func.count()).select_from(AnswerChange)
                             .where(AnswerChange.inspection_id == inspection.id)) == 6  # 4 outcomes, 1 value + outcome


def test_another_inspectors_item_and_foreman_get_404(client, login_as):
    mine = make_inspection()
    other = make_inspection()
    foreign = load_answers(other)[0]
    login_as(mine.inspector)
    assert client.post(f"/inspections/{mine.id}/items/{foreign.item_id}", data={"outcome": "pass"}).status_code == 404
    assert client.get(f"/inspections/{other.id}").status_code == 404
    login_as(mine.project.foreman)
    assert client.get(f"/inspections/{mine.id}").status_code == 404


def test_item_forms_and_links_point_at_the_item_routes(app, client, login_as):
    """The checklist builds the items' URLs from one prefix per page (89 items, five URLs each):
    they must be the routes' own URLs, on the page and in a tap's fragment."""
    inspection = make_inspection()
    row = item_of(inspection, "接缝严密")
    login_as(inspection.inspector)
    fragment = client.post(answer_url(inspection, row), data={"outcome": "fail"},
                           headers=htmx(f"item-{row.item_id}")).text
    page = client.get(f"/inspections/{inspection.id}").text
    with app.test_request_context():
        urls = {endpoint: url_for(endpoint, inspection_id=inspection.id, item_id=row.item_id)
                for endpoint in ("inspections.answer", "inspections.note", "inspections.upload_item_photo",
                                 "inspections.item_pin")}
    for html in (fragment, page):
        for endpoint, url in urls.items():
            assert f'"{url}"' in html, endpoint


def test_item_labels_follow_the_users_language(client, login_as):
    inspection = make_inspection()
    row = item_of(inspection, "接缝严密")
    inspector = inspection.inspector
    login_as(inspector)
    tap = {"outcome": "fail"}
    chinese = client.post(answer_url(inspection, row), data=tap, headers=htmx(f"item-{row.item_id}")).text
    assert "不合格" in chinese and ">Fail<" not in chinese
    inspector.locale = "en"
    db.session.commit()
    english = client.post(answer_url(inspection, row), data=tap, headers=htmx(f"item-{row.item_id}")).text
    assert ">Fail<" in english and "Save note" in english and "不合格" not in english
