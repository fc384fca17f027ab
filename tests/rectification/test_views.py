"""Notice pages over HTTP: the foreman's home, who sees what, rework with "after" photos,
reinspection request and scheduling, and the notice fields of the finish form."""
import html
import io
import re
import uuid
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionStatus
from portal.inspections.services import answers_version
from portal.photos.models import Photo
from portal.rectification.models import NoticeItem, NoticeStatus, RectificationNotice
from portal.rectification.services import mark_rectified
from portal.timeutil import local_today
from tests.factories import (
    answer_items, make_failed_inspection, make_inspection, make_photo, make_project, make_template, make_user,
    notice_for, set_default_fixes,
)

SOCKET, BREAKER, MOISTURE, JOINT = "插座左零右火上接地", "漏电保护器动作正常", "木材含水率", "接缝严密"



@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them (the default language is Chinese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(out, "JPEG", quality=80)
    return out.getvalue()


def upload_after(client, notice, item, data: bytes | None = None):
    return client.post(f"/notices/{notice.id}/items/{item.id}/photos",
                       data={"uuid": str(uuid.uuid4()), "file": (io.BytesIO(data or small_jpeg()), "after.jpg", "image/jpeg")},
                       content_type="multipart/form-data")


def open_notice(**kwargs):
    inspection, notice = make_failed_inspection(**kwargs)
    assert notice.status == NoticeStatus.OPEN.value, f"new notice is {notice.status!r}"
    return inspection, notice


def reload(notice) -> RectificationNotice:
    db.session.expire_all()
    return db.session.get(RectificationNotice, notice.id)


def list_rows(page: str) -> list[str]:
    return re.findall(r'<li class="list-item[^"]*">.*?</li>', page, re.S)


# --- the foreman's home ---------------------------------------------------------------------------

def test_foreman_home_lists_open_notices_by_deadline_with_overdue_marked(client, login_as):
    foreman = make_user(Role.FOREMAN)
    _a, later = open_notice(project=make_project(foreman=foreman), fail=(SOCKET, JOINT))
    _b, overdue = open_notice(project=make_project(foreman=foreman))
    _c, sooner = open_notice(project=make_project(foreman=foreman))
    _d, closed = make_failed_inspection(project=make_project(foreman=foreman))
    _e, foreign = make_failed_inspection()
    later.deadline = local_today() + timedelta(days=6)
    overdue.deadline = local_today() - timedelta(days=1)
    sooner.deadline = local_today() + timedelta(days=1)
    closed.status = NoticeStatus.CLOSED.value
    mark_rectified(later.items[0], foreman, "done")
    login_as(foreman)
    page = client.get("/notices/mine").text
    rows = list_rows(page)
    assert [re.search(r"ZG-\d{8}-\d{3}", row).group() for row in rows] == [overdue.number, sooner.number, later.number]
    assert "overdue" in rows[0].split(">")[0] and "Overdue" in rows[0]
    assert all("Overdue" not in row for row in rows[1:])
    assert "1 of 2 items left" in rows[2] and "1 of 1 items left" in rows[1]
    assert closed.number not in page and foreign.number not in page


def test_the_pm_of_the_project_has_the_notice_on_his_home(client, login_as):
    _inspection, notice = open_notice()
    login_as(notice.project.project_manager)
    assert notice.number in client.get("/notices/mine").text


def test_foreman_home_without_notices(client, login_as):
    login_as(Role.FOREMAN)
    page = client.get("/notices/mine")
    assert page.status_code == 200 and "You have no open rectification notices." in page.text


def test_home_page_of_a_foreman_is_his_notices(client, login_as):
    login_as(Role.FOREMAN)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notices/mine")


# --- who sees the notice ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["foreman", "project_manager", "office", "inspector"])
def test_notice_page_for_the_project_team_and_desk(client, login_as, who):
    _inspection, notice = make_failed_inspection(fail=(SOCKET, MOISTURE))
    user = {"foreman": notice.project.foreman, "project_manager": notice.project.project_manager,
            "office": make_user(Role.OFFICE), "inspector": make_user(Role.INSPECTOR)}[who]
    login_as(user)
    page = client.get(f"/notices/{notice.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert notice.number in text and SOCKET in text and MOISTURE in text
    assert "Measured: 15" in re.sub(r"<[^>]+>", "", text) and "≤ 12 %" in text


@pytest.mark.parametrize("role", [Role.FOREMAN, Role.PROJECT_MANAGER])
def test_others_foreman_and_pm_get_404_on_the_notice_and_its_actions(client, login_as, role):
    _inspection, notice = make_failed_inspection()
    item = notice.items[0]
    login_as(role)
    assert client.get(f"/notices/{notice.id}").status_code == 404
    assert client.get(f"/notices/{notice.id}/pdf").status_code == 404
    assert client.post(f"/notices/{notice.id}/items/{item.id}/rectified", data={"note": "x"}).status_code == 404
    assert upload_after(client, notice, item).status_code == 404
    assert client.post(f"/notices/{notice.id}/request-reinspection").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Photo).where(Photo.notice_item_id == item.id)) == 0
    assert reload(notice).items[0].state == "open"


