"""Rectification services: the notice a failed inspection issues, escalation penalties, the
foreman's rework, reinspection rounds (carried items, decisions), withdrawal on reopening."""
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Answer, Inspection, InspectionStatus
from portal.inspections.services import (
    InspectionError, answers_version, finish, load_answers, reopen, reopen_carried, save_answer,
)
from portal.notifications.models import Notification
from portal.penalties.models import Penalty
from portal.photos.services import PhotoTarget, store_photo
from portal.rectification import messages
from portal.rectification.escalation import add_months
from portal.rectification.models import ItemState, NoticeStatus, RectificationNotice
from portal.rectification.services import (
    NoticeError, NoticeInput, default_notice_input, foreman_replaced, is_overdue, items_left, mark_rectified,
    my_open_notices, request_reinspection, schedule_reinspection, validate_notice_input,
)
from portal.storage import get_storage
from portal.timeutil import local_today
from tests.factories import (
    answer_items, finish_answered, make_equipment, make_failed_inspection, make_image_bytes, make_inspection,
    make_photo, make_template, make_user, notice_for, run_reinspection, set_default_fixes,
)

SOCKET, BREAKER, HEIGHT, MOISTURE, JOINT = "插座左零右火上接地", "漏电保护器动作正常", "同一房间插座高度一致", "木材含水率", "接缝严密"


def open_notice(**kwargs):
    """A failed round-1 inspection and its notice, which must be open."""
    inspection, notice = make_failed_inspection(**kwargs)
    assert notice is not None
    assert notice.status == NoticeStatus.OPEN.value, f"new notice is {notice.status!r}"
    return inspection, notice


def penalties_of(inspection) -> list[tuple]:
    rows = db.session.scalars(select(Penalty).where(Penalty.inspection_id == inspection.id).order_by(Penalty.id))
    return [(p.person_id, p.role, p.kind, p.reason, p.amount, p.order_stop_until) for p in rows]


def after_photo(item, uploader) -> None:
    """An "after" photo of a notice item, stored as the upload route does."""
    store_photo(PhotoTarget(project=item.notice.project, notice_item_id=item.id, location=item.item_text[:100]),
                str(uuid.uuid4()), make_image_bytes(), uploader, get_storage())


def rectify_all(notice) -> None:
    for item in notice.items:
        mark_rectified(item, notice.project.foreman, "已整改")


# --- the notice a failed inspection issues ----------------------------------------------------

def test_failed_finish_issues_a_notice_with_every_failed_item():
    template = make_template()
    set_default_fixes(template, {SOCKET: "按左零右火上接地重新接线", MOISTURE: "更换含水率合格的木材"})
    inspection, notice = make_failed_inspection(template=template, fail=(SOCKET, MOISTURE))
    today = local_today()
    assert re.fullmatch(rf"ZG-{today:%Y%m%d}-\d{{3}}", notice.number)
    assert (notice.project_id, notice.inspection_id, notice.round, notice.inspector_id) == (
        inspection.project_id, inspection.id, 1, inspection.inspector_id)
    assert [(i.position, i.category_title, i.item_text, i.measured_value, i.limit_text, i.finding, i.required_fix,
             i.state) for i in notice.items] == [
        (1, "分项electrical", SOCKET, None, "", "需整改", "按左零右火上接地重新接线", "open"),
        (2, "分项carpentry", MOISTURE, Decimal("15"), "≤ 12 %", "需整改", "更换含水率合格的木材", "open"),
    ]


def test_default_deadline_is_rectification_days_and_reinspection_the_day_after():
    _inspection, notice = make_failed_inspection()
    assert notice.deadline == local_today() + timedelta(days=7)
    assert notice.reinspection_date == local_today() + timedelta(days=8)


def test_rectification_days_come_from_the_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "RECTIFICATION_DAYS", 3)
    _inspection, notice = make_failed_inspection()
    assert notice.deadline == local_today() + timedelta(days=3)


