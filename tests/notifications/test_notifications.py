"""Notifications about notices: who is told what, the count in the navigation, deadline
reminders that never repeat, the e-mail copy, marking read."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.notifications.models import Notification
from portal.notifications.services import notify, unread_count
from portal.rectification import notify as notice_notify
from portal.rectification.models import NoticeStatus
from portal.rectification.services import mark_rectified, request_reinspection, schedule_reinspection
from portal.timeutil import local_today
from tests.factories import make_failed_inspection, make_project, make_user



@pytest.fixture(autouse=True)
def english(client):
    """Messages in English, so tests can read them (the default language is Chinese)."""
    with client.session_transaction() as sess:
        sess["lang"] = "en"


@pytest.fixture
def outbox(app):
    """The in-memory mail outbox for this test."""
    app.extensions["mail_outbox"] = []
    yield app.extensions["mail_outbox"]
    del app.extensions["mail_outbox"]


def received(user, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def nav_count(page: str) -> int:
    match = re.search(r'<span class="badge badge-warn nav-count"[^>]*>(\d+)</span>', page)
    return int(match.group(1)) if match else 0


def open_notice(**kwargs):
    inspection, notice = make_failed_inspection(**kwargs)
    assert notice.status == NoticeStatus.OPEN.value, f"new notice is {notice.status!r}"
    return inspection, notice


def due_notice(days: int):
    """An open notice whose deadline is ``days`` from today (set directly: deadlines in the past cannot be issued)."""
    _inspection, notice = open_notice()
    notice.deadline = local_today() + timedelta(days=days)
    db.session.flush()
    return notice


# --- a new notice -------------------------------------------------------------------------------

def test_a_new_notice_notifies_foreman_and_pm(client, login_as):
    foreman = make_user(Role.FOREMAN)
    foreman.locale = "en"  # texts are rendered in each recipient's language; the PM has the default (Chinese)
    inspection, notice = make_failed_inspection(fail=("插座左零右火上接地", "木材含水率"),
                                                project=make_project(foreman=foreman))
    project = notice.project
    for person in (project.foreman, project.project_manager):
        (note,) = received(person)
        assert note.kind == "notice_created" and note.link == f"/notices/{notice.id}" and note.read_at is None
        assert notice.number in note.text and project.contract_no in note.text
        assert notice.deadline.isoformat() in note.text
    assert "2 items" in received(foreman)[0].text
    assert received(inspection.inspector) == []


@pytest.mark.parametrize("who", ["foreman", "project_manager"])
def test_the_count_shows_in_the_nav_on_the_next_page(client, login_as, who):
    _inspection, notice = make_failed_inspection()
    user = getattr(notice.project, who)
    login_as(user)
    page = client.get("/projects/").text
    assert nav_count(page) == 1
    assert "Notifications (1)" in page


def test_no_count_without_unread_notifications(client, login_as):
    login_as(Role.FOREMAN)
    page = client.get("/projects/").text
    assert nav_count(page) == 0 and "Notifications (" not in page


def test_mark_read_clears_the_count_for_this_user_only(client, login_as):
    _inspection, notice = make_failed_inspection()
    foreman, pm = notice.project.foreman, notice.project.project_manager
    login_as(foreman)
    listing = client.get("/notifications/").text
    assert notice.number in listing and "New" in listing and f'href="/notices/{notice.id}"' in listing
    response = client.post("/notifications/read")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications/")
    assert nav_count(client.get("/projects/").text) == 0
    db.session.expire_all()
    assert unread_count(foreman) == 0 and all(n.read_at is not None for n in received(foreman))
    assert unread_count(pm) == 1


def test_notifications_list_is_newest_first_and_only_mine(client, login_as):
    user = make_user(Role.FOREMAN)
    other = make_user(Role.FOREMAN)
    notify([user], "test", lambda: "第一条")
    notify([user], "test", lambda: "第二条")
    notify([other], "test", lambda: "别人的")
    login_as(user)
    page = client.get("/notifications/").text
    assert page.index("第二条") < page.index("第一条") and "别人的" not in page


def test_notify_skips_inactive_and_missing_users_and_doubles():
    active, inactive = make_user(Role.OFFICE), make_user(Role.OFFICE, active=False)
    created = notify([active, inactive, None, active], "test", lambda: "hello")
    assert [n.user_id for n in created] == [active.id]


def test_notify_renders_in_each_users_language():
    english_user, chinese_user = make_user(Role.FOREMAN), make_user(Role.FOREMAN)
    english_user.locale, chinese_user.locale = "en", "zh_CN"
    from flask_babel import get_locale

    notify([english_user, chinese_user], "test", lambda: str(get_locale()))
    assert (received(english_user)[0].text, received(chinese_user)[0].text) == ("en", "zh_Hans_CN")


def test_a_chinese_foreman_is_told_in_chinese(client, login_as):
    _inspection, notice = make_failed_inspection()
    foreman = notice.project.foreman
    foreman.locale = "zh_CN"
    (note,) = received(foreman)
    assert "New rectification notice" not in note.text
    login_as(foreman)
    with client.session_transaction() as sess:
        sess["lang"] = "zh_CN"
    page = client.get(f"/notices/{notice.id}").text
    assert "Required fix" not in page and "Print (PDF)" not in page


# --- reinspection requested and scheduled --------------------------------------------------------

def test_reinspection_requested_notifies_office(client, login_as):
    office, retired_office = make_user(Role.OFFICE), make_user(Role.OFFICE, active=False)
    _inspection, notice = open_notice()
    mark_rectified(notice.items[0], notice.project.foreman, "")
    request_reinspection(notice, notice.project.foreman)
    (note,) = received(office, "reinspection_requested")
    assert notice.number in note.text and notice.project.contract_no in note.text
    assert note.link == f"/notices/{notice.id}"
    assert received(retired_office) == []
    assert received(notice.project.foreman, "reinspection_requested") == []
    login_as(office)
    assert nav_count(client.get("/projects/").text) == unread_count(office) >= 1


def test_reinspection_requested_goes_to_every_active_office_user():
    office = [make_user(Role.OFFICE), make_user(Role.OFFICE)]
    retired = make_user(Role.OFFICE, active=False)
    _inspection, notice = make_failed_inspection()
    notice_notify.reinspection_requested(notice)
    assert all(len(received(user, "reinspection_requested")) == 1 for user in office)
    assert received(retired) == [] and received(notice.project.foreman, "reinspection_requested") == []


def test_reinspection_scheduled_notifies_foreman_and_inspector():
    _inspection, notice = open_notice()
    inspector = make_user(Role.INSPECTOR)
    notice.project.foreman.locale = inspector.locale = "en"
    day = local_today() + timedelta(days=2)
    schedule_reinspection(notice, day, inspector, make_user(Role.OFFICE))
    for person in (notice.project.foreman, inspector):
        (note,) = received(person, "reinspection_scheduled")
        assert "round 2" in note.text and day.isoformat() in note.text and notice.project.contract_no in note.text


def test_reinspection_scheduled_goes_to_foreman_and_inspector_only():
    _inspection, notice = make_failed_inspection()
    inspector = make_user(Role.INSPECTOR)
    reinspection = Inspection(project_id=notice.project_id, template_id=1, round=2, inspector_id=inspector.id,
                              scheduled_date=local_today(), created_by_id=inspector.id)
    notice_notify.reinspection_scheduled(notice, reinspection)
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "reinspection_scheduled")).all()
    assert sorted(told) == sorted([notice.project.foreman_id, inspector.id])


# --- deadline reminders -------------------------------------------------------------------------

def test_reminders_tomorrow_and_overdue_once_each():
    office = make_user(Role.OFFICE)
    tomorrow, overdue, later, today = due_notice(1), due_notice(-2), due_notice(3), due_notice(0)
    sent = notice_notify.send_deadline_reminders(today=local_today())
    assert sent >= 6  # foreman, PM and office (at least one) for each of the two
    for notice, kind in ((tomorrow, "deadline_tomorrow"), (overdue, "overdue")):
        for person in (notice.project.foreman, notice.project.project_manager, office):
            notes = [n for n in received(person, kind) if notice.number in n.text]
            assert len(notes) == 1, (person.id, kind)
            assert notes[0].link == f"/notices/{notice.id}"
    assert overdue.deadline.isoformat() in received(overdue.project.foreman, "overdue")[0].text
    for notice in (later, today):
        assert received(notice.project.foreman, "deadline_tomorrow") == received(notice.project.foreman, "overdue") == []
    assert notice_notify.send_deadline_reminders(today=local_today()) == 0  # a second run repeats nothing
    assert len(received(office, "overdue")) == len(received(office, "deadline_tomorrow")) == 1


def test_a_notice_overdue_on_later_days_is_reminded_once():
    notice = due_notice(-1)
    first = notice_notify.send_deadline_reminders(today=local_today())
    assert first >= 2
    assert notice_notify.send_deadline_reminders(today=local_today() + timedelta(days=1)) == 0
    assert len(received(notice.project.foreman, "overdue")) == 1


def test_tomorrow_then_overdue_are_two_different_reminders():
    notice = due_notice(1)
    notice_notify.send_deadline_reminders(today=local_today())
    notice_notify.send_deadline_reminders(today=local_today() + timedelta(days=2))
    kinds = [n.kind for n in received(notice.project.foreman)]
    assert kinds == ["notice_created", "deadline_tomorrow", "overdue"]


@pytest.mark.parametrize("status", [NoticeStatus.REQUESTED, NoticeStatus.SCHEDULED, NoticeStatus.CLOSED,
                                    NoticeStatus.SUPERSEDED])
def test_no_reminders_once_the_rework_is_reported_or_the_notice_is_done(status):
    notice = due_notice(-3)
    notice.status = status.value
    notice_notify.send_deadline_reminders(today=local_today())
    assert [n.kind for n in received(notice.project.foreman)] == ["notice_created"]


def test_reminders_for_a_notice_issued_a_week_ago():
    _inspection, notice = open_notice()
    deadline = notice.deadline
    assert notice_notify.send_deadline_reminders(today=deadline - timedelta(days=1)) >= 2
    assert notice_notify.send_deadline_reminders(today=deadline + timedelta(days=1)) >= 2
    assert [n.kind for n in received(notice.project.foreman)] == ["notice_created", "deadline_tomorrow", "overdue"]


def test_send_reminders_command(app):
    notice = due_notice(1)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0, first.output
    count = int(re.match(r"(\d+) reminders sent", first.output).group(1))
    assert count >= 2
    assert runner.invoke(args=["send-reminders"]).output.strip() == "0 reminders sent"
    db.session.expire_all()
    assert len(received(notice.project.foreman, "deadline_tomorrow")) == 1


# --- e-mail -------------------------------------------------------------------------------------

def test_users_with_an_email_get_the_same_text(outbox):
    foreman, pm = make_user(Role.FOREMAN), make_user(Role.PROJECT_MANAGER)
    foreman.email = "gongzhang@example.com"
    project = make_project(foreman=foreman, project_manager=pm)  # the PM has no address
    _inspection, notice = make_failed_inspection(project=project)
    (note,) = received(foreman)
    assert [m["To"] for m in outbox] == ["gongzhang@example.com"]
    message = outbox[0]
    assert message["Subject"] == note.text[:80]
    body = message.get_content()
    assert note.text in body and f"https://portal.test/notices/{notice.id}" in body
    assert note.emailed_at is not None and received(pm)[0].emailed_at is None


def test_reminder_emails_are_not_repeated(outbox):
    notice = due_notice(-1)
    notice.project.foreman.email = "gongzhang@example.com"
    db.session.flush()
    notice_notify.send_deadline_reminders(today=local_today())
    notice_notify.send_deadline_reminders(today=local_today())
    (note,) = received(notice.project.foreman, "overdue")
    overdue_mails = [m for m in outbox if m["To"] == "gongzhang@example.com" and m["Subject"] == note.text[:80]]
    assert len(overdue_mails) == 1 and overdue_mails[0].get_content().startswith(note.text)


def test_no_email_without_outbox_or_smtp(app, monkeypatch):
    monkeypatch.delitem(app.extensions, "mail_outbox", raising=False)
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    user = make_user(Role.FOREMAN)
    user.email = "someone@example.com"
    (note,) = notify([user], "test", lambda: "hello")
    assert note.emailed_at is None


def test_dedupe_key_is_per_user():
    a, b = make_user(Role.OFFICE), make_user(Role.OFFICE)
    assert len(notify([a], "test", lambda: "x", dedupe="k:1")) == 1
    assert len(notify([a, b], "test", lambda: "x", dedupe="k:1")) == 1  # only b is new
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.dedupe_key.like("k:1:%"))) == 2