def test_a_replaced_foreman_no_longer_sees_the_notice(client, login_as):
    _inspection, notice = make_failed_inspection()
    old = notice.project.foreman
    notice.project.foreman = make_user(Role.FOREMAN)
    login_as(old)
    assert client.get(f"/notices/{notice.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.OFFICE, Role.INSPECTOR])
def test_desk_roles_see_but_do_not_rework(client, login_as, role):
    _inspection, notice = make_failed_inspection()
    item = notice.items[0]
    login_as(role)
    assert client.post(f"/notices/{notice.id}/items/{item.id}/rectified", data={"note": "x"}).status_code == 403
    assert upload_after(client, notice, item).status_code == 403
    assert client.post(f"/notices/{notice.id}/request-reinspection").status_code == 403


def test_an_item_of_another_notice_is_404(client, login_as):
    _i, notice = make_failed_inspection()
    _j, other = make_failed_inspection()
    login_as(notice.project.foreman)
    assert client.post(f"/notices/{notice.id}/items/{other.items[0].id}/rectified", data={}).status_code == 404
    assert upload_after(client, notice, other.items[0]).status_code == 404


@pytest.mark.parametrize("role", [Role.FOREMAN, Role.PROJECT_MANAGER, Role.INSPECTOR])
def test_only_office_schedules(client, login_as, role):
    _inspection, notice = make_failed_inspection()
    login_as(notice.project.foreman if role == Role.FOREMAN else role)
    response = client.post(f"/notices/{notice.id}/reinspection",
                           data={"scheduled_date": local_today().isoformat(), "inspector_id": notice.inspector_id})
    assert response.status_code == 403 and reload(notice).reinspection_id is None


def test_office_list_shows_notices_and_all_with_the_switch(client, login_as):
    _i, notice = make_failed_inspection()
    login_as(Role.OFFICE)
    every = client.get("/notices/?all=1")
    assert every.status_code == 200 and notice.number in every.text


# --- the foreman's rework -----------------------------------------------------------------------

def test_foreman_uploads_an_after_photo_marks_rectified_and_requests_reinspection(client, login_as):
    _inspection, notice = open_notice(fail=(SOCKET, JOINT))
    foreman = notice.project.foreman
    login_as(foreman)
    first, second = notice.items
    response = upload_after(client, notice, first)
    assert response.status_code == 201
    photo = db.session.scalar(select(Photo).where(Photo.notice_item_id == first.id))
    assert photo is not None and photo.uploaded_by_id == foreman.id and photo.inspection_id is None
    for item in (first, second):
        done = client.post(f"/notices/{notice.id}/items/{item.id}/rectified", data={"note": "已整改完毕"})
        assert done.status_code == 302 and done.headers["Location"].endswith(f"/notices/{notice.id}#item-{item.id}")
    page = client.get(f"/notices/{notice.id}").text
    assert page.count("Rectified") >= 2 and "已整改完毕" in page and photo.uuid in page
    asked = client.post(f"/notices/{notice.id}/request-reinspection")
    assert asked.status_code == 302
    notice = reload(notice)
    assert (notice.status, notice.requested_by_id) == (NoticeStatus.REQUESTED.value, foreman.id)
    assert [i.state for i in notice.items] == ["rectified", "rectified"]
    again = client.post(f"/notices/{notice.id}/request-reinspection", follow_redirects=True)
    assert again.status_code == 200 and "The reinspection was requested already." in again.text
    assert reload(notice).requested_at == notice.requested_at


def test_the_pm_does_the_rework_too(client, login_as):
    _inspection, notice = open_notice()
    pm = notice.project.project_manager
    login_as(pm)
    assert upload_after(client, notice, notice.items[0]).status_code == 201
    assert client.post(f"/notices/{notice.id}/items/{notice.items[0].id}/rectified", data={"note": ""}).status_code == 302
    assert client.post(f"/notices/{notice.id}/request-reinspection").status_code == 302
    notice = reload(notice)
    assert (notice.items[0].rectified_by_id, notice.requested_by_id, notice.status) == (pm.id, pm.id, "requested")


def test_mark_rectified_without_the_required_after_photo_is_422(client, login_as):
    template = make_template()
    set_default_fixes(template)
    socket_item = template.categories[0].items[0]
    socket_item.photo_required_on_fail = True
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET,))
    make_photo(inspection=inspection, item_id=socket_item.id)
    from tests.factories import finish_answered

    notice = finish_answered(inspection)
    assert notice.status == NoticeStatus.OPEN.value
    login_as(notice.project.foreman)
    page = client.get(f"/notices/{notice.id}").text
    assert "An “after” photo is required for this item." in html.unescape(page)
    response = client.post(f"/notices/{notice.id}/items/{notice.items[0].id}/rectified", data={"note": "done"})
    assert response.status_code == 422 and "Add an “after” photo of this item first." in html.unescape(response.text)
    assert reload(notice).items[0].state == "open"


