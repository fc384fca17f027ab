"""The warranty's quarterly return calls (003 流程28): the quarter rules as table tests, the service,
and office's page."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from portal.aftercare import return_calls
from portal.aftercare.models import ReturnCall
from portal.aftercare.notify import office_users, send_aftercare_reminders
from portal.aftercare.return_calls import Quarter, general_last_day, is_due, quarter_of
from portal.aftercare.services import AftercareError
from portal.auth.roles import Role
from portal.extensions import db
from portal.notifications.models import Notification
from portal.timeutil import local_today
from tests.aftercare.conftest import handed_over
from tests.factories import make_user


# --- rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, start, end, label", [
    (date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 31), "2026 Q1"),
    (date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31), "2026 Q1"),
    (date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30), "2026 Q2"),
    (date(2026, 8, 15), date(2026, 7, 1), date(2026, 9, 30), "2026 Q3"),
    (date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31), "2026 Q4"),
    (date(2028, 2, 29), date(2028, 1, 1), date(2028, 3, 31), "2028 Q1"),
])
def test_quarters_are_calendar_quarters(day, start, end, label):
    quarter = quarter_of(day)
    assert (quarter.start, quarter.end, quarter.label) == (start, end, label)


# A warranty from 16 Feb 2026, two years: its last day is 16 Feb 2028 (民法典 第二百零二条).
START, LAST = date(2026, 2, 16), date(2028, 2, 16)


@pytest.mark.parametrize("quarter_day, due", [
    (date(2026, 2, 20), False),  # the quarter of the handover: the acceptance had its own evaluation
    (date(2026, 4, 1), True),    # the first quarter that begins in the warranty
    (date(2027, 12, 1), True),
    (date(2028, 1, 1), True),    # begins before the last day
    (date(2028, 4, 1), False),   # begins after it
])
def test_a_project_is_called_in_each_quarter_that_begins_in_its_warranty(quarter_day, due):
    assert is_due(START, LAST, quarter_of(quarter_day)) is due


def test_a_warranty_that_starts_on_the_first_day_of_a_quarter_is_called_from_the_next_one():
    start = date(2026, 4, 1)
    last = general_last_day(start, {"general": 24})
    assert not is_due(start, last, quarter_of(start))
    assert is_due(start, last, quarter_of(date(2026, 7, 1)))
    assert not is_due(None, None, quarter_of(start))


def test_the_general_period_comes_from_the_cards_table():
    assert general_last_day(START, {"general": 24, "waterproofing": 60}) == LAST
    assert general_last_day(START, {"general": 36}) == date(2029, 2, 16)
    assert general_last_day(START, None) == LAST  # the national default


# --- service ----------------------------------------------------------------------------------------

@pytest.fixture
def in_warranty(app, storage):
    """A project handed over 200 days ago: due this quarter, whatever today is (its warranty runs two years)."""
    acceptance, _handover = handed_over(app, storage, render=lambda _a, _url: b"%PDF-1.7 card",
                                        accepted_on=local_today() - timedelta(days=200))
    return acceptance.project


def this_quarter() -> Quarter:
    return quarter_of(local_today())


def test_a_call_that_does_not_reach_the_owner_leaves_him_on_the_list(in_warranty):
    office = make_user(Role.OFFICE)
    return_calls.record_call(in_warranty, office, this_quarter(), reached=False, satisfied=None, note="关机")
    [row] = return_calls.calls_for_quarter(this_quarter())
    assert row.project == in_warranty and row.done is None and row.attempts == 1

    call = return_calls.record_call(in_warranty, office, this_quarter(), reached=True, satisfied=True,
                                    note="一切正常，卫生间无渗漏。")
    [row] = return_calls.calls_for_quarter(this_quarter())
    assert row.done == call and row.attempts == 1 and [c.reached for c in row.calls] == [False, True]


def test_once_the_owner_was_reached_the_quarter_is_done(in_warranty):
    office = make_user(Role.OFFICE)
    return_calls.record_call(in_warranty, office, this_quarter(), reached=True, satisfied=False, note="门吸松了")
    with pytest.raises(AftercareError) as refused:
        return_calls.record_call(in_warranty, make_user(Role.OFFICE), this_quarter(), reached=True, satisfied=True,
                                 note="又打了一次")
    assert refused.value.code == "call_done"
    assert db.session.query(ReturnCall).count() == 1


@pytest.mark.parametrize("reached, note, code", [(True, "  ", "call_note_required"),
                                                 (False, "长" * 1001, "call_note_too_long")])
def test_bad_calls_are_refused_and_nothing_is_kept(in_warranty, reached, note, code):
    with pytest.raises(AftercareError) as refused:
        return_calls.record_call(in_warranty, make_user(Role.OFFICE), this_quarter(), reached=reached,
                                 satisfied=None, note=note)
    assert refused.value.code == code and db.session.query(ReturnCall).count() == 0


def test_a_project_handed_over_this_quarter_is_not_due(app, storage):
    acceptance, _handover = handed_over(app, storage, render=lambda _a, _url: b"%PDF-1.7 card")
    assert return_calls.calls_for_quarter(this_quarter()) == []
    with pytest.raises(AftercareError) as refused:
        return_calls.record_call(acceptance.project, make_user(Role.OFFICE), this_quarter(), reached=False,
                                 satisfied=None, note="")
    assert refused.value.code == "call_not_due"


def test_the_list_takes_two_queries_whatever_the_number_of_projects(app, storage):
    for days in (200, 300, 400):
        handed_over(app, storage, render=lambda _a, _url: b"%PDF-1.7 card",
                    accepted_on=local_today() - timedelta(days=days))
    db.session.flush()
    statements = []
    engine = db.session.get_bind()
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        rows = return_calls.calls_for_quarter(this_quarter())
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(rows) == 3 and len(statements) == 2


# --- page -------------------------------------------------------------------------------------------

def field_names(project_id: int) -> tuple[str, str]:
    return f"call-{project_id}-result", f"call-{project_id}-note"


def test_office_sees_the_owners_to_call_and_records_a_call(client, login_as, in_warranty):
    login_as(Role.OFFICE)
    html = client.get("/return-calls/").text
    assert in_warranty.contract_no in html and f'href="tel:{in_warranty.owner_phone}"' in html
    assert "已回访 0 / 1 位业主" in html
    result, note = field_names(in_warranty.id)
    assert f'name="{result}"' in html

    # Sent as the browser sends the form: the token in the row's own (prefixed) field, no header.
    token = client.csrf_token()
    response = client.post(f"/return-calls/{in_warranty.id}",
                           data={f"call-{in_warranty.id}-csrf_token": token, result: "not_reached", note: ""},
                           csrf=False)
    assert response.status_code == 302
    html = client.get("/return-calls/").text
    assert "已拨打 1 次未接通" in html and "已回访 0 / 1 位业主" in html

    response = client.post(f"/return-calls/{in_warranty.id}", data={result: "satisfied", note: "很满意"})
    assert response.status_code == 302
    html = client.get("/return-calls/").text
    assert "很满意" in html and f'name="{result}"' not in html  # done: no form on the row
    assert "已回访 1 / 1 位业主" in html


def test_a_reached_owner_without_his_words_is_a_422_on_the_row(client, login_as, in_warranty):
    login_as(Role.OFFICE)
    result, note = field_names(in_warranty.id)
    response = client.post(f"/return-calls/{in_warranty.id}", data={result: "satisfied", note: ""})
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert "<details class=\"call-form\" open>" in response.text
    assert db.session.query(ReturnCall).count() == 0


def test_a_result_that_is_not_offered_is_a_422(client, login_as, in_warranty):
    login_as(Role.OFFICE)
    result, note = field_names(in_warranty.id)
    response = client.post(f"/return-calls/{in_warranty.id}", data={result: "maybe", note: "x"})
    assert response.status_code == 422 and db.session.query(ReturnCall).count() == 0


def test_a_second_desk_calling_the_same_owner_gets_a_409(client, login_as, in_warranty):
    return_calls.record_call(in_warranty, make_user(Role.OFFICE), this_quarter(), reached=True, satisfied=True,
                             note="已回访")
    db.session.commit()
    login_as(Role.OFFICE)
    result, note = field_names(in_warranty.id)
    response = client.post(f"/return-calls/{in_warranty.id}", data={result: "satisfied", note: "我也打了"})
    assert response.status_code == 409 and db.session.query(ReturnCall).count() == 1


def test_a_project_not_due_is_a_409_with_the_reason(client, login_as, app, storage):
    acceptance, _handover = handed_over(app, storage, render=lambda _a, _url: b"%PDF-1.7 card")
    db.session.commit()
    login_as(Role.OFFICE)
    result, note = field_names(acceptance.project_id)
    response = client.post(f"/return-calls/{acceptance.project_id}", data={result: "not_reached", note: ""})
    assert response.status_code == 409 and "本季度该项目无需回访" in response.text


def test_the_repairs_page_links_to_the_calls(client, login_as):
    login_as(Role.OFFICE)
    assert 'href="/return-calls/"' in client.get("/repairs/").text


# --- reminder -----------------------------------------------------------------------------------------

def test_office_is_told_once_in_the_quarters_last_month_who_is_not_reached(in_warranty):
    office = make_user(Role.OFFICE)
    quarter = this_quarter()
    first_month = datetime.combine(quarter.start, time(12)) - timedelta(hours=8)  # noon in Beijing, as UTC
    last_month = datetime.combine(quarter.end, time(12)) - timedelta(hours=8)
    assert send_aftercare_reminders(first_month) == 0  # two months left to call
    offices = office_users()
    assert send_aftercare_reminders(last_month) == len(offices)  # one message to each office user
    told = db.session.query(Notification).filter_by(kind="return_calls_due").all()
    assert {n.user_id for n in told} == {user.id for user in offices} and office.id in {n.user_id for n in told}
    assert all(n.link == "/return-calls/" and quarter.label in n.text and n.text.startswith("1 ") for n in told)
    assert send_aftercare_reminders(last_month) == 0  # once a quarter


def test_no_reminder_once_every_owner_is_reached(in_warranty):
    make_user(Role.OFFICE)
    return_calls.record_call(in_warranty, make_user(Role.OFFICE), this_quarter(), reached=True, satisfied=True,
                             note="满意")
    last_month = datetime.combine(this_quarter().end, time(12)) - timedelta(hours=8)
    assert send_aftercare_reminders(last_month) == 0


def test_the_list_comes_in_pages_and_a_refusal_shows_on_the_page_of_its_row(client, login_as, app, storage,
                                                                             monkeypatch):
    from portal.aftercare import call_views
    monkeypatch.setattr(call_views, "PER_PAGE", 1)
    first, second = (handed_over(app, storage, render=lambda _a, _url: b"%PDF-1.7 card",
                                 accepted_on=local_today() - timedelta(days=days))[0].project for days in (300, 200))
    db.session.commit()
    login_as(Role.OFFICE)
    one, two = client.get("/return-calls/").text, client.get("/return-calls/?page=2").text
    assert first.contract_no in one and second.contract_no not in one and "第 1 页，共 2 页" in one
    assert 'href="/return-calls/?page=2"' in one
    assert second.contract_no in two and first.contract_no not in two
    assert "已回访 0 / 2 位业主" in one and "已回访 0 / 2 位业主" in two
    assert client.get("/return-calls/?page=99").status_code == 200  # past the end: the last page
    assert client.get("/return-calls/?page=x").status_code == 400

    result, note = field_names(second.id)
    refused = client.post(f"/return-calls/{second.id}", data={result: "satisfied", note: ""})
    assert refused.status_code == 422 and second.contract_no in refused.text and first.contract_no not in refused.text