def test_default_notice_input_takes_each_items_default_fix():
    template = make_template()
    set_default_fixes(template)
    items = [item for category in template.categories for item in category.items][:2]
    data = default_notice_input(items, today=date(2026, 12, 28))
    assert (data.deadline, data.reinspection_date) == (date(2027, 1, 4), date(2027, 1, 5))
    assert data.fixes == {items[0].id: f"按规范整改：{SOCKET}", items[1].id: f"按规范整改：{BREAKER}"}


def test_the_inspectors_own_fix_and_dates_are_used():
    template = make_template()
    set_default_fixes(template)
    socket_item = template.categories[0].items[0]
    deadline = local_today() + timedelta(days=2)
    _inspection, notice = make_failed_inspection(template=template, notice_input=NoticeInput(
        deadline, deadline + timedelta(days=3), {socket_item.id: "  重新接线并复测  "}))
    assert (notice.deadline, notice.reinspection_date) == (deadline, deadline + timedelta(days=3))
    assert [i.required_fix for i in notice.items] == ["重新接线并复测"]


def test_numbers_of_one_day_are_consecutive_and_unique():
    numbers = [make_failed_inspection()[1].number for _ in range(3)]
    series = {n.rsplit("-", 1)[0] for n in numbers}
    assert series == {f"ZG-{local_today():%Y%m%d}"}
    first = int(numbers[0].rsplit("-", 1)[1])
    assert numbers == [f"ZG-{local_today():%Y%m%d}-{n:03d}" for n in range(first, first + 3)]


def test_a_new_notice_is_open():
    _inspection, notice = make_failed_inspection()
    db.session.expire_all()
    assert db.session.get(RectificationNotice, notice.id).status == NoticeStatus.OPEN.value


def test_a_passing_inspection_issues_no_notice_and_no_penalty():
    inspection = make_inspection()
    answer_items(inspection)
    assert finish_answered(inspection) is None
    assert inspection.passed is True
    assert db.session.scalar(select(func.count()).select_from(RectificationNotice)
                             .where(RectificationNotice.project_id == inspection.project_id)) == 0
    assert penalties_of(inspection) == []


def test_finishing_twice_issues_one_notice():
    inspection, notice = make_failed_inspection()
    finish(inspection, inspection.inspector, answers_version(inspection))
    assert db.session.scalars(select(RectificationNotice.id)
                              .where(RectificationNotice.inspection_id == inspection.id)).all() == [notice.id]


# --- notice input checked at finishing ----------------------------------------------------------

def notice_input(deadline_days=7, reinspection_days=8, fixes=None) -> NoticeInput:
    today = local_today()
    return NoticeInput(today + timedelta(days=deadline_days), today + timedelta(days=reinspection_days), fixes or {})


@pytest.mark.parametrize("data, fields", [
    (notice_input(-1, 3), {"deadline"}),
    (notice_input(5, 4), {"reinspection_date"}),
    (notice_input(-2, -3), {"deadline", "reinspection_date"}),
    (notice_input(fixes={1: "   "}), {"fixes"}),
    (notice_input(fixes={1: ""}), {"fixes"}),
], ids=["deadline-past", "reinspection-before-deadline", "both-past", "blank-fix", "empty-fix"])
def test_validate_notice_input_refuses(data, fields):
    assert set(validate_notice_input(data)) == fields


@pytest.mark.parametrize("data", [notice_input(0, 0), notice_input(7, 7), notice_input(7, 8, {1: "重新接线"})],
                         ids=["today-today", "same-day", "with-fix"])
def test_validate_notice_input_accepts(data):
    assert validate_notice_input(data) == {}


def test_validate_uses_the_given_today():
    data = NoticeInput(date(2026, 3, 1), date(2026, 3, 2))
    assert validate_notice_input(data, today=date(2026, 3, 1)) == {}
    assert set(validate_notice_input(data, today=date(2026, 3, 2))) == {"deadline"}


