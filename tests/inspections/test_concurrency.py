"""Two phones finishing (or answering) at the same moment, on PostgreSQL with real commits."""
import os
import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.inspections.models import Answer, Inspection, InspectionEvent
from portal.inspections.services import answers_version, finish, load_answers, save_answer

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]


def run_together(app, count, work):
    """Run ``work(i)`` in ``count`` threads, each with its own app context and session, started at once."""
    barrier = threading.Barrier(count)
    errors = []

    def runner(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                work(i)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.fixture
def answered_inspection(app):
    """A committed, fully answered inspection (not rolled back: other connections must see it)."""
    from tests.factories import make_inspection, make_template

    with app.app_context():
        inspection = make_inspection(template=make_template())
        for row in load_answers(inspection):
            save_answer(row, inspection.inspector, **({"raw_value": "5"} if row.item.is_measured else {"outcome": "pass"}))
        db.session.commit()
        yield inspection.id, inspection.inspector_id
        db.session.remove()


def test_ten_phones_finishing_at_once_finish_once(app, answered_inspection):
    inspection_id, inspector_id = answered_inspection

    def work(_i):
        inspection = db.session.get(Inspection, inspection_id)
        finish(inspection, inspection.inspector, answers_version(inspection))
        db.session.commit()

    assert run_together(app, 10, work) == []
    with app.app_context():
        finished = db.session.scalar(select(func.count()).select_from(InspectionEvent).where(
            InspectionEvent.inspection_id == inspection_id, InspectionEvent.kind == "finished"))
        assert finished == 1
        assert db.session.get(Inspection, inspection_id).passed is True


def test_answers_to_different_items_at_once_are_all_kept(app, answered_inspection):
    inspection_id, _ = answered_inspection
    with app.app_context():
        item_ids = [a.item_id for a in load_answers(db.session.get(Inspection, inspection_id))
                    if not a.item.is_measured]

    def work(i):
        inspection = db.session.get(Inspection, inspection_id)
        row = db.session.scalar(select(Answer).where(Answer.inspection_id == inspection_id,
                                                     Answer.item_id == item_ids[i % len(item_ids)]))
        save_answer(row, inspection.inspector, outcome="fail" if i < len(item_ids) else "na")
        db.session.commit()

    assert run_together(app, len(item_ids), work) == []
    with app.app_context():
        outcomes = db.session.scalars(select(Answer.outcome).where(Answer.inspection_id == inspection_id,
                                                                   Answer.item_id.in_(item_ids))).all()
        assert outcomes == ["fail"] * len(item_ids)
