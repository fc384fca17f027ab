"""Schedule pages: engineering's list, office's week, the inspector's week and calendar (fixed clock)."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionEvent
from portal.notifications.models import Notification
from portal.projects.models import ProjectStatus
from portal.schedule import services
from portal.schedule.models import SubmissionEntry, WeeklySubmission
from portal.timeutil import COMPANY_TZ
from tests.conftest import form_errors
from tests.factories import (
    freeze_schedule_clock, make_failed_inspection, make_inspection, make_project, make_submission, make_user,
    published_template,
)

WEDNESDAY = datetime(2031, 11, 19, 10, 0, tzinfo=COMPANY_TZ)   # list for the week of 11-24 due tonight
WEEK = date(2031, 11, 24)
THURSDAY = date(2031, 11, 27)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    freeze_schedule_clock(monkeypatch, WEDNESDAY)
    return monkeypatch


def submission() -> WeeklySubmission | None:
    return services.find_submission(WEEK)


# --- engineering's list ----------------------------------------------------------------------

def test_engineering_sees_next_week_and_the_projects_it_may_list(client, login_as):
    login_as(Role.ENGINEERING)
    ready, building = make_project(), make_project(status=ProjectStatus.IN_PROGRESS)
    db.session.commit()
    html = client.get("/schedule/submissions").text
    assert "2031-11-24" in html and "2031-11-27" in html and "2031-11-19" in html  # week, Thursday, deadline
    assert ready.contract_no in html and building.contract_no in html
    assert 'name="owner_delay"' in html and "Submit the list" not in html  # nothing listed yet


def test_office_reads_the_list_without_forms(client, login_as):
    login_as(Role.OFFICE)
    make_submission(WEEK, submitted=False)
    db.session.commit()
    html = client.get("/schedule/submissions").text
    assert 'action="/schedule/submissions/entries"' not in html and "/remove" not in html


def test_adding_a_ready_project(client, login_as):
    engineer = login_as(Role.ENGINEERING)
    project = make_project()
    db.session.commit()
    response = client.post("/schedule/submissions/entries", data={"project_id": project.id})
    assert response.status_code == 303
    [entry] = submission().entries
    assert entry.project_id == project.id and entry.added_by_id == engineer.id
    assert project.contract_no in client.get("/schedule/submissions").text


def test_a_project_under_construction_needs_the_owners_delay(client, login_as):
    login_as(Role.ENGINEERING)
    project = make_project(status=ProjectStatus.IN_PROGRESS)
    db.session.commit()
    response = client.post("/schedule/submissions/entries", data={"project_id": project.id})
    assert response.status_code == 422
    assert any("work is not complete" in e for e in form_errors(response.text))
    response = client.post("/schedule/submissions/entries", data={"project_id": project.id, "owner_delay": "y"})
    assert response.status_code == 422
    assert any("reason for the owner" in e for e in form_errors(response.text))
    response = client.post("/schedule/submissions/entries", data={
        "project_id": project.id, "owner_delay": "y", "owner_delay_reason": "业主自购地板延期"})
    assert response.status_code == 303
    assert submission().entries[0].owner_delay_reason == "业主自购地板延期"
    assert "业主自购地板延期" in client.get("/schedule/submissions").text


def test_a_project_with_an_open_inspection_is_refused_with_the_reason(client, login_as):
    login_as(Role.ENGINEERING)
    project = make_project()
    make_inspection(project=project, started=False)
    db.session.commit()
    response = client.post("/schedule/submissions/entries", data={"project_id": project.id})
    assert response.status_code == 422
    assert any(project.contract_no in e and "not finished" in e for e in form_errors(response.text))
    assert submission() is None or submission().entries == []


def test_an_unknown_project_is_a_form_error(client, login_as):
    login_as(Role.ENGINEERING)
    response = client.post("/schedule/submissions/entries", data={"project_id": "999999"})
    assert response.status_code == 422 and form_errors(response.text)


def test_removing_an_entry_until_it_is_scheduled(client, login_as):
    login_as(Role.ENGINEERING)
    published_template()
    listed = make_submission(WEEK, projects=[make_project(), make_project()])
    keep, drop = listed.entries
    services.schedule_entry(keep, make_user(Role.INSPECTOR), THURSDAY, time(9, 0), make_user(Role.OFFICE),
                            now=WEDNESDAY)
    db.session.commit()
    drop_id = drop.id
    assert client.post(f"/schedule/submissions/entries/{drop_id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(SubmissionEntry, drop_id) is None
    response = client.post(f"/schedule/submissions/entries/{keep.id}/remove")
    assert response.status_code == 409 and "already scheduled" in response.text
    assert db.session.get(SubmissionEntry, keep.id) is not None


def test_submitting_on_wednesday_is_on_time(client, login_as):
    login_as(Role.ENGINEERING)
    make_submission(WEEK, submitted=False)
    db.session.commit()
    response = client.post("/schedule/submissions/submit", follow_redirects=True)
    assert response.status_code == 200 and "List submitted to the office." in response.text
    db.session.expire_all()
    assert submission().submitted_at is not None and submission().late is False


def test_submitting_on_thursday_is_marked_late(client, login_as, clock):
    freeze_schedule_clock(clock, datetime(2031, 11, 20, 9, 0, tzinfo=COMPANY_TZ))
    login_as(Role.ENGINEERING)
    make_submission(WEEK, submitted=False)
    db.session.commit()
    assert "it will be marked late" in client.get("/schedule/submissions").text
    response = client.post("/schedule/submissions/submit", follow_redirects=True)
    assert "marked late" in response.text and "Submitted late" in response.text
    db.session.expire_all()
    assert submission().late is True


def test_submitting_nothing_is_refused(client, login_as):
    login_as(Role.ENGINEERING)
    response = client.post("/schedule/submissions/submit")
    assert response.status_code == 422 and "The list is empty" in response.text


# --- office's week ---------------------------------------------------------------------------

def schedule_data(entry, inspector, day=THURSDAY, slot="09:00") -> dict:
    prefix = f"entry-{entry.id}-"
    return {prefix + "inspector_id": inspector.id, prefix + "scheduled_date": day.isoformat(),
            prefix + "scheduled_time": slot}


@pytest.fixture
def listed():
    """A submitted list for WEEK with two projects, and an inspector."""
    published_template()
    return make_submission(WEEK, projects=[make_project(), make_project()]), make_user(Role.INSPECTOR,
                                                                                       display_name="检查员甲")


def test_the_week_lists_what_to_schedule_with_thursday_as_default(client, login_as, listed):
    login_as(Role.OFFICE)
    week, _inspector = listed
    db.session.commit()
    html = client.get("/schedule/week").text  # Wednesday: next week by default
    for entry in week.entries:
        assert entry.project.contract_no in html and f'id="entry-{entry.id}-scheduled_date"' in html
    assert 'value="2031-11-27"' in html and "检查员甲" in html and "09:00" in html and "15:30" in html


def test_scheduling_creates_the_inspection_and_notifies(client, login_as, listed):
    office = login_as(Role.OFFICE)
    week, inspector = listed
    entry = week.entries[0]
    db.session.commit()
    response = client.post(f"/schedule/entries/{entry.id}/schedule", data=schedule_data(entry, inspector))
    assert response.status_code == 303 and response.headers["Location"].endswith("/schedule/week?start=2031-11-24")
    db.session.expire_all()
    inspection = db.session.get(Inspection, db.session.get(SubmissionEntry, entry.id).inspection_id)
    assert (inspection.scheduled_date, inspection.scheduled_time) == (THURSDAY, time(9, 0))
    assert inspection.inspector_id == inspector.id and inspection.created_by_id == office.id
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "inspection_scheduled")).all()
    assert set(told) == {entry.project.foreman_id, entry.project.project_manager_id}
    html = client.get("/schedule/week?start=2031-11-26").text  # any day of the week
    assert f'id="inspection-{inspection.id}"' in html and f'id="entry-{entry.id}-scheduled_date"' not in html


def test_the_same_inspector_in_the_same_slot_is_told_on_the_form(client, login_as, listed):
    login_as(Role.OFFICE)
    week, inspector = listed
    first, second = week.entries
    db.session.commit()
    assert client.post(f"/schedule/entries/{first.id}/schedule", data=schedule_data(first, inspector)).status_code == 303
    response = client.post(f"/schedule/entries/{second.id}/schedule", data=schedule_data(second, inspector))
    assert response.status_code == 422
    errors = form_errors(response.text)
    assert any("检查员甲 already has an inspection at 2031-11-27 09:00" in e and first.project.contract_no in e
               for e in errors)
    db.session.expire_all()
    assert db.session.get(SubmissionEntry, second.id).inspection_id is None


def test_htmx_gets_the_board_back(client, login_as, listed):
    login_as(Role.OFFICE)
    week, inspector = listed
    entry = week.entries[0]
    db.session.commit()
    headers = {"HX-Request": "true", "HX-Target": "week-board"}
    response = client.post(f"/schedule/entries/{entry.id}/schedule", data=schedule_data(entry, inspector),
                           headers=headers)
    assert response.status_code == 200 and response.text.lstrip().startswith('<section id="week-board"')
    assert "<html" not in response.text and "scheduled for 2031-11-27 09:00" in response.text
    assert "HX-Request" in response.headers["Vary"]
    bad = client.post(f"/schedule/entries/{week.entries[1].id}/schedule",
                      data=schedule_data(week.entries[1], inspector, slot="12:00"), headers=headers)
    assert bad.status_code == 422 and "<html" not in bad.text and form_errors(bad.text)


def test_reinspections_and_late_changes_show_in_the_week(client, login_as):
    from portal.rectification.services import schedule_reinspection

    office = login_as(Role.OFFICE)
    _failed, notice = make_failed_inspection()
    reinspection = schedule_reinspection(notice, THURSDAY, notice.inspector, office)
    reinspection.late_change = True
    db.session.commit()
    html = client.get("/schedule/week?start=2031-11-24").text
    row = html.split(f'id="inspection-{reinspection.id}"', 1)[1].split("</tr>", 1)[0]
    assert notice.project.contract_no in row and "Reinspection" in row and "Late change" in row


# --- rescheduling ------------------------------------------------------------------------------

@pytest.fixture
def booked(listed):
    """WEEK's first project scheduled for Thursday 09:00."""
    week, inspector = listed
    return services.schedule_entry(week.entries[0], inspector, THURSDAY, time(9, 0), make_user(Role.OFFICE),
                                   now=WEDNESDAY)