def test_a_deadline_in_the_past_refuses_to_finish_and_nothing_is_issued():
    template = make_template()
    set_default_fixes(template)
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET,))
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, answers_version(inspection), notice_input(-1, 1))
    assert info.value.code == "notice_invalid" and set(info.value.detail) == {"deadline"}
    assert inspection.status == InspectionStatus.IN_PROGRESS.value
    assert notice_for(inspection) is None and penalties_of(inspection) == []


def test_notice_input_is_not_checked_for_a_passing_inspection():
    inspection = make_inspection()
    answer_items(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection), notice_input(-5, -5))
    assert inspection.passed is True and notice_for(inspection) is None


# --- escalation ---------------------------------------------------------------------------------

def failed_rounds(count: int):
    """Rounds 1..count of one project, each failing the socket item: [(inspection, notice), ...]."""
    rounds = [make_failed_inspection(fail=(SOCKET,))]
    for _ in range(count - 1):
        notice = rounds[-1][1]
        assert notice.status == NoticeStatus.OPEN.value, f"round {notice.round} notice is {notice.status!r}"
        rounds.append(run_reinspection(notice, fail=(SOCKET,)))
    return rounds


@pytest.mark.parametrize("round_no, expected", [
    (1, [("foreman", "general_fault")]),
    (2, [("foreman", "serious_fault"), ("project_manager", "general_fault")]),
    (3, [("foreman", "replacement"), ("project_manager", "serious_fault")]),
], ids=["round1", "round2", "round3"])
def test_penalties_per_failed_round(round_no, expected):
    rounds = failed_rounds(round_no)
    inspection, notice = rounds[-1]
    assert inspection.round == round_no and notice.round == round_no
    project = inspection.project
    person = {"foreman": project.foreman_id, "project_manager": project.project_manager_id}
    assert [(p[0], p[1], p[2], p[3]) for p in penalties_of(inspection)] == [
        (person[role], role, kind, f"round_{round_no}_failed") for role, kind in expected]
    # earlier rounds keep their own penalties; nothing is recorded twice
    assert all(len(penalties_of(i)) == len({p[:4] for p in penalties_of(i)}) for i, _n in rounds)


def test_round_three_fines_500_and_stops_orders_for_three_months_from_that_day(monkeypatch):
    monkeypatch.setattr("portal.rectification.services.local_today", lambda: date(2026, 11, 30))
    first = make_failed_inspection(fail=(SOCKET,))
    assert first[1].status == NoticeStatus.OPEN.value
    second = run_reinspection(first[1], fail=(SOCKET,), day=date(2026, 11, 30))
    third, _notice = run_reinspection(second[1], fail=(SOCKET,), day=date(2026, 11, 30))
    foreman = [p for p in penalties_of(third) if p[1] == "foreman"]
    assert foreman == [(third.project.foreman_id, "foreman", "replacement", "round_3_failed", Decimal("500"),
                        date(2027, 2, 28))]
    pm = [p for p in penalties_of(third) if p[1] == "project_manager"]
    assert [(p[2], p[4], p[5]) for p in pm] == [("serious_fault", None, None)]


def test_round_one_penalty_has_no_amount_and_no_order_stop():
    inspection, _notice = make_failed_inspection()
    assert [(p[4], p[5]) for p in penalties_of(inspection)] == [(None, None)]


def test_order_stop_is_today_plus_three_months():
    assert add_months(local_today(), 3) - local_today() in [timedelta(days=d) for d in range(89, 93)]


def test_handbook_missing_adds_a_serious_fault_to_the_round_penalty():
    inspection, _notice = make_failed_inspection(handbook=False)
    foreman = inspection.project.foreman_id
    assert sorted((p[0], p[2], p[3]) for p in penalties_of(inspection)) == [
        (foreman, "general_fault", "round_1_failed"), (foreman, "serious_fault", "handbook_missing")]


