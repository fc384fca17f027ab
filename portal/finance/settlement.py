"""May the foreman's completion settlement be paid? One rule, one function (000, 3.1.4).

Only proof of a passed pre-acceptance lets the foreman settle with finance: a valid pass
certificate. Everything else says why not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from portal.certificates.models import PassCertificate
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.rectification.models import OPEN_NOTICE_STATES, RectificationNotice
from portal.timeutil import to_local


@dataclass(frozen=True)
class ProjectFacts:
    """What the rule needs to know about a project (plain values, loaded in bulk)."""

    inspected: bool
    open_notice_round: int | None = None
    open_notice_deadline: date | None = None
    passed_grade: str | None = None
    passed_on: date | None = None
    certificate_no: str | None = None
    certificate_issued_at: datetime | None = None
    certificate_revoked_at: datetime | None = None
    overall_rate: float | None = None


@dataclass(frozen=True)
class Settlement:
    """The answer: a status code, allowed or not, and the reason code."""

    status: str   # not_inspected / in_progress / in_rectification / passed / certificate_pending / certificate_revoked
    allowed: bool
    reason: str
    overdue: bool = False


def settlement(facts: ProjectFacts, today: date) -> Settlement:
    """The settlement rule."""
    if facts.certificate_no and facts.certificate_revoked_at is None:
        return Settlement("passed", True, "valid_certificate")
    if facts.certificate_no:
        return Settlement("certificate_revoked", False, "certificate_revoked")
    if facts.passed_grade:
        return Settlement("certificate_pending", False, "certificate_not_issued")
    if facts.open_notice_round is not None:
        overdue = facts.open_notice_deadline is not None and facts.open_notice_deadline < today
        return Settlement("in_rectification", False, "rectification_open", overdue)
    if facts.inspected:
        return Settlement("in_progress", False, "not_passed_yet")
    return Settlement("not_inspected", False, "no_inspection")


# Built once (docs/ARCHITECTURE.md, "Hot statements"): every settlement answer asks
# (the accounting API per contract, finance's lists per page).
_IDS = bindparam("ids", expanding=True)
_INSPECTIONS = select(Inspection.project_id, Inspection.passed, Inspection.grade, Inspection.finished_at,
                      Inspection.overall_rate).where(Inspection.project_id.in_(_IDS))
_OPEN_NOTICES = (select(RectificationNotice.project_id, func.max(RectificationNotice.round).label("round"),
                        func.min(RectificationNotice.deadline).label("deadline"))
                 .where(RectificationNotice.project_id.in_(_IDS), RectificationNotice.status.in_(OPEN_NOTICE_STATES))
                 .group_by(RectificationNotice.project_id))
_CERTIFICATES = select(PassCertificate).where(PassCertificate.project_id.in_(_IDS)).order_by(PassCertificate.issued_at)


def load_facts(project_ids: list[int]) -> dict[int, ProjectFacts]:
    """ProjectFacts for many projects in three queries (no per-project queries)."""
    if not project_ids:
        return {}
    inspected, passed = set(), {}
    # A project has a few inspections (its rounds): all of them in one query tell both whether it
    # was inspected and which round passed.
    ids = {"ids": list(project_ids)}
    for row in db.session.execute(_INSPECTIONS, ids):
        inspected.add(row.project_id)
        if row.passed:
            passed[row.project_id] = row
    notices = {row.project_id: row for row in db.session.execute(_OPEN_NOTICES, ids)}
    certificates = {row.project_id: row for row in db.session.scalars(_CERTIFICATES, ids)}
    facts = {}
    for pid in project_ids:
        p, n, c = passed.get(pid), notices.get(pid), certificates.get(pid)
        facts[pid] = ProjectFacts(
            inspected=pid in inspected, open_notice_round=n.round if n else None,
            open_notice_deadline=n.deadline if n else None, passed_grade=p.grade if p else None,
            passed_on=to_local(p.finished_at).date() if p and p.finished_at else None,
            certificate_no=c.number if c else None, certificate_issued_at=c.issued_at if c else None,
            certificate_revoked_at=c.revoked_at if c else None,
            overall_rate=float(p.overall_rate) if p and p.overall_rate is not None else None)
    return facts
