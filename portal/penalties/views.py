"""Office: the penalty register with filters, CSV export for HR, and annulment with a reason."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.sessions import permission_required
from portal.csvexport import csv_response
from portal.extensions import db
from portal.params import arg_choice, arg_date, arg_id
from portal.penalties.models import Penalty, PenaltyKind
from portal.projects.models import Project
from portal.timeutil import local_day_start_utc, to_local, utcnow
from portal.web import link_args

bp = Blueprint("penalties", __name__, url_prefix="/penalties")

REASON_LABELS = {"handbook_missing": "Project handbook missing"}


def reason_text(reason: str) -> str:
    """Why the penalty was recorded, in the user's language."""
    if reason == "handbook_missing":
        return _("Project handbook (工程管理手册) not brought")
    if reason.startswith("round_") and reason.endswith("_failed"):
        return _("Pre-acceptance round %(n)s failed", n=reason.split("_")[1])
    if reason.startswith("complaint_") and reason.endswith("_repeat"):  # recorded by after-sales (000 投诉处理制度 5)
        return _("Second complaint on the same matter: complaint #%(id)s was not handled well", id=reason.split("_")[1])
    return reason


def _filtered():
    """The register filtered by person name, kind, period and annulled state from the query string."""
    query = (select(Penalty).join(Project, Project.id == Penalty.project_id)
             .options(selectinload(Penalty.person)).order_by(Penalty.created_at.desc(), Penalty.id.desc()))
    kind = arg_choice("kind", PenaltyKind)
    if kind is not None:
        query = query.where(Penalty.kind == kind.value)
    person = arg_id("person")
    if person is not None:
        query = query.where(Penalty.person_id == person)
    # The list shows company-local dates; stored times are UTC.
    start, end = arg_date("from"), arg_date("to")
    if start is not None:
        query = query.where(Penalty.created_at >= local_day_start_utc(start))
    if end is not None:
        query = query.where(Penalty.created_at < local_day_start_utc(end + timedelta(days=1)))
    if not request.args.get("annulled"):
        query = query.where(Penalty.annulled_at.is_(None))
    return query


@bp.get("/")
@permission_required("penalties")
def index():
    """The register (HTML), or CSV for HR with ?format=csv (UTF-8 with BOM, opens in Excel)."""
    rows = db.session.scalars(_filtered().limit(5000)).all()
    if request.args.get("format") == "csv":
        return _csv(rows)
    return render_template("penalties/index.html", rows=rows, kinds=list(PenaltyKind), reason_text=reason_text,
                           args=request.args, csv_args=link_args("format"))


def _csv(rows: list[Penalty]) -> Response:
    projects = {p.id: p.contract_no for p in db.session.scalars(
        select(Project).where(Project.id.in_({r.project_id for r in rows})))}
    header = [_("Date"), _("Person"), _("Role"), _("Kind"), _("Amount (¥)"), _("No new orders until"), _("Reason"),
              _("Project"), _("Annulled"), _("Annul reason")]
    return csv_response("penalties.csv", header, (
        [f"{to_local(row.created_at):%Y-%m-%d}", row.person.display_name, row.role, row.kind_label, row.amount or "",
         row.order_stop_until or "", reason_text(row.reason), projects.get(row.project_id, ""),
         f"{to_local(row.annulled_at):%Y-%m-%d}" if row.annulled_at else "", row.annul_reason] for row in rows))


@bp.post("/<int:penalty_id>/annul")
@permission_required("penalties", "annul")
def annul(penalty_id: int):
    """Annul a penalty with a written reason; it stays on record."""
    penalty = db.session.get(Penalty, penalty_id)
    if penalty is None:
        abort(404)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Write why the penalty is annulled."), "error")
        return render_template("penalties/index.html", rows=db.session.scalars(_filtered().limit(5000)).all(),
                               kinds=list(PenaltyKind), reason_text=reason_text, args=request.args,
                               csv_args=link_args("format")), 422
    if penalty.annulled_at is None:
        penalty.annulled_at, penalty.annulled_by_id, penalty.annul_reason = utcnow(), current_user.id, reason[:1000]
        flash(_("Penalty annulled."), "success")
    return redirect(url_for("penalties.index"))