def test_handbook_missing_on_a_passing_inspection_is_still_a_serious_fault():
    inspection = make_inspection(handbook=False)
    answer_items(inspection)
    finish_answered(inspection)
    assert [(p[2], p[3]) for p in penalties_of(inspection)] == [("serious_fault", "handbook_missing")]


def test_no_penalty_for_a_missing_project_manager():
    inspection, _notice = make_failed_inspection()
    inspection.project.project_manager = None
    db.session.flush()
    from portal.rectification.services import escalate

    inspection.round = 2  # round 2 would fault the PM too
    escalate(inspection)
    assert {p[1] for p in penalties_of(inspection)} == {"foreman"}


# --- the foreman's rework -------------------------------------------------------------------------

def test_foreman_marks_an_item_rectified_with_a_note():
    _inspection, notice = open_notice(fail=(SOCKET, JOINT))
    item = notice.items[0]
    mark_rectified(item, notice.project.foreman, "  已按左零右火重新接线  ")
    assert (item.state, item.rectified_by_id, item.rectification_note) == (
        "rectified", notice.project.foreman_id, "已按左零右火重新接线")
    assert item.rectified_at is not None and items_left(notice) == 1


def photo_required_notice():
    template = make_template()
    set_default_fixes(template)
    socket_item = template.categories[0].items[0]
    socket_item.photo_required_on_fail = True
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET, JOINT))
    make_photo(inspection=inspection, item_id=socket_item.id)  # the "before" photo finishing requires
    notice = finish_answered(inspection)
    assert notice.status == NoticeStatus.OPEN.value, f"new notice is {notice.status!r}"
    return notice


def test_mark_rectified_without_the_required_after_photo_is_refused():
    notice = photo_required_notice()
    socket, joint = notice.items
    with pytest.raises(NoticeError) as info:
        mark_rectified(socket, notice.project.foreman, "已整改")
    assert info.value.code == "photo_required" and socket.state == "open"
    mark_rectified(joint, notice.project.foreman, "")  # this item needs no photo
    assert joint.state == "rectified"


def test_mark_rectified_with_the_after_photo():
    notice = photo_required_notice()
    socket = notice.items[0]
    after_photo(socket, notice.project.foreman)
    mark_rectified(socket, notice.project.foreman, "已整改")
    assert socket.state == "rectified"


def test_before_photos_do_not_count_as_after_photos():
    from portal.rectification.services import after_photo_count, photo_required

    template = make_template()
    set_default_fixes(template)
    template.categories[0].items[0].photo_required_on_fail = True
    inspection = make_inspection(template=template)
    answer_items(inspection, fail=(SOCKET,))
    make_photo(inspection=inspection, item_id=template.categories[0].items[0].id)
    notice = finish_answered(inspection)
    assert photo_required(notice.items[0]) and after_photo_count(notice.items[0]) == 0


def test_request_reinspection_with_open_items_names_them():
    _inspection, notice = open_notice(fail=(SOCKET, BREAKER, JOINT))
    mark_rectified(notice.items[1], notice.project.foreman, "")
    with pytest.raises(NoticeError) as info:
        request_reinspection(notice, notice.project.foreman)
    assert info.value.code == "items_open"
    assert [i.item_text for i in info.value.detail] == [SOCKET, JOINT]
    assert SOCKET in messages.error_text(info.value) and JOINT in messages.error_text(info.value)
    assert notice.status == NoticeStatus.OPEN.value and notice.requested_at is None


def test_request_reinspection_once_asking_again_changes_nothing():
    _inspection, notice = open_notice(fail=(SOCKET, JOINT))
    rectify_all(notice)
    pm = notice.project.project_manager
    assert request_reinspection(notice, pm) is True
    requested_at = notice.requested_at
    sent = db.session.scalar(select(func.count()).select_from(Notification))
    assert request_reinspection(notice, notice.project.foreman) is False
    assert (notice.status, notice.requested_at, notice.requested_by_id) == (
        NoticeStatus.REQUESTED.value, requested_at, pm.id)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == sent