def test_a_too_long_rectification_note_is_422(client, login_as):
    _inspection, notice = make_failed_inspection()
    login_as(notice.project.foreman)
    response = client.post(f"/notices/{notice.id}/items/{notice.items[0].id}/rectified", data={"note": "长" * 2001})
    assert response.status_code == 422 and "The note is too long." in response.text
    assert reload(notice).items[0].state == "open"


def test_request_reinspection_with_open_items_is_422_naming_them(client, login_as):
    _inspection, notice = open_notice(fail=(SOCKET, BREAKER))
    login_as(notice.project.foreman)
    page = client.get(f"/notices/{notice.id}").text
    assert re.search(r'<button type="submit" class="button primary block" disabled>Request reinspection', page)
    response = client.post(f"/notices/{notice.id}/request-reinspection")
    assert response.status_code == 422
    assert f"These items are not marked rectified yet: {SOCKET}；{BREAKER}" in html.unescape(response.text)
    assert reload(notice).status == NoticeStatus.OPEN.value


def test_no_rework_on_a_notice_that_is_not_open(client, login_as):
    _inspection, notice = make_failed_inspection()
    notice.status = NoticeStatus.CLOSED.value
    login_as(notice.project.foreman)
    item = notice.items[0]
    assert upload_after(client, notice, item).status_code == 409
    assert client.post(f"/notices/{notice.id}/items/{item.id}/rectified", data={"note": "x"}).status_code == 409
    page = client.get(f"/notices/{notice.id}").text
    assert "Mark as rectified" not in page and "Request reinspection" not in page
    assert reload(notice).items[0].state == "open"
    assert db.session.scalar(select(func.count()).select_from(Photo).where(Photo.notice_item_id == item.id)) == 0


@pytest.mark.parametrize("data, status", [
    (b"not an image at all", 422),
    (None, 422),  # no file
], ids=["garbage", "no-file"])
def test_bad_after_photo_uploads_are_refused(client, login_as, data, status):
    _inspection, notice = make_failed_inspection()
    login_as(notice.project.foreman)
    item = notice.items[0]
    form = {"uuid": str(uuid.uuid4())}
    if data is not None:
        form["file"] = (io.BytesIO(data), "after.jpg", "image/jpeg")
    response = client.post(f"/notices/{notice.id}/items/{item.id}/photos", data=form, content_type="multipart/form-data")
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(Photo).where(Photo.notice_item_id == item.id)) == 0


# --- office schedules the reinspection ----------------------------------------------------------

def test_office_schedules_the_reinspection_and_lands_on_round_two(client, login_as):
    inspection, notice = open_notice()
    mark_rectified(notice.items[0], notice.project.foreman, "")
    inspector = make_user(Role.INSPECTOR, display_name="复查员乙")
    login_as(Role.OFFICE)
    page = client.get(f"/notices/{notice.id}").text
    assert "Schedule round 2" in page and "复查员乙" in page
    day = local_today() + timedelta(days=3)
    response = client.post(f"/notices/{notice.id}/reinspection",
                           data={"scheduled_date": day.isoformat(), "inspector_id": inspector.id})
    assert response.status_code == 302
    reinspection = db.session.scalar(select(Inspection).where(Inspection.project_id == notice.project_id,
                                                              Inspection.round == 2))
    assert response.headers["Location"].endswith(f"/inspections/{reinspection.id}")
    assert (reinspection.template_id, reinspection.inspector_id, reinspection.scheduled_date) == (
        inspection.template_id, inspector.id, day)
    notice = reload(notice)
    assert (notice.status, notice.reinspection_id) == (NoticeStatus.SCHEDULED.value, reinspection.id)
    again = client.post(f"/notices/{notice.id}/reinspection",
                        data={"scheduled_date": day.isoformat(), "inspector_id": inspector.id})
    assert again.status_code == 409
    assert "Open the reinspection" in client.get(f"/notices/{notice.id}").text


