"""The office's home (dashboard), the weekly and monthly reports, and the monthly excellent-site award."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.aftercare.figures import figures_for
from portal.auth.sessions import permission_required
from portal.dashboard import awards as site_awards
from portal.dashboard import freshness, queries
from portal.dashboard.charts import dashboard_charts
from portal.dashboard.forms import AwardMonthForm, ConfirmAwardsForm, FilterForm, ReportForm
from portal.dashboard.periods import Period, PeriodKind, first_of_month, report_month, report_week, shift_month
from portal.dashboard.rates import percent_text
from portal.csvexport import csv_response
from portal.i18n import current_language
from portal.dashboard.tables import Table, build_tables, complaint_tables, headlines
from portal.pdf import render_pdf
from portal.timeutil import local_now, local_today, utcnow
from portal.web import link_args, render_page_or_fragment

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

REPORT_PERIODS = {"weekly": report_week, "monthly": report_month}
ONE_DAY = timedelta(days=1)


# --- dashboard ----------------------------------------------------------------------------------

@bp.get("/")
@permission_required("dashboard")
def index():
    """Office home: today and this week, quality, most failed items, per person; ``?format=csv&table=<key>``."""
    version = freshness.current_version()
    form = _filter_form(version)
    if not form.validate():
        return _dashboard_page(form, status=422)
    today = local_today()
    period, filters = form.chosen_period(today), form.filters()
    figures = freshness.cached(("dashboard", period, filters, today, current_language()),
                               lambda: queries.collect(period, filters, today), version)
    as_csv = request.args.get("format") == "csv"
    tables = {**build_tables(figures, site_awards.latest_confirmed(today), for_page=not as_csv),
              **_complaint_tables(report_week(min(today, period.end)), report_month(min(today, period.end)))}
    if as_csv:
        return _csv(tables, request.args.get("table", ""))
    return _dashboard_page(form, figures=figures, tables=tables)


def _filter_form(version: int | None) -> FilterForm:
    """The period and filter form, read from the query string, with its drop-downs filled.

    The drop-downs' studios and people are kept like the figures (``version``: the data version
    read for them): a company four times larger has four times the projects to list its studios from.
    """
    form = FilterForm(formdata=request.args)
    form.set_choices(*freshness.cached("dashboard-filter-choices", queries.filter_choices, version))
    return form


def _dashboard_page(form: FilterForm, *, figures=None, tables=None, status: int = 200):
    """The page, or its body only when htmx swaps ``#dashboard-body`` (the filter form)."""
    csv_args = link_args("format", "table")
    return render_page_or_fragment(
        "dashboard/index.html", "dashboard/_body.html", "dashboard-body", status=status, form=form,
        figures=figures, tables=tables, charts=dashboard_charts(figures) if figures else {},
        headlines=headlines(figures) if figures else [], csv_args=csv_args)


def _complaint_tables(*periods: Period) -> dict[str, Table]:
    """Complaint figures of report ``periods`` (000 第三节 9: reported weekly and monthly), per foreman
    for the last of them. The dashboard shows the report week and month containing the period it shows."""
    figures = figures_for([(period.start, period.end) for period in periods], utcnow())
    labels = [_("Week %(period)s", period=p.label) if p.kind == PeriodKind.REPORT_WEEK
              else _("Month %(period)s", period=p.label) for p in periods]
    return complaint_tables(list(zip(labels, figures)), (periods[-1].label, figures[-1]))


def _csv(tables: dict, key: str) -> Response:
    """One table as a CSV download (UTF-8 with BOM, opens in Excel)."""
    table = tables.get(key)
    if table is None:
        abort(404)
    return csv_response(f"dashboard-{key}.csv", [column.label for column in table.columns], table.rows)


# --- reports ------------------------------------------------------------------------------------

@bp.get("/reports/<any(weekly, monthly):kind>")
@permission_required("dashboard", "report")
def report(kind: str):
    """The printable weekly (Wednesday) or monthly (25th) report; ``?day=`` picks the period containing it."""
    form = ReportForm(formdata=request.args)
    if not form.validate():
        return render_template("dashboard/report.html", kind=kind, form=form, report=None), 422
    return render_template("dashboard/report.html", kind=kind, form=form, report=_report_data(kind, form.day.data))


