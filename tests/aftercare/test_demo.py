"""The after-sales demo rows: one handed-over project with an overdue repair and a closed complaint, once."""
from sqlalchemy import func, select

from portal.aftercare.demo import seed_aftercare_demo
from portal.aftercare.models import CompletionAcceptance, Complaint, RepairRequest
from portal.aftercare import repair_requests, services
from portal.auth.roles import Role
from portal.extensions import db
from tests.factories import issue_certificate, make_signed_inspection, make_user


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
