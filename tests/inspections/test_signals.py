"""Finishing and reopening emit signals; the features' receivers do their part inside the transaction."""
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from portal import create_app
from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections import signals
from portal.inspections.services import InspectionError, answers_version, finish, reopen
from portal.penalties.models import Penalty
from portal.signals import Namespace
from portal.signatures.records import RECORD_TYPES
from tests.factories import (
    answer_items, finish_answered, make_failed_inspection, make_inspection, make_user, notice_for,
)


@contextmanager
def receiving(signal, receiver=None):
    """Collect (sender, kwargs) of every send of ``signal`` while inside; ``receiver`` runs too."""
    calls = []

    def collect(sender, **kwargs):
        calls.append((sender, kwargs))
        if receiver is not None:
            receiver(sender, **kwargs)

    signal.connect(collect)
    try:
        yield calls
    finally:
        signal.disconnect(collect)


def test_finishing_emits_finishing_then_finished_with_the_notice_input():
    inspection = make_inspection()
    answer_items(inspection)
    with receiving(signals.inspection_finishing) as finishing, receiving(signals.inspection_finished) as finished:
        finish(inspection, inspection.inspector, answers_version(inspection))
    assert [sender for sender, _kw in finishing] == [inspection]
    assert finishing[0][1]["user"] is inspection.inspector and finishing[0][1]["notice_input"] is None
    assert finishing[0][1]["summary"].evaluation.passed
    assert [sender for sender, _kw in finished] == [inspection]


def test_finishing_an_inspection_twice_emits_once():
    inspection = make_inspection()
    answer_items(inspection)
    finish_answered(inspection)
    with receiving(signals.inspection_finishing) as finishing, receiving(signals.inspection_finished) as finished:
        finish(inspection, inspection.inspector, answers_version(inspection))
    assert finishing == [] and finished == []


def test_a_receiver_of_finishing_may_refuse_and_nothing_is_frozen():
    inspection = make_inspection()
    answer_items(inspection)

    def refuse(_inspection, **_kwargs):
        raise InspectionError("notice_invalid", {"deadline": "no"})

    with receiving(signals.inspection_finishing, refuse), receiving(signals.inspection_finished) as finished:
        with pytest.raises(InspectionError) as info:
            finish(inspection, inspection.inspector, answers_version(inspection))
    assert info.value.code == "notice_invalid"
    assert not inspection.is_completed and inspection.passed is None and finished == []


def test_receivers_of_finished_see_the_frozen_result():
    inspection = make_inspection()
    answer_items(inspection, fail=("插座左零右火上接地",))
    seen = []
    with receiving(signals.inspection_finished, lambda i, **_kw: seen.append((i.is_completed, i.passed))):
        finish_answered(inspection)
    assert seen == [(True, False)]


def test_rectification_and_penalties_react_to_a_failed_finish_in_order():
    """Handbook penalty first (the inspection's own), then the notice and the round's penalty."""
    inspection, notice = make_failed_inspection(handbook=False)
    assert notice is not None and notice.inspection_id == inspection.id
    reasons = db.session.scalars(select(Penalty.reason).where(Penalty.inspection_id == inspection.id)
                                 .order_by(Penalty.id)).all()
    assert reasons == ["handbook_missing", "round_1_failed"]


def test_reopening_emits_reopening_then_reopened_and_withdraws_the_notice():
    inspection, notice = make_failed_inspection()
    office = make_user(Role.OFFICE)
    with receiving(signals.inspection_reopening) as reopening, receiving(signals.inspection_reopened) as reopened:
        reopen(inspection, office, "wrong item failed")
    assert [(s, kw["user"], kw["reason"]) for s, kw in reopening] == [(inspection, office, "wrong item failed")]
    assert [s for s, _kw in reopened] == [inspection]
    assert not notice.is_open and notice_for(inspection) is notice


def test_a_receiver_of_reopening_may_refuse_and_the_result_stays():
    inspection = make_inspection()
    answer_items(inspection)
    finish_answered(inspection)

    def refuse(_inspection, **_kwargs):
        raise InspectionError("certified")

    with receiving(signals.inspection_reopening, refuse), receiving(signals.inspection_reopened) as reopened:
        with pytest.raises(InspectionError, match="certified"):
            reopen(inspection, make_user(Role.OFFICE), "why")
    assert inspection.is_completed and inspection.passed and reopened == []


def test_receivers_run_in_the_order_they_were_connected():
    order = []
    receivers = [lambda _s, n=n, **_kw: order.append(n) for n in range(12)]
    signal = Namespace().signal("test-order")
    for receiver in receivers:
        signal.connect(receiver)
    signal.send(object())
    assert order == list(range(12))


ALL_SIGNALS = (signals.inspection_finishing, signals.inspection_finished, signals.inspection_reopening,
               signals.inspection_reopened)


def test_creating_the_app_again_registers_nothing_twice(app):
    before = ([list(signal.receivers) for signal in ALL_SIGNALS], list(RECORD_TYPES))
    create_app({"PORTAL_ENV": "testing", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}, {"TESTING": True})
    after = ([list(signal.receivers) for signal in ALL_SIGNALS], list(RECORD_TYPES))
    assert after == before
    assert sorted(RECORD_TYPES) == ["closure_test", "completion", "concealed", "inspection", "notice", "repair"]