def move(client, inspection, day, slot, reason="", headers=None):
    prefix = f"insp-{inspection.id}-"
    return client.post(f"/schedule/inspections/{inspection.id}/reschedule?start=2031-11-24", headers=headers or {},
                       data={prefix + "scheduled_date": day.isoformat(), prefix + "scheduled_time": slot,
                             prefix + "reason": reason})


def test_moving_early_is_a_plain_change(client, login_as, booked):
    login_as(Role.OFFICE)
    db.session.commit()
    response = move(client, booked, THURSDAY, "14:00")
    assert response.status_code == 303
    db.session.expire_all()
    inspection = db.session.get(Inspection, booked.id)
    assert inspection.scheduled_time == time(14, 0) and inspection.late_change is False


def test_a_late_move_without_reason_is_refused(client, login_as, booked, clock):
    freeze_schedule_clock(clock, datetime(2031, 11, 26, 15, 0, tzinfo=COMPANY_TZ))  # 18 hours before
    login_as(Role.OFFICE)
    db.session.commit()
    response = move(client, booked, THURSDAY, "14:00")
    assert response.status_code == 422
    assert any("less than 24 hours" in e for e in form_errors(response.text))
    assert f'id="insp-{booked.id}-reason-error"' in response.text
    db.session.expire_all()
    assert db.session.get(Inspection, booked.id).scheduled_time == time(9, 0)


