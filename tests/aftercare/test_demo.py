"""The after-sales demo rows: one handed-over project with an overdue repair and a closed complaint, once."""
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from portal.aftercare.demo import seed_aftercare_demo
from portal.aftercare.models import CompletionAcceptance, Complaint, RepairRequest
from portal.aftercare import repair_requests, return_calls, services
from portal.auth.roles import Role
from portal.extensions import db
from portal.timeutil import local_today
from tests.factories import issue_certificate, make_signed_inspection, make_user, set_finished_at


def test_seed_hands_over_a_certified_project_once(app, storage):
    make_user(Role.OFFICE)
    inspection = make_signed_inspection(storage=storage)
    issue_certificate(inspection, storage=storage, render=lambda c: b"%PDF-1.7")
    url = seed_aftercare_demo()
    assert url.startswith("https://portal.test/owner/")
    acceptance = db.session.scalar(select(CompletionAcceptance))
    assert acceptance.is_handed_over and acceptance.project_id == inspection.project_id
    repairs = db.session.scalars(select(RepairRequest)).all()
    assert any(repair_requests.repair_overdue(r) for r in repairs)
    assert db.session.scalar(select(Complaint)).closed_at is not None
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (CompletionAcceptance, RepairRequest,
                                                                                Complaint)]
    assert seed_aftercare_demo() is None
    assert counts == [db.session.scalar(select(func.count()).select_from(m)) for m in (CompletionAcceptance,
                                                                                        RepairRequest, Complaint)]


def test_a_demo_project_in_its_warranty_for_a_while_waits_for_this_quarters_return_call(app, storage):
    make_user(Role.OFFICE)
    inspection = make_signed_inspection(storage=storage)
    passed = datetime.combine(local_today() - timedelta(days=200), time(10))
    set_finished_at(inspection, passed)
    certificate = issue_certificate(inspection, storage=storage, render=lambda c: b"%PDF-1.7")
    certificate.issued_at = passed
    db.session.flush()
    assert seed_aftercare_demo() is not None
    [row] = return_calls.calls_for_quarter(return_calls.quarter_of(local_today()))
    assert row.project == inspection.project and row.done is None and row.attempts == 1