def test_no_rework_once_the_reinspection_was_requested():
    _inspection, notice = open_notice(fail=(SOCKET,))
    rectify_all(notice)
    request_reinspection(notice, notice.project.foreman)
    with pytest.raises(NoticeError) as info:
        mark_rectified(notice.items[0], notice.project.foreman, "again")
    assert info.value.code == "not_open"


def test_my_open_notices_by_deadline_for_foreman_and_pm():
    _i, later = open_notice()
    project = later.project
    sooner_inspection, sooner = make_failed_inspection(project=make_project_of(project.foreman))
    sooner.deadline = local_today() + timedelta(days=2)
    db.session.flush()
    assert [n.id for n in my_open_notices(project.foreman)] == [sooner.id, later.id]
    assert [n.id for n in my_open_notices(project.project_manager)] == [later.id]
    assert my_open_notices(make_user(Role.FOREMAN)) == []


def make_project_of(foreman):
    from tests.factories import make_project

    return make_project(foreman=foreman)


def test_overdue_is_an_open_notice_past_its_deadline():
    _inspection, notice = open_notice()
    notice.deadline = local_today() - timedelta(days=1)
    assert is_overdue(notice) and not is_overdue(notice, today=notice.deadline)
    notice.status = NoticeStatus.REQUESTED.value
    assert not is_overdue(notice)


# --- reinspection -------------------------------------------------------------------------------

def scheduled(notice, **kwargs) -> Inspection:
    """Schedule the reinspection for today and start it."""
    from portal.inspections.services import record_start

    reinspection = schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    record_start(reinspection, notice.inspector, foreman_present=True, project_manager_present=True,
                 others_present="", handbook_present=True, equipment=[make_equipment()])
    return reinspection


def test_reinspection_is_next_round_on_the_same_template_version():
    inspection, notice = open_notice(fail=(SOCKET,))
    make_template(family="default", version=7)  # a newer version must not be used
    reinspection = schedule_reinspection(notice, local_today() + timedelta(days=8), make_user(Role.INSPECTOR),
                                         make_user(Role.OFFICE))
    assert (reinspection.round, reinspection.template_id, reinspection.project_id) == (
        2, inspection.template_id, inspection.project_id)
    assert (notice.status, notice.reinspection_id) == (NoticeStatus.SCHEDULED.value, reinspection.id)


def test_reinspection_carries_passed_items_and_leaves_notice_items_open():
    inspection, notice = open_notice(fail=(SOCKET, MOISTURE))
    reinspection = scheduled(notice)
    answers = {a.item.text: a for a in load_answers(reinspection)}
    for text in (BREAKER, HEIGHT, JOINT):
        assert (answers[text].outcome, answers[text].carried_from_id) == ("pass", inspection.id), text
    for text in (SOCKET, MOISTURE):
        assert (answers[text].outcome, answers[text].carried_from_id, answers[text].value) == (None, None, None), text


def test_not_applicable_items_are_carried_as_not_applicable():
    inspection = make_inspection(template=fixed_template())
    answer_items(inspection, fail=(SOCKET,))
    save_answer(next(a for a in load_answers(inspection) if a.item.text == HEIGHT), inspection.inspector, outcome="na")
    notice = finish_answered(inspection)
    assert notice.status == NoticeStatus.OPEN.value
    reinspection = scheduled(notice)
    height = next(a for a in load_answers(reinspection) if a.item.text == HEIGHT)
    assert (height.outcome, height.carried_from_id) == ("na", inspection.id)


def fixed_template():
    template = make_template()
    set_default_fixes(template)
    return template