def test_a_late_move_with_reason_is_flagged_and_logged(client, login_as, booked, clock):
    freeze_schedule_clock(clock, datetime(2031, 11, 26, 15, 0, tzinfo=COMPANY_TZ))
    office = login_as(Role.OFFICE)
    db.session.commit()
    response = move(client, booked, THURSDAY, "14:00", reason="业主航班延误", headers={
        "HX-Request": "true", "HX-Target": "week-board"})
    assert response.status_code == 200 and "flagged as a late change" in response.text
    db.session.expire_all()
    inspection = db.session.get(Inspection, booked.id)
    assert inspection.late_change is True and inspection.scheduled_time == time(14, 0)
    event = db.session.scalar(select(InspectionEvent).where(InspectionEvent.inspection_id == booked.id,
                                                            InspectionEvent.kind == "rescheduled"))
    assert event.user_id == office.id and event.detail == "2031-11-27 09:00 → 2031-11-27 14:00 · 业主航班延误"
    assert "Late change" in client.get("/schedule/week?start=2031-11-24").text


def test_moving_onto_a_taken_slot_is_refused(client, login_as, listed, booked):
    login_as(Role.OFFICE)
    week, inspector = listed
    services.schedule_entry(week.entries[1], inspector, THURSDAY, time(14, 0), make_user(Role.OFFICE), now=WEDNESDAY)
    db.session.commit()
    response = move(client, booked, THURSDAY, "14:00")
    assert response.status_code == 422 and any("already has an inspection" in e for e in form_errors(response.text))