def test_scheduling_in_the_past_is_422(client, login_as):
    _inspection, notice = open_notice()
    login_as(Role.OFFICE)
    response = client.post(f"/notices/{notice.id}/reinspection", data={
        "scheduled_date": (local_today() - timedelta(days=1)).isoformat(), "inspector_id": notice.inspector_id})
    assert response.status_code == 422 and "The reinspection date cannot be in the past." in response.text
    assert reload(notice).reinspection_id is None


@pytest.mark.parametrize("data", [
    {"inspector_id": "{inspector}"},
    {"scheduled_date": "not-a-date", "inspector_id": "{inspector}"},
    {"scheduled_date": "{today}", "inspector_id": "999999"},
    {"scheduled_date": "{today}"},
], ids=["no-date", "bad-date", "unknown-inspector", "no-inspector"])
def test_schedule_form_errors_are_422(client, login_as, data):
    _inspection, notice = make_failed_inspection()
    login_as(Role.OFFICE)
    values = {"inspector": notice.inspector_id, "today": local_today().isoformat()}
    response = client.post(f"/notices/{notice.id}/reinspection", data={k: v.format(**values) for k, v in data.items()})
    assert response.status_code == 422
    assert reload(notice).reinspection_id is None
    assert db.session.scalar(select(func.count()).select_from(Inspection)
                             .where(Inspection.project_id == notice.project_id)) == 1


def test_scheduling_a_closed_notice_is_409(client, login_as):
    _inspection, notice = make_failed_inspection()
    notice.status = NoticeStatus.CLOSED.value
    login_as(Role.OFFICE)
    response = client.post(f"/notices/{notice.id}/reinspection",
                           data={"scheduled_date": local_today().isoformat(), "inspector_id": notice.inspector_id})
    assert response.status_code == 409 and "This notice is no longer open for rework." in response.text


# --- the notice fields of the finish form -------------------------------------------------------

def failing_inspection(fixes: dict | None = None):
    template = make_template()
    set_default_fixes(template, fixes)
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET, MOISTURE))
    return inspection


def item_id(inspection, text) -> int:
    return next(item.id for category in inspection.template.categories for item in category.items if item.text == text)


def finish_form(inspection, **fields) -> dict:
    today = local_today()
    form = {"version": answers_version(inspection), "deadline": (today + timedelta(days=5)).isoformat(),
            "reinspection_date": (today + timedelta(days=6)).isoformat(),
            f"fix-{item_id(inspection, SOCKET)}": "重新接线", f"fix-{item_id(inspection, MOISTURE)}": "更换木材"}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'<input type="date" id="{name}" name="{name}" value="([^"]*)">', page)
    return match.group(1) if match else None


def test_summary_of_a_failing_inspection_offers_the_notice_fields_with_defaults(client, login_as):
    inspection = failing_inspection({SOCKET: "按左零右火上接地重新接线"})
    login_as(inspection.inspector)
    page = client.get(f"/inspections/{inspection.id}/summary").text
    assert "<h2>Rectification notice</h2>" in page
    assert field_value(page, "deadline") == (local_today() + timedelta(days=7)).isoformat()
    assert field_value(page, "reinspection_date") == (local_today() + timedelta(days=8)).isoformat()
    socket = re.search(rf'<textarea id="fix-{item_id(inspection, SOCKET)}"[^>]*>([^<]*)</textarea>', page)
    moisture = re.search(rf'<textarea id="fix-{item_id(inspection, MOISTURE)}"[^>]*>([^<]*)</textarea>', page)
    assert socket.group(1) == "按左零右火上接地重新接线" and moisture.group(1) == f"按规范整改：{MOISTURE}"
    assert f'name="fix-{item_id(inspection, JOINT)}"' not in page  # passed items need no fix


