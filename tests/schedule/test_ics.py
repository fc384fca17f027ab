"""The inspectors' calendar feed, checked by parsing it back with the ``icalendar`` package."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import icalendar
import pytest

from portal.auth.roles import Role
from portal.extensions import db
from portal.schedule import calendar, ics, services
from portal.timeutil import COMPANY_TZ
from tests.factories import make_failed_inspection, make_project, make_submission, make_user, published_template

WEEK = date(2031, 11, 24)
THURSDAY = date(2031, 11, 27)
NOW = datetime(2031, 11, 19, 10, 0, tzinfo=COMPANY_TZ)
STAMP = datetime(2031, 11, 19, 2, 0, tzinfo=timezone.utc)


def parse(text: str) -> list:
    """The VEVENTs of a feed (the whole text must parse)."""
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    return list(calendar.walk("VEVENT"))


# --- the writer on its own --------------------------------------------------------------------

def test_text_values_are_escaped_and_read_back():
    tricky = "西安市雁塔区, 测试路1号; 3单元\\101室\n二楼"
    event = ics.CalendarEvent(uid="a@portal.test", start=datetime(2031, 11, 27, 9, tzinfo=COMPANY_TZ),
                              end=datetime(2031, 11, 27, 10, 30, tzinfo=COMPANY_TZ), summary="预验收",
                              location=tricky, description="工长: 张三\n项目经理: 李四")
    [parsed] = parse(ics.render_calendar([event], name="日程", stamp=STAMP))
    assert str(parsed["LOCATION"]) == tricky
    assert str(parsed["DESCRIPTION"]) == "工长: 张三\n项目经理: 李四"
    assert parsed.decoded("DTSTART") == datetime(2031, 11, 27, 1, 0, tzinfo=timezone.utc)


def test_long_lines_are_folded_at_75_octets_without_splitting_characters():
    text = ics.render_calendar([ics.CalendarEvent(
        uid="b@portal.test", start=date(2031, 11, 27), end=date(2031, 11, 28), summary="预验收" * 60,
        location="测试路" * 40)], name="x", stamp=STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    [parsed] = parse(text)
    assert str(parsed["SUMMARY"]) == "预验收" * 60
    assert parsed.decoded("DTSTART") == date(2031, 11, 27) and parsed.decoded("DTEND") == date(2031, 11, 28)


def test_control_characters_are_dropped():
    assert ics.escape_text("a\x00b\x07c\td") == "abc\td"


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        ics.utc_text(datetime(2031, 11, 27, 9, 0))


# --- an inspector's feed ------------------------------------------------------------------------

@pytest.fixture
def feed_data():
    """An inspector with a first round on Thursday 09:00 and an untimed reinspection; another inspector's one."""
    from portal.rectification.services import schedule_reinspection

    published_template()
    inspector, office = make_user(Role.INSPECTOR, display_name="检查员王"), make_user(Role.OFFICE)
    project = make_project(foreman=make_user(Role.FOREMAN, display_name="工长张三"),
                           project_manager=make_user(Role.PROJECT_MANAGER, display_name="项目经理李四"),
                           address="西安市雁塔区测试路8号, 3-101")
    entry = make_submission(WEEK, projects=[project]).entries[0]
    first = services.schedule_entry(entry, inspector, THURSDAY, time(9, 0), office, now=NOW)
    _failed, notice = make_failed_inspection(inspector=inspector)
    reinspection = schedule_reinspection(notice, THURSDAY + timedelta(days=1), inspector, office)
    other_entry = make_submission(WEEK + timedelta(days=7)).entries[0]
    services.schedule_entry(other_entry, make_user(Role.INSPECTOR), THURSDAY, time(9, 0), office, now=NOW)
    return inspector, first, reinspection


def by_uid(events) -> dict:
    return {str(e["UID"]): e for e in events}


def test_one_event_per_inspection_of_the_inspector_incl_reinspections(feed_data):
    inspector, first, reinspection = feed_data
    events = by_uid(parse(calendar.calendar_text(inspector, date(2031, 11, 19), stamp=STAMP)))
    assert set(events) == {f"inspection-{first.id}@portal.test", f"inspection-{reinspection.id}@portal.test"}


def test_the_timed_event_has_start_end_summary_location_and_people(feed_data):
    inspector, first, _reinspection = feed_data
    event = by_uid(parse(calendar.calendar_text(inspector, date(2031, 11, 19), stamp=STAMP)))[
        f"inspection-{first.id}@portal.test"]
    assert event.decoded("DTSTART") == datetime(2031, 11, 27, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
    assert event.decoded("DTEND") == datetime(2031, 11, 27, 2, 30, tzinfo=timezone.utc)
    assert first.project.contract_no in str(event["SUMMARY"]) and "1" in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "西安市雁塔区测试路8号, 3-101"
    assert "工长张三" in str(event["DESCRIPTION"]) and "项目经理李四" in str(event["DESCRIPTION"])
    assert str(event["URL"]).endswith(f"/inspections/{first.id}")


def test_the_reinspection_without_a_time_is_an_all_day_event_with_its_round(feed_data):
    inspector, _first, reinspection = feed_data
    event = by_uid(parse(calendar.calendar_text(inspector, date(2031, 11, 19), stamp=STAMP)))[
        f"inspection-{reinspection.id}@portal.test"]
    assert event.decoded("DTSTART") == date(2031, 11, 28) and event.decoded("DTEND") == date(2031, 11, 29)
    summary = str(event["SUMMARY"])
    assert reinspection.project.contract_no in summary and "2" in summary


def test_uids_are_stable_and_a_move_raises_the_sequence(feed_data):
    inspector, first, _reinspection = feed_data
    uid = f"inspection-{first.id}@portal.test"
    before = by_uid(parse(calendar.calendar_text(inspector, date(2031, 11, 19), stamp=STAMP)))[uid]
    services.reschedule(first, THURSDAY, time(14, 0), "业主改期", make_user(Role.OFFICE),
                        now=datetime(2031, 11, 26, 20, 0, tzinfo=COMPANY_TZ))
    after = by_uid(parse(calendar.calendar_text(inspector, date(2031, 11, 19), stamp=STAMP)))[uid]
    assert int(before["SEQUENCE"]) == 0 and int(after["SEQUENCE"]) == 1
    assert after.decoded("DTSTART") == datetime(2031, 11, 27, 6, 0, tzinfo=timezone.utc)


# --- the public URL -----------------------------------------------------------------------------

def test_the_feed_url_works_without_login_and_is_text_calendar(client, feed_data):
    inspector, first, _reinspection = feed_data
    token = calendar.create_calendar_token(inspector)
    db.session.commit()
    response = client.get(f"/schedule/ics/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar" and response.mimetype_params.get("charset") == "utf-8"
    assert "Set-Cookie" not in response.headers
    uids = {str(e["UID"]) for e in parse(response.get_data(as_text=True))}
    assert f"inspection-{first.id}@portal.test" in uids


def test_a_wrong_or_revoked_token_is_404(client, feed_data):
    inspector = feed_data[0]
    token = calendar.create_calendar_token(inspector)
    db.session.commit()
    assert client.get("/schedule/ics/wrong-token.ics").status_code == 404
    assert client.get(f"/schedule/ics/{token[:-2]}.ics").status_code == 404
    calendar.revoke_calendar_tokens(inspector)
    db.session.commit()
    assert client.get(f"/schedule/ics/{token}.ics").status_code == 404


def test_the_feed_is_rate_limited(client):
    statuses = [client.get("/schedule/ics/nobody.ics").status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