def test_a_carried_answer_cannot_be_changed():
    _inspection, notice = open_notice(fail=(SOCKET,))
    reinspection = scheduled(notice)
    carried = next(a for a in load_answers(reinspection) if a.item.text == JOINT)
    with pytest.raises(InspectionError) as info:
        save_answer(carried, reinspection.inspector, outcome="fail")
    assert info.value.code == "carried" and carried.outcome == "pass"


@pytest.mark.parametrize("note", ["", "   \n "], ids=["empty", "blank"])
def test_reopening_a_carried_item_needs_a_note(note):
    _inspection, notice = open_notice(fail=(SOCKET,))
    reinspection = scheduled(notice)
    carried = next(a for a in load_answers(reinspection) if a.item.text == JOINT)
    with pytest.raises(InspectionError) as info:
        reopen_carried(carried, reinspection.inspector, note)
    assert info.value.code == "reason_required" and carried.carried_from_id is not None


def test_reopened_carried_item_is_checked_again_and_can_fail():
    inspection, notice = open_notice(fail=(SOCKET,))
    reinspection = scheduled(notice)
    carried = next(a for a in load_answers(reinspection) if a.item.text == JOINT)
    reopen_carried(carried, reinspection.inspector, "接缝开裂，回归")
    assert (carried.carried_from_id, carried.outcome, carried.note) == (None, None, "接缝开裂，回归")
    answer_items(reinspection, fail=(JOINT,))  # the socket item passes now, the joint fails
    new_notice = finish_answered(reinspection)
    assert [i.item_text for i in new_notice.items] == [JOINT]


def test_reinspection_decides_each_notice_item():
    _inspection, notice = open_notice(fail=(SOCKET, MOISTURE))
    rectify_all(notice)
    request_reinspection(notice, notice.project.foreman)
    reinspection, new_notice = run_reinspection(notice, fail=(MOISTURE,))
    states = {i.item_text: i.state for i in notice.items}
    assert states == {SOCKET: ItemState.ACCEPTED.value, MOISTURE: ItemState.NOT_ACCEPTED.value}
    assert all(i.decided_at is not None for i in notice.items)


def test_a_failed_reinspection_issues_a_new_notice_and_supersedes_the_old_one():
    _inspection, notice = open_notice(fail=(SOCKET, MOISTURE))
    reinspection, new_notice = run_reinspection(notice, fail=(MOISTURE,))
    assert new_notice is not None and new_notice.id != notice.id and new_notice.number != notice.number
    assert (new_notice.round, new_notice.inspection_id) == (2, reinspection.id)
    assert [(i.item_text, i.measured_value, i.state) for i in new_notice.items] == [(MOISTURE, Decimal("15"), "open")]
    assert notice.status == NoticeStatus.SUPERSEDED.value and notice.closed_at is not None
    assert new_notice.status == NoticeStatus.OPEN.value


def test_a_passing_reinspection_closes_the_notice():
    _inspection, notice = open_notice(fail=(SOCKET, MOISTURE))
    reinspection, new_notice = run_reinspection(notice)
    assert reinspection.passed is True and new_notice is None
    assert notice.status == NoticeStatus.CLOSED.value and notice.closed_at is not None
    assert {i.state for i in notice.items} == {ItemState.ACCEPTED.value}
    assert not notice.is_open and penalties_of(reinspection) == []


def test_scheduling_twice_is_refused():
    _inspection, notice = open_notice()
    schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    with pytest.raises(NoticeError) as info:
        schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    assert info.value.code == "already_scheduled"


def test_scheduling_in_the_past_is_refused():
    _inspection, notice = open_notice()
    with pytest.raises(NoticeError) as info:
        schedule_reinspection(notice, local_today() - timedelta(days=1), notice.inspector, make_user(Role.OFFICE))
    assert info.value.code == "date_past" and notice.reinspection_id is None