def test_summary_of_a_passing_inspection_has_no_notice_fields(client, login_as):
    inspection = make_inspection()
    answer_items(inspection)
    login_as(inspection.inspector)
    page = client.get(f"/inspections/{inspection.id}/summary").text
    assert 'name="deadline"' not in page and "<h2>Rectification notice</h2>" not in page


def test_finishing_with_the_posted_deadline_and_fixes(client, login_as):
    inspection = failing_inspection()
    login_as(inspection.inspector)
    response = client.post(f"/inspections/{inspection.id}/finish", data=finish_form(inspection))
    assert response.status_code == 302
    notice = notice_for(inspection)
    assert (notice.deadline, notice.reinspection_date) == (local_today() + timedelta(days=5),
                                                           local_today() + timedelta(days=6))
    assert [(i.item_text, i.required_fix) for i in notice.items] == [(SOCKET, "重新接线"), (MOISTURE, "更换木材")]


def test_finishing_without_notice_fields_uses_the_defaults(client, login_as):
    inspection = failing_inspection()
    login_as(inspection.inspector)
    response = client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    assert response.status_code == 302
    notice = notice_for(inspection)
    assert notice.deadline == local_today() + timedelta(days=7)
    assert [i.required_fix for i in notice.items] == [f"按规范整改：{SOCKET}", f"按规范整改：{MOISTURE}"]


@pytest.mark.parametrize("fields, field, message", [
    ({"deadline": -1}, "deadline", "The deadline cannot be in the past."),
    ({"deadline": 6, "reinspection_date": 5}, "reinspection_date", "The reinspection cannot be before the deadline."),
    ({"fix": "   "}, None, "Write the required fix for every failed item."),
], ids=["deadline-past", "reinspection-before-deadline", "blank-fix"])
def test_bad_notice_input_is_422_with_the_error_and_nothing_finished(client, login_as, fields, field, message):
    inspection = failing_inspection()
    login_as(inspection.inspector)
    form = finish_form(inspection)
    for name in ("deadline", "reinspection_date"):
        if name in fields:
            form[name] = (local_today() + timedelta(days=fields[name])).isoformat()
    if "fix" in fields:
        form[f"fix-{item_id(inspection, SOCKET)}"] = fields["fix"]
    response = client.post(f"/inspections/{inspection.id}/finish", data=form)
    assert response.status_code == 422
    if field:
        assert re.search(rf'<div class="field has-error"><label for="{field}">.*?<p class="error">{re.escape(message)}</p>',
                         response.text, re.S)
        assert field_value(response.text, field) == form[field]  # what was typed is kept
    else:
        assert f'<p class="error">{message}</p>' in response.text
    db.session.expire_all()
    assert db.session.get(Inspection, inspection.id).status == InspectionStatus.IN_PROGRESS.value
    assert notice_for(inspection) is None


@pytest.mark.parametrize("bad", ["31.12.2026", "2026-02-30"])
def test_an_unreadable_deadline_is_422(client, login_as, bad):
    inspection = failing_inspection()
    login_as(inspection.inspector)
    response = client.post(f"/inspections/{inspection.id}/finish", data=finish_form(inspection, deadline=bad))
    assert response.status_code == 422
    assert notice_for(inspection) is None


def test_notice_texts_are_in_the_company_language_whatever_the_inspectors_ui(client, login_as):
    template = make_template()
    set_default_fixes(template)
    for category in template.categories:
        for item in category.items:
            item.default_fix_en = "Fix it"
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET,))
    login_as(inspection.inspector)  # the session language is English (fixture)
    response = client.post(f"/inspections/{inspection.id}/finish", data={"version": answers_version(inspection)})
    assert response.status_code == 302
    item = notice_for(inspection).items[0]
    assert (item.category_title, item.required_fix) == ("分项electrical", f"按规范整改：{SOCKET}")


def test_finished_summary_has_no_notice_fields(client, login_as):
    inspection, _notice = make_failed_inspection()
    login_as(inspection.inspector)
    page = client.get(f"/inspections/{inspection.id}/summary").text
    assert 'name="deadline"' not in page


def test_notice_items_keep_what_was_found(client, login_as):
    inspection = failing_inspection()
    login_as(inspection.inspector)
    client.post(f"/inspections/{inspection.id}/finish", data=finish_form(inspection))
    items = db.session.scalars(select(NoticeItem).join(RectificationNotice)
                               .where(RectificationNotice.inspection_id == inspection.id)
                               .order_by(NoticeItem.position)).all()
    assert [(i.item_text, i.finding, i.limit_text) for i in items] == [(SOCKET, "需整改", ""), (MOISTURE, "需整改", "≤ 12 %")]