@bp.get("/reports/<any(weekly, monthly):kind>/pdf")
@permission_required("dashboard", "report")
def report_pdf(kind: str):
    """The same report as a PDF for management."""
    form = ReportForm(formdata=request.args)
    if not form.validate():
        return render_template("dashboard/report.html", kind=kind, form=form, report=None), 422
    data = _report_data(kind, form.day.data)
    response = Response(render_pdf("dashboard/report_pdf.html", report=data), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="report-{kind}-{data["period"].end.isoformat()}.pdf"')
    return response


def _report_data(kind: str, day: date | None) -> dict:
    """Plain data for the report templates (HTML and PDF): period, headlines, tables, charts."""
    today = local_today()
    period = REPORT_PERIODS[kind](day or today)
    figures = queries.collect(period, queries.Filters(), min(today, period.end))
    return {"kind": kind, "period": period, "previous_day": period.start - ONE_DAY,
            "next_day": period.end + ONE_DAY, "company": current_app.config["COMPANY_NAME"],
            "generated": f"{local_now():%Y-%m-%d %H:%M}", "headlines": headlines(figures),
            "tables": {**build_tables(figures, site_awards.latest_confirmed(period.end)), **_complaint_tables(period)},
            "charts": dashboard_charts(figures)}


# --- awards -------------------------------------------------------------------------------------

@bp.get("/awards")
@permission_required("awards")
def awards():
    """A month's ranking and award proposal (default: last month), or its confirmed awards."""
    form = AwardMonthForm(formdata=request.args)
    if not form.validate():
        return _awards_page(_last_month(), status=422, month_form=form)
    return _awards_page(first_of_month(form.month.data) if form.month.data else _last_month(), month_form=form)


@bp.post("/awards")
@permission_required("awards", "confirm")
def confirm_awards():
    """Office confirms the proposal it saw; the awarded foremen are told."""
    form = ConfirmAwardsForm()
    if not form.validate_on_submit():
        month = first_of_month(form.month.data) if form.month.data and not form.month.errors else _last_month()
        return _awards_page(month, status=422, error=_("Choose a month and confirm the proposal shown."))
    month = first_of_month(form.month.data)
    try:
        with transaction.savepoint():
            site_awards.confirm(month, form.seen_ids(), current_user, local_today())
    except site_awards.AwardError as exc:
        status = 409 if exc.code in ("already_confirmed", "changed") else 422
        return _awards_page(month, status=status, error=site_awards.error_text(exc))
    except IntegrityError:  # another office confirmed the same month at the same moment
        already = site_awards.AwardError("already_confirmed")
        return _awards_page(month, status=409, error=site_awards.error_text(already))
    flash(_("Awards of %(month)s confirmed.", month=f"{month:%Y-%m}"), "success")
    return redirect(url_for("dashboard.awards", month=f"{month:%Y-%m}"), 303)


def _last_month() -> date:
    """The first day of last month (the month whose awards are due)."""
    return shift_month(first_of_month(local_today()), -1)


def _awards_page(month: date, *, status: int = 200, error: str | None = None,
                 month_form: AwardMonthForm | None = None):
    """The ranking of ``month`` with the proposal, or with the confirmed awards once confirmed."""
    ranked = site_awards.rank_candidates(site_awards.candidates(month))
    confirmed = site_awards.confirmed(month)
    awarded_projects = {a.project_id for a in confirmed}
    chosen = [c for c in ranked if c.project_id in awarded_projects] if confirmed else site_awards.proposal(ranked)
    confirm_form = ConfirmAwardsForm(formdata=None, data={
        "month": month, "proposal": ",".join(str(c.inspection_id) for c in chosen)})
    return render_template(
        "dashboard/awards.html", month=month, ranked=ranked, chosen={c.inspection_id for c in chosen},
        confirmed=confirmed, confirm_form=confirm_form,
        month_form=month_form or AwardMonthForm(formdata=None, data={"month": month}), error=error,
        month_over=month < first_of_month(local_today()), previous_month=shift_month(month, -1),
        next_month=shift_month(month, 1), score_text=lambda score: percent_text(score, places=2)), status


@bp.get("/awards/mine")
@permission_required("my_awards")
def my_awards():
    """A foreman's excellent-site awards."""
    return render_template("dashboard/my_awards.html", awards=site_awards.awards_of_foreman(current_user.id))