def test_scheduling_a_closed_notice_is_refused():
    _inspection, notice = make_failed_inspection()
    notice.status = NoticeStatus.CLOSED.value
    with pytest.raises(NoticeError) as info:
        schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    assert info.value.code == "not_open"


def test_after_round_three_the_replaced_foreman_blocks_scheduling_until_a_new_one_is_assigned():
    rounds = failed_rounds(3)
    _third, notice = rounds[-1]
    project = notice.project
    assert foreman_replaced(project)
    with pytest.raises(NoticeError) as info:
        schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    assert info.value.code == "foreman_replaced" and notice.reinspection_id is None
    project.foreman = make_user(Role.FOREMAN)
    db.session.flush()
    assert not foreman_replaced(project)
    fourth = schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    assert fourth.round == 4


def test_an_annulled_replacement_does_not_block():
    inspection, _notice = make_failed_inspection()
    from portal.penalties.models import PenaltyKind
    from portal.penalties.services import record_penalty
    from portal.timeutil import utcnow

    penalty = record_penalty(inspection.project.foreman, "foreman", PenaltyKind.REPLACEMENT, "round_3_failed",
                             inspection, amount=Decimal("500"))
    assert foreman_replaced(inspection.project)
    penalty.annulled_at = utcnow()
    db.session.flush()
    assert not foreman_replaced(inspection.project)


# --- reopening a failed inspection --------------------------------------------------------------

def test_reopening_withdraws_the_notice_and_finishing_again_issues_a_new_one():
    inspection, notice = make_failed_inspection(fail=(SOCKET,))
    office = make_user(Role.OFFICE)
    reopen(inspection, office, "复核插座接线")
    assert notice.status == NoticeStatus.SUPERSEDED.value and notice.closed_at is not None
    second = finish_answered(inspection)
    assert second is not None and second.id != notice.id and second.number != notice.number
    assert [i.item_text for i in second.items] == [SOCKET]
    numbers = db.session.scalars(select(RectificationNotice.number)
                                 .where(RectificationNotice.inspection_id == inspection.id)).all()
    assert len(numbers) == len(set(numbers)) == 2
    assert len(penalties_of(inspection)) == 1  # the round's penalty is not repeated


def test_reissued_notice_after_reopening_is_the_open_one():
    inspection, notice = open_notice(fail=(SOCKET,))
    reopen(inspection, make_user(Role.OFFICE), "复核")
    second = finish_answered(inspection)
    assert (notice.status, second.status) == (NoticeStatus.SUPERSEDED.value, NoticeStatus.OPEN.value)


def test_reopened_inspection_that_passes_issues_no_new_notice():
    inspection, notice = make_failed_inspection(fail=(SOCKET,))
    reopen(inspection, make_user(Role.OFFICE), "误判")
    save_answer(next(a for a in load_answers(inspection) if a.item.text == SOCKET), inspection.inspector,
                outcome="pass")
    assert finish_answered(inspection).id == notice.id  # still only the withdrawn one
    assert notice.status == NoticeStatus.SUPERSEDED.value
    assert db.session.scalar(select(func.count()).select_from(Answer).where(
        Answer.inspection_id == inspection.id, Answer.outcome == "fail")) == 0


def test_reopening_after_the_reinspection_was_scheduled_leaves_one_open_round():
    inspection, notice = open_notice()
    schedule_reinspection(notice, local_today(), notice.inspector, make_user(Role.OFFICE))
    office = make_user(Role.OFFICE)
    try:
        reopen(inspection, office, "复核")
        second = finish_answered(inspection)
        schedule_reinspection(second, local_today(), notice.inspector, office)
    except (InspectionError, NoticeError):
        pass  # refusing one of the steps is a fix too
    open_rounds = db.session.scalars(select(Inspection.round).where(
        Inspection.project_id == inspection.project_id, Inspection.status != InspectionStatus.COMPLETED.value)).all()
    assert len(open_rounds) <= 1, f"open rounds: {open_rounds}"