def test_a_started_inspection_has_no_move_form(client, login_as):
    login_as(Role.OFFICE)
    started = make_inspection(scheduled_date=THURSDAY)
    db.session.commit()
    html = client.get("/schedule/week?start=2031-11-24").text
    assert f'id="inspection-{started.id}"' in html and f"/schedule/inspections/{started.id}/reschedule" not in html
    response = move(client, started, THURSDAY, "14:00", reason="x")
    assert response.status_code == 422 and "can no longer be moved" in response.text


# --- the inspector -----------------------------------------------------------------------------

def test_my_week_shows_only_my_inspections(client, login_as, listed):
    week, inspector = listed
    login_as(inspector)
    mine = services.schedule_entry(week.entries[0], inspector, THURSDAY, time(10, 30), make_user(Role.OFFICE),
                                   now=WEDNESDAY)
    other = services.schedule_entry(week.entries[1], make_user(Role.INSPECTOR), THURSDAY, time(10, 30),
                                    make_user(Role.OFFICE), now=WEDNESDAY)
    db.session.commit()
    html = client.get("/schedule/mine?start=2031-11-24").text
    assert mine.project.contract_no in html and "10:30" in html and mine.project.foreman.display_name in html
    assert other.project.contract_no not in html
    assert mine.project.contract_no not in client.get("/schedule/mine").text  # this week (11-17): nothing


def test_the_feed_url_is_shown_once_and_can_be_revoked(client, login_as):
    inspector = login_as(Role.INSPECTOR)
    assert "No calendar link yet." in client.get("/schedule/calendar").text
    response = client.post("/schedule/calendar")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = response.text.split('id="feed-url">', 1)[1].split("<", 1)[0]
    assert url.startswith("https://portal.test/schedule/ics/") and url.endswith(".ics")
    assert "webcal://portal.test/schedule/ics/" in response.text
    path = url.removeprefix("https://portal.test")
    page = client.get("/schedule/calendar").text
    assert path not in page and 'id="feed-url"' not in page and "Revoke the link" in page
    client.post("/logout")
    assert client.get(path).status_code == 200  # the phone's calendar has no session
    login_as(inspector)
    assert client.post("/schedule/calendar/revoke").status_code == 303
    assert client.get(path).status_code == 404


def test_a_new_link_replaces_the_old_one(client, login_as):
    login_as(Role.INSPECTOR)
    first = client.post("/schedule/calendar").text.split('id="feed-url">', 1)[1].split("<", 1)[0]
    second = client.post("/schedule/calendar").text.split('id="feed-url">', 1)[1].split("<", 1)[0]
    assert first != second
    assert client.get(first.removeprefix("https://portal.test")).status_code == 404
    assert client.get(second.removeprefix("https://portal.test")).status_code == 200


def test_the_menu_links_the_schedule_pages(client, login_as):
    login_as(Role.OFFICE)
    assert 'href="/schedule/week"' in client.get("/schedule/submissions").text
    login_as(Role.INSPECTOR)
    assert 'href="/schedule/mine"' in client.get("/schedule/calendar").text


@pytest.fixture(autouse=True)
def _english_interface(app, monkeypatch):
    """These tests read the English texts: the company's default language is switched to English."""
    monkeypatch.setitem(app.config, "LANGUAGE", "en")
