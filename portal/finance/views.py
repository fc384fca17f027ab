"""Finance: look a project up before paying the completion settlement; ready list; payments."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.sessions import permission_required
from portal.certificates.models import PassCertificate
from portal.csvexport import csv_response
from portal.extensions import db
from portal.finance import services
from portal.finance.forms import PaymentForm
from portal.finance.models import SettlementPayment
from portal.finance.settlement import load_facts, settlement
from portal.params import arg_date
from portal.inspections.messages import grade_label
from portal.projects.models import Project
from portal.projects.services import get_project_or_404, search_projects
from portal.timeutil import local_day_start_utc, local_today, to_local
from portal.web import render_page_or_fragment

bp = Blueprint("finance", __name__, url_prefix="/finance")


def status_text(result, facts) -> str:
    """The project's pre-acceptance status in words."""
    if result.status == "passed":
        return _("Passed (%(grade)s) on %(date)s · certificate %(no)s", grade=grade_label(facts.passed_grade),
                 date=facts.passed_on.isoformat() if facts.passed_on else "—", no=facts.certificate_no)
    if result.status == "certificate_revoked":
        return _("Certificate %(no)s revoked", no=facts.certificate_no)
    if result.status == "certificate_pending":
        return _("Passed (%(grade)s), certificate not issued yet", grade=grade_label(facts.passed_grade))
    if result.status == "in_rectification":
        return _("In rectification (round %(n)s), deadline %(d)s", n=facts.open_notice_round,
                 d=facts.open_notice_deadline.isoformat())
    if result.status == "in_progress":
        return _("Inspected, not passed yet")
    return _("Not yet inspected")


def reason_text(reason: str) -> str:
    """Why the settlement is (not) allowed."""
    return {
        "valid_certificate": _("Settlement allowed: valid pass certificate."),
        "certificate_revoked": _("Settlement not allowed: the certificate was revoked."),
        "certificate_not_issued": _("Settlement not allowed: the office has not issued the certificate yet."),
        "rectification_open": _("Settlement not allowed: rectification is open."),
        "not_passed_yet": _("Settlement not allowed: pre-acceptance not passed."),
        "no_inspection": _("Settlement not allowed: no pre-acceptance yet."),
    }[reason]


def _rows(projects: list[Project]) -> list[dict]:
    facts = load_facts([p.id for p in projects])
    today = local_today()
    rows = []
    for project in projects:
        result = settlement(facts[project.id], today)
        rows.append({"project": project, "facts": facts[project.id], "result": result,
                     "status": status_text(result, facts[project.id]), "reason": reason_text(result.reason)})
    return rows


@bp.get("/")
@permission_required("settlement")
def lookup():
    """Search by 档案号, address or owner; each project with its status and whether settlement is allowed."""
    q = request.args.get("q", "")[:100]
    projects = db.session.scalars(search_projects(current_user, q).limit(50)).all() if q.strip() else []
    return render_page_or_fragment("finance/lookup.html", "finance/_results.html", "finance-results",
                                   q=q, rows=_rows(list(projects)))


def _period() -> tuple[date, date]:
    """``?from=&to=``: this month so far by default; dates outside the business window are a 400."""
    today = local_today()
    return arg_date("from", today.replace(day=1)), arg_date("to", today)


@bp.get("/ready")
@permission_required("settlement")
def ready():
    """Projects whose certificate was issued in a period and is valid: ready for settlement (CSV: UTF-8 BOM)."""
    start, end = _period()
    rows = db.session.scalars(
        select(PassCertificate).where(PassCertificate.revoked_at.is_(None),
                                      PassCertificate.issued_at >= local_day_start_utc(start),
                                      PassCertificate.issued_at < local_day_start_utc(end + timedelta(days=1)))
        .order_by(PassCertificate.issued_at)).all()
    paid = {p.project_id: p for p in db.session.scalars(select(SettlementPayment).where(
        SettlementPayment.project_id.in_([c.project_id for c in rows])))}
    if request.args.get("format") == "csv":
        return _ready_csv(rows, paid)
    return render_template("finance/ready.html", rows=rows, paid=paid, start=start, end=end, grade_label=grade_label)


def _ready_csv(rows, paid) -> Response:
    """The ready list for Excel.

    The contract no. and amount are the project's present ones (what the accounting system pays
    against); address, owner, foreman and grade are as printed on the certificate, frozen at issue
    (the foreman who did the work and signed is the one whose settlement is due).
    """
    header = [_("Contract no."), _("Address"), _("Owner"), _("Foreman"), _("Grade"), _("Certificate"), _("Issued"),
              _("Contract amount"), _("Paid on")]
    return csv_response("settlement-ready.csv", header, (
        [c.project.contract_no, c.facts["address"], c.facts["owner"], c.facts["foreman"], grade_label(c.grade),
         c.number, f"{to_local(c.issued_at):%Y-%m-%d}", c.project.contract_amount,
         paid[c.project_id].paid_on.isoformat() if c.project_id in paid else ""] for c in rows))


@bp.post("/projects/<int:project_id>/payment")
@permission_required("settlement", "record_payment")
def record_payment(project_id: int):
    """Finance records the settlement payment (only when the settlement is allowed)."""
    project = get_project_or_404(project_id, current_user)
    facts = load_facts([project.id])[project.id]
    result = settlement(facts, local_today())
    form = PaymentForm()
    if not form.validate_on_submit() or not result.allowed:
        errors = ([] if result.allowed else [reason_text(result.reason)]) + form.messages()
        return render_template("finance/lookup.html", q=project.contract_no, rows=_rows([project]),
                               errors=errors), 422
    services.record_payment(project, facts, current_user, paid_on=form.paid_on.data, amount=form.amount.data,
                            reference=form.reference.data)
    flash(_("Payment recorded."), "success")
    return redirect(url_for("finance.lookup", q=project.contract_no))
