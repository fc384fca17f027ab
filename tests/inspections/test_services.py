"""Inspection services: creating, starting, answering, finishing, reopening, audit."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.models import Answer, AnswerChange, InspectionEvent, InspectionStatus
from portal.inspections.services import (
    InspectionError, answers_version, create_inspection, finish, get_answer_or_404, has_valid_equipment,
    load_answers, only_own_changes_since, record_start, reopen, save_answer, save_note, summarise,
)
from portal.inspections.history import history
from portal.inspections.progress import progress
from portal.penalties.models import Penalty
from portal.timeutil import local_today
from tests.factories import make_equipment, make_inspection, make_project, make_template, make_user


def answer_all(inspection, outcome="pass", value="10"):
    """Answer every item: check items with ``outcome``, measured ones with ``value``."""
    for row in load_answers(inspection):
        if row.item.is_measured:
            save_answer(row, inspection.inspector, raw_value=value)
        else:
            save_answer(row, inspection.inspector, outcome=outcome)
            if outcome == "fail" and row.item.note_required_on_fail:
                save_note(row, inspection.inspector, "需整改")


def by_text(inspection, text):
    return next(a for a in load_answers(inspection) if a.item.text == text)


# --- creating -----------------------------------------------------------------------------

def test_create_uses_current_template_and_round_one():
    template = make_template(family="default")
    project = make_project()
    inspection = create_inspection(project, local_today(), make_user(Role.INSPECTOR), make_user(Role.OFFICE))
    assert inspection.round == 1 and inspection.template_id == template.id
    assert inspection.status == InspectionStatus.SCHEDULED.value


def test_cannot_create_while_one_is_open():
    inspection = make_inspection(started=False)
    with pytest.raises(InspectionError) as info:
        create_inspection(inspection.project, local_today(), inspection.inspector, inspection.inspector)
    assert info.value.code == "open_inspection"


def test_next_round_keeps_the_template_version():
    inspection = make_inspection()
    answer_all(inspection, outcome="fail")
    finish(inspection, inspection.inspector, answers_version(inspection))
    make_template(family="default", version=9)  # a newer published version must not be used
    second = create_inspection(inspection.project, local_today(), inspection.inspector, inspection.inspector)
    assert second.round == 2 and second.template_id == inspection.template_id


def test_cannot_create_after_a_pass():
    inspection = make_inspection()
    answer_all(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection))
    with pytest.raises(InspectionError) as info:
        create_inspection(inspection.project, local_today(), inspection.inspector, inspection.inspector)
    assert info.value.code == "already_passed"


# --- starting and equipment ---------------------------------------------------------------

def test_start_creates_one_empty_answer_per_active_item():
    template = make_template()
    template.categories[0].items[2].retired = True
    inspection = make_inspection(template=template)
    answers = load_answers(inspection)
    assert len(answers) == 4 and all(a.outcome is None for a in answers)
    assert inspection.status == InspectionStatus.IN_PROGRESS.value
    assert db.session.scalar(select(InspectionEvent.kind).where(InspectionEvent.inspection_id == inspection.id)) == "started"


def test_expired_equipment_is_refused_with_its_date():
    expired = make_equipment(valid_from=local_today() - timedelta(days=400), valid_until=local_today() - timedelta(days=3))
    inspection = make_inspection(started=False)
    with pytest.raises(InspectionError) as info:
        record_start(inspection, inspection.inspector, foreman_present=True, project_manager_present=True,
                     others_present="", handbook_present=True, equipment=[make_equipment(), expired])
    assert info.value.code == "equipment_expired"
    assert info.value.detail == [(expired, local_today() - timedelta(days=3))]


def test_equipment_valid_until_today_is_still_valid():
    today_last = make_equipment(valid_until=local_today())
    inspection = make_inspection(equipment=[today_last])
    assert has_valid_equipment(inspection)


def test_without_equipment_the_summary_blocks_and_scoring_fails():
    inspection = make_inspection(equipment=[])
    answer_all(inspection)
    summary = summarise(inspection)
    assert not summary.equipment_ok and summary.blocking
    assert not summary.evaluation.passed
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, summary.version)
    assert info.value.code == "blocked"


# --- answering ----------------------------------------------------------------------------

def test_measured_value_is_judged_against_the_limit():
    inspection = make_inspection()
    row = by_text(inspection, "木材含水率")
    save_answer(row, inspection.inspector, raw_value="12")
    assert row.outcome == "pass" and row.value == Decimal("12")
    save_answer(row, inspection.inspector, raw_value="12,5")
    assert row.outcome == "fail" and row.value == Decimal("12.5")


@pytest.mark.parametrize("raw, code", [("abc", "not_a_number"), ("NaN", "not_a_number"), ("1e308", "out_of_range"),
                                       ("", "empty"), ("inf", "not_a_number")])
def test_bad_measurements_are_refused_and_nothing_changes(raw, code):
    inspection = make_inspection()
    row = by_text(inspection, "木材含水率")
    save_answer(row, inspection.inspector, raw_value="8")
    before = answers_version(inspection)
    with pytest.raises(InspectionError) as info:
        save_answer(row, inspection.inspector, raw_value=raw)
    assert (info.value.code, info.value.detail) == ("bad_value", code)
    db.session.expire_all()
    assert db.session.get(Answer, row.id).value == Decimal("8") and answers_version(inspection) == before


def test_measured_item_can_be_not_applicable():
    inspection = make_inspection()
    row = by_text(inspection, "木材含水率")
    save_answer(row, inspection.inspector, raw_value="9")
    save_answer(row, inspection.inspector, outcome="na")
    assert row.outcome == "na" and row.value is None


def test_check_items_refuse_unknown_outcomes_and_measured_refuse_pass():
    inspection = make_inspection()
    with pytest.raises(InspectionError):
        save_answer(by_text(inspection, "接缝严密"), inspection.inspector, outcome="maybe")
    with pytest.raises(InspectionError):
        save_answer(by_text(inspection, "木材含水率"), inspection.inspector, outcome="pass")


def test_every_change_is_recorded_with_old_and_new():
    inspection = make_inspection()
    row = by_text(inspection, "接缝严密")
    save_answer(row, inspection.inspector, outcome="fail")
    save_answer(row, inspection.inspector, outcome="fail")  # same answer again: no change recorded
    save_answer(row, inspection.inspector, outcome="pass")
    save_note(row, inspection.inspector, "  缝隙已处理\x00 ")
    changes = db.session.scalars(select(AnswerChange).where(AnswerChange.inspection_id == inspection.id)
                                 .order_by(AnswerChange.id)).all()
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("outcome", None, "fail"), ("outcome", "fail", "pass"), ("note", "", "缝隙已处理")]
    assert all(c.user_id == inspection.inspector_id for c in changes)
    assert len(history(inspection)) == 4  # three changes and the start event


def test_note_too_long_is_refused():
    inspection = make_inspection()
    with pytest.raises(InspectionError) as info:
        save_note(by_text(inspection, "接缝严密"), inspection.inspector, "长" * 2001)
    assert info.value.code == "note_too_long"


def test_item_of_another_inspection_is_404():
    from werkzeug.exceptions import NotFound

    mine, other = make_inspection(), make_inspection()
    foreign_item = load_answers(other)[0].item_id
    with pytest.raises(NotFound):
        get_answer_or_404(mine, foreign_item)


def test_two_phones_keep_each_items_last_answer():
    inspection = make_inspection()
    a, b = by_text(inspection, "接缝严密"), by_text(inspection, "漏电保护器动作正常")
    save_answer(a, inspection.inspector, outcome="fail")  # phone 1
    save_answer(b, inspection.inspector, outcome="pass")  # phone 2, another item
    save_answer(a, inspection.inspector, outcome="pass")  # phone 2 changes item a last
    db.session.expire_all()
    assert (db.session.get(Answer, a.id).outcome, db.session.get(Answer, b.id).outcome) == ("pass", "pass")


# --- summary and finishing ----------------------------------------------------------------

def test_summary_lists_unanswered_and_missing_notes():
    inspection = make_inspection()
    save_answer(by_text(inspection, "插座左零右火上接地"), inspection.inspector, outcome="fail")
    summary = summarise(inspection)
    assert [i.text for i in summary.notes_missing] == ["插座左零右火上接地"]
    assert len(summary.unanswered) == 4 and summary.blocking


@pytest.mark.parametrize("outcomes", [
    {},  # nothing answered yet
    {"插座左零右火上接地": "fail"},
    {"插座左零右火上接地": "na", "接缝严密": "fail"},
    "all_pass",
])
def test_progress_gives_the_summarys_counts_and_rates(outcomes):
    """The live figures after a tap come from a lighter query but must match the summary exactly."""
    inspection = make_inspection()
    if outcomes == "all_pass":
        answer_all(inspection)
    else:
        for text, outcome in outcomes.items():
            save_answer(by_text(inspection, text), inspection.inspector, outcome=outcome)
    summary, figures = summarise(inspection), progress(inspection)
    assert figures.overall == summary.overall == summary.evaluation.overall
    assert [(c.category_id, c.answered, c.total, c.rate) for c in figures.categories] == [
        (c.category.id, c.answered, c.total, c.rate) for c in summary.categories]


def test_finish_freezes_result_and_grade():
    inspection = make_inspection()
    answer_all(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection))
    assert inspection.status == InspectionStatus.COMPLETED.value
    assert inspection.passed and inspection.grade == "excellent"
    assert (inspection.passed_count, inspection.applicable_count) == (5, 5)
    assert inspection.overall_rate == Decimal("1")
    assert {c["code"] for c in inspection.category_scores} == {"electrical", "carpentry"}


def test_one_failed_category_fails_the_inspection():
    inspection = make_inspection()
    answer_all(inspection)
    save_answer(by_text(inspection, "木材含水率"), inspection.inspector, raw_value="15")  # carpentry 1/2 = 50 %
    finish(inspection, inspection.inspector, answers_version(inspection))
    assert inspection.passed is False and inspection.grade is None
    assert ["category_below", "carpentry"] in inspection.fail_reasons


def test_answers_are_read_only_after_finishing():
    inspection = make_inspection()
    answer_all(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection))
    with pytest.raises(InspectionError) as info:
        save_answer(by_text(inspection, "接缝严密"), inspection.inspector, outcome="fail")
    assert info.value.code == "completed"
    with pytest.raises(InspectionError):
        save_note(by_text(inspection, "接缝严密"), inspection.inspector, "late")


def test_finishing_twice_changes_nothing_the_second_time():
    inspection = make_inspection()
    answer_all(inspection)
    version = answers_version(inspection)
    finish(inspection, inspection.inspector, version)
    finished_at = inspection.finished_at
    finish(inspection, inspection.inspector, version)
    assert inspection.finished_at == finished_at
    events = db.session.scalars(select(InspectionEvent.kind).where(InspectionEvent.inspection_id == inspection.id)).all()
    assert events.count("finished") == 1


def test_finish_refuses_when_answers_changed_since_the_summary():
    inspection = make_inspection()
    answer_all(inspection)
    seen = answers_version(inspection)
    save_answer(by_text(inspection, "接缝严密"), inspection.inspector, outcome="fail")  # the other phone
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, seen)
    assert info.value.code == "changed" and not inspection.is_completed


def test_a_finish_queued_on_the_phone_accepts_the_inspectors_own_answers_given_since_its_summary():
    inspection = make_inspection()
    seen = answers_version(inspection)  # the summary kept on the phone: nothing answered yet
    answer_all(inspection)              # the answers that waited in the phone's outbox, sent first
    assert only_own_changes_since(inspection, inspection.inspector, seen)
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, seen)  # without saying so: still a change
    assert info.value.code == "changed"
    finish(inspection, inspection.inspector, seen, own_changes=True)
    assert inspection.is_completed


def test_a_finish_queued_on_the_phone_is_refused_after_somebody_elses_change():
    inspection = make_inspection()
    seen = answers_version(inspection)
    answer_all(inspection)
    save_answer(by_text(inspection, "接缝严密"), make_user(Role.INSPECTOR), outcome="na")  # another inspector
    assert not only_own_changes_since(inspection, inspection.inspector, seen)
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, seen, own_changes=True)
    assert info.value.code == "changed" and not inspection.is_completed


@pytest.mark.parametrize("seen", [-1, 10_000])
def test_own_changes_need_a_version_the_server_gave(seen):
    inspection = make_inspection()
    answer_all(inspection)
    assert not only_own_changes_since(inspection, inspection.inspector, seen)


def test_a_finish_queued_on_the_phone_is_still_refused_while_something_is_missing():
    inspection = make_inspection()
    seen = answers_version(inspection)
    save_answer(by_text(inspection, "接缝严密"), inspection.inspector, outcome="pass")
    with pytest.raises(InspectionError) as info:
        finish(inspection, inspection.inspector, seen, own_changes=True)
    assert info.value.code == "blocked" and not inspection.is_completed


def test_handbook_missing_records_a_serious_fault_against_the_foreman_once():
    inspection = make_inspection(handbook=False)
    answer_all(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection))
    reopen(inspection, make_user(Role.OFFICE), "复核")
    finish(inspection, inspection.inspector, answers_version(inspection))
    penalties = db.session.scalars(select(Penalty).where(Penalty.inspection_id == inspection.id)).all()
    assert [(p.person_id, p.kind, p.reason, p.role) for p in penalties] == [
        (inspection.project.foreman_id, "serious_fault", "handbook_missing", "foreman")]


def test_reopen_needs_a_reason_and_is_logged():
    inspection = make_inspection()
    answer_all(inspection)
    finish(inspection, inspection.inspector, answers_version(inspection))
    office = make_user(Role.OFFICE)
    with pytest.raises(InspectionError):
        reopen(inspection, office, "   ")
    reopen(inspection, office, "业主反映卫生间渗水，需复核")
    assert inspection.status == InspectionStatus.IN_PROGRESS.value and inspection.passed is None
    event = db.session.scalar(select(InspectionEvent).where(InspectionEvent.kind == "reopened",
                                                            InspectionEvent.inspection_id == inspection.id))
    assert event.user_id == office.id and "渗水" in event.detail
    save_answer(by_text(inspection, "接缝严密"), inspection.inspector, outcome="fail")  # editable again


def test_reopening_an_open_inspection_is_refused():
    inspection = make_inspection()
    with pytest.raises(InspectionError) as info:
        reopen(inspection, make_user(Role.OFFICE), "why")
    assert info.value.code == "not_completed"
