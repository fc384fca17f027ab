"""The settlement rule (portal.finance.settlement.settlement): table-driven over every status, and the
facts it is fed (load_facts) built from real inspections, notices and certificates.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event

from portal.auth.roles import Role
from portal.certificates import services
from portal.extensions import db
from portal.finance.settlement import ProjectFacts, Settlement, load_facts, settlement
from portal.inspections.services import reopen
from portal.timeutil import local_today
from tests.factories import (
    fake_pdf, issue_certificate, make_failed_inspection, make_finished_inspection, make_inspection, make_project,
    make_signed_inspection, make_user, run_reinspection,
)

TODAY = date(2026, 11, 24)
ISSUED = datetime(2026, 11, 20, 2, 0)
REVOKED = datetime(2026, 11, 22, 3, 0)

CERTIFIED = dict(inspected=True, passed_grade="excellent", passed_on=date(2026, 11, 19),
                 certificate_no="YS-2026-000007", certificate_issued_at=ISSUED, overall_rate=0.98)

# (id, facts, expected status, allowed, reason, overdue)
CASES = [
    ("nothing yet", ProjectFacts(inspected=False),
     "not_inspected", False, "no_inspection", False),
    ("inspection scheduled or running", ProjectFacts(inspected=True),
     "in_progress", False, "not_passed_yet", False),
    ("rectification, deadline ahead", ProjectFacts(inspected=True, open_notice_round=1,
                                                   open_notice_deadline=TODAY + timedelta(days=3)),
     "in_rectification", False, "rectification_open", False),
    ("rectification, deadline today", ProjectFacts(inspected=True, open_notice_round=1, open_notice_deadline=TODAY),
     "in_rectification", False, "rectification_open", False),
    ("rectification, deadline passed", ProjectFacts(inspected=True, open_notice_round=2,
                                                    open_notice_deadline=TODAY - timedelta(days=1)),
     "in_rectification", False, "rectification_open", True),
    ("rectification without a deadline", ProjectFacts(inspected=True, open_notice_round=1),
     "in_rectification", False, "rectification_open", False),
    ("rectification round 3 long overdue", ProjectFacts(inspected=True, open_notice_round=3,
                                                        open_notice_deadline=date(2026, 1, 1)),
     "in_rectification", False, "rectification_open", True),
    ("passed, no certificate yet", ProjectFacts(inspected=True, passed_grade="good", passed_on=TODAY, overall_rate=0.9),
     "certificate_pending", False, "certificate_not_issued", False),
    ("passed with a valid certificate", ProjectFacts(**CERTIFIED),
     "passed", True, "valid_certificate", False),
    ("certificate revoked", ProjectFacts(**CERTIFIED, certificate_revoked_at=REVOKED),
     "certificate_revoked", False, "certificate_revoked", False),
    # Precedence: the certificate decides, whatever else is on record.
    ("valid certificate beside an open notice", ProjectFacts(**{**CERTIFIED, "open_notice_round": 1,
                                                               "open_notice_deadline": TODAY - timedelta(days=9)}),
     "passed", True, "valid_certificate", False),
    ("revoked certificate beside an open notice", ProjectFacts(**{**CERTIFIED, "open_notice_round": 2,
                                                                 "open_notice_deadline": TODAY - timedelta(days=9)},
                                                              certificate_revoked_at=REVOKED),
     "certificate_revoked", False, "certificate_revoked", False),
    ("passed beats an old open notice", ProjectFacts(inspected=True, passed_grade="pass", open_notice_round=1,
                                                     open_notice_deadline=TODAY - timedelta(days=9)),
     "certificate_pending", False, "certificate_not_issued", False),
    ("a notice without an inspection flag", ProjectFacts(inspected=False, open_notice_round=1,
                                                         open_notice_deadline=TODAY),
     "in_rectification", False, "rectification_open", False),
]


@pytest.mark.parametrize("facts, status, allowed, reason, overdue", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_the_rule(facts, status, allowed, reason, overdue):
    assert settlement(facts, TODAY) == Settlement(status, allowed, reason, overdue)


def test_only_a_valid_certificate_allows_settlement():
    allowed = [case[0] for case in CASES if settlement(case[1], TODAY).allowed]
    assert all(case[1].certificate_no and case[1].certificate_revoked_at is None for case in CASES
               if case[0] in allowed)
    assert allowed and len(allowed) < len(CASES)


def test_every_status_and_reason_is_covered():
    results = [settlement(case[1], TODAY) for case in CASES]
    assert {r.status for r in results} == {"not_inspected", "in_progress", "in_rectification", "passed",
                                           "certificate_pending", "certificate_revoked"}
    assert {r.reason for r in results} == {"no_inspection", "not_passed_yet", "rectification_open",
                                           "certificate_not_issued", "valid_certificate", "certificate_revoked"}


def test_overdue_depends_on_the_day_asked():
    facts = ProjectFacts(inspected=True, open_notice_round=1, open_notice_deadline=TODAY)
    assert not settlement(facts, TODAY).overdue
    assert settlement(facts, TODAY + timedelta(days=1)).overdue


# --- the facts, from real records ---------------------------------------------------------------

def facts_of(project) -> ProjectFacts:
    return load_facts([project.id])[project.id]


def result_of(project) -> Settlement:
    return settlement(facts_of(project), local_today())


def test_a_project_without_inspection():
    facts = facts_of(make_project())
    assert facts == ProjectFacts(inspected=False)
    assert result_of(make_project()).status == "not_inspected"


def test_a_scheduled_or_running_inspection():
    assert result_of(make_inspection(started=False).project).status == "in_progress"
    assert result_of(make_inspection().project).status == "in_progress"


def test_a_failed_inspection_with_its_notice():
    inspection, notice = make_failed_inspection()
    facts = facts_of(inspection.project)
    assert facts.inspected and facts.open_notice_round == 1 and facts.open_notice_deadline == notice.deadline
    assert facts.passed_grade is None and facts.certificate_no is None
    result = result_of(inspection.project)
    assert (result.status, result.allowed, result.overdue) == ("in_rectification", False, False)


def test_an_overdue_notice():
    inspection, notice = make_failed_inspection()
    notice.deadline = local_today() - timedelta(days=2)
    db.session.flush()
    assert result_of(inspection.project).overdue


def test_a_failed_reinspection_shows_the_new_round():
    inspection, notice = make_failed_inspection()
    _again, second = run_reinspection(notice, fail=("插座左零右火上接地",))
    assert second is not None and second.round == 2
    facts = facts_of(inspection.project)
    assert facts.open_notice_round == 2 and facts.open_notice_deadline == second.deadline


def test_a_passed_reinspection_closes_the_rectification():
    inspection, notice = make_failed_inspection()
    reinspection, none = run_reinspection(notice)
    assert none is None and reinspection.passed
    facts = facts_of(inspection.project)
    assert facts.open_notice_round is None
    assert facts.passed_grade == reinspection.grade and facts.passed_on == local_today()
    assert result_of(inspection.project).status == "certificate_pending"


def test_a_passed_inspection_without_certificate():
    inspection = make_finished_inspection()
    facts = facts_of(inspection.project)
    assert facts.passed_grade == "excellent" and facts.overall_rate == 1.0 and facts.certificate_no is None
    assert result_of(inspection.project) == Settlement("certificate_pending", False, "certificate_not_issued")


def test_a_certified_project():
    certificate = issue_certificate(make_signed_inspection(), render=fake_pdf)
    facts = facts_of(certificate.project)
    assert facts.certificate_no == certificate.number and facts.certificate_issued_at == certificate.issued_at
    assert facts.certificate_revoked_at is None
    assert result_of(certificate.project) == Settlement("passed", True, "valid_certificate")


def test_a_revoked_certificate():
    certificate = issue_certificate(make_signed_inspection(), render=fake_pdf)
    services.revoke(certificate, make_user(Role.OFFICE), "发现渗漏")
    facts = facts_of(certificate.project)
    assert facts.certificate_no == certificate.number and facts.certificate_revoked_at == certificate.revoked_at
    assert result_of(certificate.project) == Settlement("certificate_revoked", False, "certificate_revoked")


def test_a_reopened_passed_inspection_is_no_longer_passed():
    inspection = make_finished_inspection()
    reopen(inspection, make_user(Role.OFFICE), "补充照片")
    assert result_of(inspection.project).status == "in_progress"


def test_no_projects_no_queries():
    assert load_facts([]) == {}


def test_facts_for_many_projects_take_a_fixed_number_of_queries():
    projects = [make_project(), make_inspection().project, make_failed_inspection()[0].project,
                make_finished_inspection().project,
                issue_certificate(make_signed_inspection(), render=fake_pdf).project]

    def count(ids) -> int:
        statements = []

        def before(_conn, _cursor, statement, *_args):
            statements.append(statement)

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", before)
        try:
            facts = load_facts(ids)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        assert set(facts) == set(ids)
        return len(statements)

    db.session.flush()
    one, many = count([projects[0].id]), count([p.id for p in projects])
    assert one == many <= 3