# --- the reinspection checklist -----------------------------------------------------------------

def htmx(target: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target}


def started_reinspection():
    from portal.inspections.services import record_start
    from portal.rectification.services import schedule_reinspection
    from tests.factories import make_equipment

    _inspection, notice = open_notice(fail=(SOCKET,))
    reinspection = schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    record_start(reinspection, notice.inspector, foreman_present=True, project_manager_present=True,
                 others_present="", handbook_present=True, equipment=[make_equipment()])
    return notice, reinspection


def test_reinspection_checklist_shows_carried_items_read_only(client, login_as):
    notice, reinspection = started_reinspection()
    login_as(reinspection.inspector)
    page = client.get(f"/inspections/{reinspection.id}").text
    joint = item_id(reinspection, JOINT)
    socket = item_id(reinspection, SOCKET)
    joint_li = re.search(rf'<li class="item item--pass" id="item-{joint}".*?</li>', page, re.S).group()
    assert "Passed before — carried over" in html.unescape(joint_li) and 'class="answer"' not in joint_li
    assert f"/items/{joint}/reopen-carried" in joint_li
    socket_li = re.search(rf'<li class="item item--open" id="item-{socket}".*?</form>', page, re.S).group()
    assert "carried over" not in socket_li and 'class="answer"' in socket_li


def test_answering_a_carried_item_over_http_is_409(client, login_as):
    _notice, reinspection = started_reinspection()
    login_as(reinspection.inspector)
    joint = item_id(reinspection, JOINT)
    response = client.post(f"/inspections/{reinspection.id}/items/{joint}", data={"outcome": "fail"},
                           headers=htmx(f"item-{joint}"))
    assert response.status_code == 409
    assert "carried over" in html.unescape(response.text)


@pytest.mark.parametrize("note", ["", "   "], ids=["empty", "blank"])
def test_reopening_a_carried_item_over_http_needs_a_note(client, login_as, note):
    _notice, reinspection = started_reinspection()
    login_as(reinspection.inspector)
    joint = item_id(reinspection, JOINT)
    response = client.post(f"/inspections/{reinspection.id}/items/{joint}/reopen-carried", data={"note": note},
                           headers=htmx(f"item-{joint}"))
    assert response.status_code == 422
    from portal.inspections.models import Answer

    db.session.expire_all()
    row = db.session.scalar(select(Answer).where(Answer.inspection_id == reinspection.id, Answer.item_id == joint))
    assert (row.carried_from_id, row.outcome) == (notice_inspection_id(reinspection), "pass")


def notice_inspection_id(reinspection) -> int:
    return db.session.scalar(select(RectificationNotice.inspection_id)
                             .where(RectificationNotice.reinspection_id == reinspection.id))


def test_reopening_a_carried_item_over_http_with_a_note(client, login_as):
    _notice, reinspection = started_reinspection()
    login_as(reinspection.inspector)
    joint = item_id(reinspection, JOINT)
    response = client.post(f"/inspections/{reinspection.id}/items/{joint}/reopen-carried",
                           data={"note": "接缝开裂"}, headers=htmx(f"item-{joint}"))
    assert response.status_code == 200 and 'class="answer"' in response.text
    again = client.post(f"/inspections/{reinspection.id}/items/{joint}", data={"outcome": "fail"},
                        headers=htmx(f"item-{joint}"))
    assert again.status_code == 200


def test_scheduling_for_a_replaced_foreman_is_422_until_a_new_one_is_assigned(client, login_as):
    from portal.penalties.models import PenaltyKind
    from portal.penalties.services import record_penalty

    inspection, notice = open_notice()
    record_penalty(notice.project.foreman, "foreman", PenaltyKind.REPLACEMENT, "round_3_failed", inspection)
    login_as(Role.OFFICE)
    form = {"scheduled_date": local_today().isoformat(), "inspector_id": notice.inspector_id}
    response = client.post(f"/notices/{notice.id}/reinspection", data=form)
    assert response.status_code == 422 and "assign the new foreman" in response.text
    assert reload(notice).reinspection_id is None
    notice.project.foreman = make_user(Role.FOREMAN)
    db.session.commit()
    assert client.post(f"/notices/{notice.id}/reinspection", data=form).status_code == 302
