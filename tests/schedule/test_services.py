"""Schedule services: the weekly list, scheduling, rescheduling, week views and feed tokens (fixed clock)."""
from __future__ import annotations

import hashlib
import os
import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionEvent
from portal.notifications.models import Notification
from portal.projects.models import ProjectStatus
from portal.schedule import calendar, services
from portal.schedule.models import CalendarToken, SubmissionEntry
from portal.schedule.services import ScheduleError
from portal.timeutil import COMPANY_TZ
from tests.factories import (
    make_failed_inspection, make_finished_inspection, make_inspection, make_project, make_submission, make_user,
    published_template,
)

WEEK = date(2031, 11, 24)          # Monday of the week being planned
THURSDAY = date(2031, 11, 27)
NOW = datetime(2031, 11, 19, 10, 0, tzinfo=COMPANY_TZ)   # Wednesday before, 10:00: on time
NINE, HALF_TEN, TWO = time(9, 0), time(10, 30), time(14, 0)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=COMPANY_TZ)


def notified(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


@pytest.fixture
def engineer():
    return make_user(Role.ENGINEERING)


@pytest.fixture
def office():
    return make_user(Role.OFFICE)


@pytest.fixture
def inspector():
    published_template()
    return make_user(Role.INSPECTOR)


def scheduled(inspector, office, day=THURSDAY, slot=NINE, project=None) -> Inspection:
    """A new project listed for WEEK and scheduled for ``inspector`` at ``day`` ``slot``."""
    submission = services.get_or_create_submission(WEEK)
    submission.submitted_at = submission.submitted_at or datetime(2031, 11, 19, 1, 0)
    entry = services.add_entry(submission, project or make_project(), office)
    return services.schedule_entry(entry, inspector, day, slot, office, now=NOW)


# --- the weekly list ------------------------------------------------------------------------

def test_the_weeks_list_is_created_once():
    first = services.get_or_create_submission(WEEK)
    assert services.get_or_create_submission(WEEK).id == first.id
    assert services.find_submission(WEEK + timedelta(days=7)) is None


def test_a_project_with_work_complete_is_listed(engineer):
    project = make_project()
    entry = services.add_entry(services.get_or_create_submission(WEEK), project, engineer)
    assert entry.project_id == project.id and entry.owner_delay is False and entry.added_by_id == engineer.id


def test_a_project_under_construction_is_refused(engineer):
    project = make_project(status=ProjectStatus.IN_PROGRESS)
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(services.get_or_create_submission(WEEK), project, engineer)
    assert exc.value.code == "not_complete" and exc.value.detail is project


def test_the_owners_delay_lists_it_with_its_reason(engineer):
    project = make_project(status=ProjectStatus.IN_PROGRESS)
    entry = services.add_entry(services.get_or_create_submission(WEEK), project, engineer, owner_delay=True,
                               reason="  业主自购橱柜未到货  ")
    assert entry.owner_delay is True and entry.owner_delay_reason == "业主自购橱柜未到货"


def test_the_owners_delay_needs_a_reason(engineer):
    project = make_project(status=ProjectStatus.HANDED_OVER)
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(services.get_or_create_submission(WEEK), project, engineer, owner_delay=True, reason=" ")
    assert exc.value.code == "reason_required"


def test_a_project_with_an_open_inspection_is_refused(engineer):
    project = make_project()
    make_inspection(project=project, started=False)
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(services.get_or_create_submission(WEEK), project, engineer)
    assert exc.value.code == "open_inspection" and exc.value.detail is project


def test_a_passed_project_is_refused(engineer):
    project = make_finished_inspection().project
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(services.get_or_create_submission(WEEK), project, engineer)
    assert exc.value.code == "already_passed"


def test_a_failed_project_waits_for_its_notice(engineer):
    inspection, notice = make_failed_inspection()
    assert notice is not None
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(services.get_or_create_submission(WEEK), inspection.project, engineer)
    assert exc.value.code == "open_notice"


def test_a_project_is_listed_once(engineer):
    project = make_project()
    submission = services.get_or_create_submission(WEEK)
    services.add_entry(submission, project, engineer)
    with pytest.raises(ScheduleError) as exc:
        services.add_entry(submission, project, engineer)
    assert exc.value.code == "already_listed"


def test_candidates_leave_out_listed_blocked_and_passed_projects(engineer):
    ready, late, busy = make_project(), make_project(status=ProjectStatus.IN_PROGRESS), make_project()
    listed, passed = make_project(), make_finished_inspection().project
    make_inspection(project=busy, started=False)
    submission = services.get_or_create_submission(WEEK)
    services.add_entry(submission, listed, engineer)
    complete, others = services.candidate_projects(submission)
    assert ready in complete and late in others and late not in complete
    assert not {busy, listed, passed} & set(complete + others)


def test_an_entry_is_removed_until_it_is_scheduled(engineer, office, inspector):
    submission = services.get_or_create_submission(WEEK)
    entry = services.add_entry(submission, make_project(), engineer)
    services.remove_entry(entry)
    assert submission.entries == []
    inspection = scheduled(inspector, office)
    entry = db.session.scalar(select(SubmissionEntry).where(SubmissionEntry.inspection_id == inspection.id))
    with pytest.raises(ScheduleError) as exc:
        services.remove_entry(entry)
    assert exc.value.code == "already_scheduled"


def test_submitting_an_empty_list_is_refused(engineer):
    with pytest.raises(ScheduleError) as exc:
        services.submit(services.get_or_create_submission(WEEK), engineer, now=NOW)
    assert exc.value.code == "empty"


def test_submitting_on_wednesday_is_on_time_and_tells_the_office(engineer, office):
    submission = make_submission(WEEK, submitted=False, user=engineer)
    assert services.submit(submission, engineer, now=at(date(2031, 11, 19), 23, 59)) is True
    assert submission.late is False and submission.submitted_by_id == engineer.id
    assert submission.submitted_at == datetime(2031, 11, 19, 15, 59)  # stored in UTC
    assert [n.kind for n in notified(office)] == ["schedule_submitted"]


def test_submitting_on_thursday_is_late(engineer, office):
    submission = make_submission(WEEK, submitted=False, user=engineer)
    services.submit(submission, engineer, now=at(date(2031, 11, 20), 0, 1))
    assert submission.late is True
    assert "late" in notified(office)[0].text or "迟" in notified(office)[0].text


def test_submitting_again_changes_nothing(engineer):
    submission = make_submission(WEEK, submitted=False, user=engineer)
    services.submit(submission, engineer, now=NOW)
    first = submission.submitted_at
    assert services.submit(submission, engineer, now=at(date(2031, 11, 21), 9)) is False
    assert submission.submitted_at == first and submission.late is False


def test_submitting_a_project_that_got_an_open_inspection_is_refused_with_the_reason(engineer):
    project = make_project()
    submission = make_submission(WEEK, projects=[project], submitted=False, user=engineer)
    make_inspection(project=project, started=False)  # office scheduled it by hand meanwhile
    with pytest.raises(ScheduleError) as exc:
        services.submit(submission, engineer, now=NOW)
    assert exc.value.code == "blocked" and exc.value.detail == [(project, "open_inspection")]
    assert submission.submitted_at is None


def test_entries_added_after_the_deadline_are_marked(engineer):
    submission = make_submission(WEEK, user=engineer)
    entry = submission.entries[0]
    entry.added_at = datetime(2031, 11, 19, 15, 59)   # Wednesday 23:59 local
    assert services.entry_added_late(entry) is False
    entry.added_at = datetime(2031, 11, 19, 16, 1)    # Thursday 00:01 local
    assert services.entry_added_late(entry) is True


# --- scheduling ------------------------------------------------------------------------------

def test_scheduling_creates_the_inspection_and_tells_foreman_and_pm(office, inspector):
    project = make_project()
    submission = make_submission(WEEK, projects=[project])
    entry = submission.entries[0]
    inspection = services.schedule_entry(entry, inspector, THURSDAY, NINE, office, now=NOW)
    assert (inspection.scheduled_date, inspection.scheduled_time, inspection.round) == (THURSDAY, NINE, 1)
    assert inspection.inspector_id == inspector.id and inspection.created_by_id == office.id
    assert entry.inspection_id == inspection.id
    for person in (project.foreman, project.project_manager):
        notes = notified(person)
        assert [n.kind for n in notes] == ["inspection_scheduled"]
        assert project.contract_no in notes[0].text and "09:00" in notes[0].text
    assert services.unscheduled_entries(WEEK) == []


def test_a_draft_list_cannot_be_scheduled(office, inspector):
    entry = make_submission(WEEK, submitted=False).entries[0]
    assert services.unscheduled_entries(WEEK) == []
    with pytest.raises(ScheduleError) as exc:
        services.schedule_entry(entry, inspector, THURSDAY, NINE, office, now=NOW)
    assert exc.value.code == "not_submitted"


def test_the_same_inspector_in_the_same_slot_is_refused(office, inspector):
    first = scheduled(inspector, office)
    second = make_submission(WEEK + timedelta(days=7)).entries[0]
    with pytest.raises(ScheduleError) as exc:
        services.schedule_entry(second, inspector, THURSDAY, NINE, office, now=NOW)
    assert exc.value.code == "slot_taken" and exc.value.detail.id == first.id
    assert second.inspection_id is None
    assert services.schedule_entry(second, inspector, THURSDAY, HALF_TEN, office, now=NOW).scheduled_time == HALF_TEN


def test_another_inspector_may_take_the_same_slot(office, inspector):
    scheduled(inspector, office)
    other = make_user(Role.INSPECTOR)
    assert scheduled(other, office).scheduled_time == NINE


def test_scheduling_in_the_past_is_refused(office, inspector):
    entry = make_submission(WEEK).entries[0]
    with pytest.raises(ScheduleError) as exc:
        services.schedule_entry(entry, inspector, THURSDAY, NINE, office, now=at(THURSDAY, 9, 1))
    assert exc.value.code == "date_past"


def test_scheduling_twice_is_refused(office, inspector):
    inspection = scheduled(inspector, office)
    entry = db.session.scalar(select(SubmissionEntry).where(SubmissionEntry.inspection_id == inspection.id))
    with pytest.raises(ScheduleError) as exc:
        services.schedule_entry(entry, inspector, THURSDAY, TWO, office, now=NOW)
    assert exc.value.code == "already_scheduled"


def test_only_an_active_inspector_can_be_given_the_inspection(office):
    published_template()
    entry = make_submission(WEEK).entries[0]
    for person in (make_user(Role.FOREMAN), make_user(Role.INSPECTOR, active=False)):
        with pytest.raises(ScheduleError) as exc:
            services.schedule_entry(entry, person, THURSDAY, NINE, office, now=NOW)
        assert exc.value.code == "not_inspector"


def test_a_project_inspected_meanwhile_is_refused_by_create_inspection(office, inspector):
    project = make_project()
    entry = make_submission(WEEK, projects=[project]).entries[0]
    make_inspection(project=project, started=False)
    with pytest.raises(ScheduleError) as exc:
        services.schedule_entry(entry, inspector, THURSDAY, NINE, office, now=NOW)
    assert exc.value.code == "open_inspection"


# --- rescheduling ----------------------------------------------------------------------------

def events(inspection) -> list[InspectionEvent]:
    return list(db.session.scalars(select(InspectionEvent).where(InspectionEvent.inspection_id == inspection.id,
                                                                 InspectionEvent.kind == "rescheduled")))


def test_moving_early_needs_no_reason_and_is_logged(office, inspector):
    inspection = scheduled(inspector, office)
    late = services.reschedule(inspection, THURSDAY + timedelta(days=1), TWO, "", office, now=NOW)
    assert late is False and inspection.late_change is False
    assert (inspection.scheduled_date, inspection.scheduled_time) == (date(2031, 11, 28), TWO)
    [event] = events(inspection)
    assert event.detail == "2031-11-27 09:00 → 2031-11-28 14:00" and event.user_id == office.id
    assert "inspection_rescheduled" in [n.kind for n in notified(inspection.project.foreman)]
    assert "inspection_rescheduled" in [n.kind for n in notified(inspector)]


def test_moving_exactly_24_hours_before_is_on_time(office, inspector):
    inspection = scheduled(inspector, office)
    assert services.reschedule(inspection, THURSDAY, TWO, "", office, now=at(THURSDAY, 9) - timedelta(hours=24)) is False
    assert inspection.late_change is False


def test_a_late_move_without_reason_is_refused(office, inspector):
    inspection = scheduled(inspector, office)
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(inspection, THURSDAY, TWO, "  ", office, now=at(date(2031, 11, 26), 9, 1))
    assert exc.value.code == "late_reason_required"
    assert inspection.scheduled_time == NINE and inspection.late_change is False and events(inspection) == []


def test_a_late_move_with_reason_is_flagged_for_good(office, inspector):
    inspection = scheduled(inspector, office)
    next_thursday = THURSDAY + timedelta(days=7)
    assert services.reschedule(inspection, next_thursday, NINE, "业主临时出差", office, now=at(date(2031, 11, 26), 20)) is True
    assert inspection.late_change is True
    assert events(inspection)[0].detail == "2031-11-27 09:00 → 2031-12-04 09:00 · 业主临时出差"
    assert services.reschedule(inspection, next_thursday, TWO, "", office, now=at(date(2031, 11, 26), 21)) is False
    assert inspection.late_change is True  # the flag stays for the reports
    assert len(events(inspection)) == 2


def test_a_move_into_a_taken_slot_is_refused(office, inspector):
    scheduled(inspector, office, slot=TWO)
    inspection = scheduled(inspector, office, slot=NINE)
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(inspection, THURSDAY, TWO, "", office, now=NOW)
    assert exc.value.code == "slot_taken"


def test_a_started_inspection_cannot_move(office):
    inspection = make_inspection(scheduled_date=THURSDAY)
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(inspection, THURSDAY, TWO, "x", office, now=NOW)
    assert exc.value.code == "started"


def test_moving_to_the_same_slot_or_the_past_is_refused(office, inspector):
    inspection = scheduled(inspector, office)
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(inspection, THURSDAY, NINE, "", office, now=NOW)
    assert exc.value.code == "unchanged"
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(inspection, date(2031, 11, 18), NINE, "x", office, now=NOW)
    assert exc.value.code == "date_past"


def test_a_reinspection_without_a_time_counts_from_the_start_of_its_day(office):
    from portal.rectification.services import schedule_reinspection

    _first, notice = make_failed_inspection()
    reinspection = schedule_reinspection(notice, THURSDAY, notice.inspector, office)
    assert reinspection.scheduled_time is None
    # Wednesday 01:00 is less than 24 hours before Thursday 00:00.
    with pytest.raises(ScheduleError) as exc:
        services.reschedule(reinspection, THURSDAY, TWO, "", office, now=at(date(2031, 11, 26), 1))
    assert exc.value.code == "late_reason_required"
    assert services.reschedule(reinspection, THURSDAY, TWO, "", office, now=at(date(2031, 11, 25), 23)) is False
    assert events(reinspection)[0].detail == "2031-11-27 → 2031-11-27 14:00"


# --- week views ------------------------------------------------------------------------------

def test_the_week_holds_first_rounds_and_reinspections_by_day_and_time(office, inspector):
    from portal.rectification.services import schedule_reinspection

    afternoon = scheduled(inspector, office, slot=TWO)
    morning = scheduled(inspector, office, slot=NINE)
    _failed, notice = make_failed_inspection(inspector=inspector)
    reinspection = schedule_reinspection(notice, THURSDAY, inspector, office)
    friday = scheduled(make_user(Role.INSPECTOR), office, day=THURSDAY + timedelta(days=1))
    make_inspection(scheduled_date=WEEK + timedelta(days=7), started=False)  # next week: not shown
    week = services.week_inspections(WEEK)
    assert [i.id for i in week] == [reinspection.id, morning.id, afternoon.id, friday.id]
    days = dict(services.by_day(week, WEEK))
    assert len(days) == 7 and [i.id for i in days[THURSDAY]] == [reinspection.id, morning.id, afternoon.id]
    assert [i.id for i in services.week_inspections(WEEK, inspector=inspector)] == [
        reinspection.id, morning.id, afternoon.id]


# --- calendar tokens -------------------------------------------------------------------------

def test_only_the_tokens_hash_is_stored(inspector):
    token = calendar.create_calendar_token(inspector)
    row = calendar.active_calendar_token(inspector)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert len(token) >= 40
    assert calendar.calendar_owner(token) == inspector


def test_wrong_revoked_and_replaced_tokens_find_nobody(inspector):
    old = calendar.create_calendar_token(inspector)
    new = calendar.create_calendar_token(inspector)
    assert calendar.calendar_owner(old) is None and calendar.calendar_owner(new) == inspector
    assert calendar.calendar_owner(new[:-1] + ("A" if new[-1] != "A" else "B")) is None
    assert calendar.calendar_owner("") is None and calendar.calendar_owner("x" * 500) is None
    assert calendar.revoke_calendar_tokens(inspector) == 1
    assert calendar.calendar_owner(new) is None and calendar.active_calendar_token(inspector) is None
    assert db.session.scalar(select(CalendarToken).where(CalendarToken.user_id == inspector.id)
                             .order_by(CalendarToken.id.desc())).revoked_at is not None


def test_a_deactivated_or_former_inspector_has_no_feed(inspector):
    token = calendar.create_calendar_token(inspector)
    inspector.set_roles({Role.FOREMAN})
    db.session.flush()
    assert calendar.calendar_owner(token) is None
    inspector.set_roles({Role.INSPECTOR})
    inspector.active = False
    db.session.flush()
    assert calendar.calendar_owner(token) is None


# --- two office users at the same moment (PostgreSQL, real commits) ----------------------------

@pytest.mark.real_commits
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_office_users_giving_one_inspector_the_same_slot_at_once(app):
    """Both requests pass the form; the inspector's row lock makes the second see the first's inspection."""
    from portal.checklists.services import current_template

    far_week, far_thursday = date(2032, 3, 1), date(2032, 3, 4)
    with app.app_context():
        made_template = current_template() is None
        template_id = published_template().id
        inspector, office = make_user(Role.INSPECTOR), make_user(Role.OFFICE)
        week = make_submission(far_week, projects=[make_project(), make_project()])
        ids = {"inspector": inspector.id, "office": office.id, "entries": [e.id for e in week.entries],
               "submission": week.id, "projects": [e.project_id for e in week.entries],
               "people": [inspector.id, office.id, week.submitted_by_id]
               + [p for e in week.entries for p in (e.project.foreman_id, e.project.project_manager_id)]}
        db.session.commit()
        db.session.remove()

    barrier, outcomes = threading.Barrier(2), []

    def work(entry_id):
        from portal.auth.models import User

        with app.app_context():
            try:
                entry = db.session.get(SubmissionEntry, entry_id)
                barrier.wait(timeout=10)
                services.schedule_entry(entry, db.session.get(User, ids["inspector"]), far_thursday, NINE,
                                        db.session.get(User, ids["office"]), now=NOW)
                db.session.commit()
                outcomes.append("ok")
            except ScheduleError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(entry_id,)) for entry_id in ids["entries"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        try:
            assert sorted(outcomes) == ["ok", "slot_taken"]
            count = db.session.scalar(select(func.count()).select_from(Inspection).where(
                Inspection.inspector_id == ids["inspector"], Inspection.scheduled_date == far_thursday))
            assert count == 1
        finally:
            _delete_committed(ids, template_id if made_template else None)


def _delete_committed(ids: dict, template_id: int | None) -> None:
    """Remove what the real-commit test left behind, so later tests see the usual empty database."""
    from sqlalchemy import delete

    from portal.auth.models import User, UserRole
    from portal.checklists.models import ChecklistCategory, ChecklistItem, ChecklistTemplate
    from portal.projects.models import Project
    from portal.schedule.models import WeeklySubmission

    db.session.rollback()
    db.session.execute(delete(Notification).where(Notification.user_id.in_(ids["people"])))
    db.session.execute(delete(SubmissionEntry).where(SubmissionEntry.submission_id == ids["submission"]))
    db.session.execute(delete(WeeklySubmission).where(WeeklySubmission.id == ids["submission"]))
    db.session.execute(delete(Inspection).where(Inspection.project_id.in_(ids["projects"])))
    db.session.execute(delete(Project).where(Project.id.in_(ids["projects"])))
    db.session.execute(delete(UserRole).where(UserRole.user_id.in_(ids["people"])))
    db.session.execute(delete(User).where(User.id.in_(ids["people"])))
    if template_id is not None:
        db.session.execute(delete(ChecklistItem).where(ChecklistItem.template_id == template_id))
        db.session.execute(delete(ChecklistCategory).where(ChecklistCategory.template_id == template_id))
        db.session.execute(delete(ChecklistTemplate).where(ChecklistTemplate.id == template_id))
    db.session.commit()
    db.session.remove()


@pytest.fixture(autouse=True)
def _english_interface(app, monkeypatch):
    """These tests read the English texts: the company's default language is switched to English."""
    monkeypatch.setitem(app.config, "LANGUAGE", "en")
