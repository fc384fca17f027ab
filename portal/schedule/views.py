"""The weekly schedule: engineering's list, office's week, the inspector's week and calendar feed."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import transaction
from portal.auth.models import User
from portal.auth.permissions import can
from portal.auth.roles import Role
from portal.auth.services import users_with_role
from portal.auth.sessions import permission_required
from portal.extensions import db, limiter
from portal.inspections.services import get_inspection_or_404
from portal.params import arg_date
from portal.projects.models import Project
from portal.schedule import calendar as feeds
from portal.schedule import rules, services
from portal.schedule.forms import AddEntryForm, RescheduleForm, ScheduleEntryForm, inspector_choices
from portal.schedule.models import SubmissionEntry
from portal.schedule.services import ScheduleError
from portal.timeutil import local_now, local_today
from portal.web import render_page_or_fragment, wants_fragment

bp = Blueprint("schedule", __name__, url_prefix="/schedule")

FEED_LIMIT = "30 per minute"
BOARD_ID = "week-board"

# Which form field shows a refusal; the others show above the form.
ERROR_FIELDS = {"reason_required": "owner_delay_reason", "not_inspector": "inspector_id",
                "date_past": "scheduled_date", "unchanged": "scheduled_date", "slot_taken": "scheduled_time",
                "late_reason_required": "reason"}


def error_text(exc: ScheduleError) -> str:
    """Why the schedule refused, naming the project (or inspector) concerned."""
    detail = exc.detail
    if exc.code == "blocked":
        return " ".join(error_text(ScheduleError(code, project)) for project, code in detail)
    no = detail.contract_no if isinstance(detail, Project) else ""
    if exc.code == "slot_taken":
        return _("%(name)s already has an inspection at %(when)s (%(no)s). Choose another time or inspector.",
                 name=detail.inspector.display_name, when=services.slot_text(detail.scheduled_date, detail.scheduled_time),
                 no=detail.project.contract_no)
    return {
        "not_complete": _("%(no)s: the company's work is not complete. List it only with the owner's delay and its reason.", no=no),
        "reason_required": _("Write the reason for the owner's delay."),
        "open_inspection": _("%(no)s already has an inspection that is not finished; it cannot be listed for another one.", no=no),
        "already_passed": _("%(no)s has already passed pre-acceptance.", no=no),
        "open_notice": _("%(no)s has an open rectification notice: its reinspection is scheduled from the notice.", no=no),
        "already_listed": _("%(no)s is already on this list.", no=no),
        "already_scheduled": _("%(no)s is already scheduled.", no=no),
        "empty": _("The list is empty. Add at least one project before submitting."),
        "not_submitted": _("Engineering has not submitted this list yet."),
        "not_inspector": _("Choose an active inspector."),
        "date_past": _("This date and time has passed."),
        "started": _("This inspection has started; it can no longer be moved."),
        "unchanged": _("Choose a different date or time."),
        "late_reason_required": _("This change is less than 24 hours before the slot: write the reason. "
                                  "It will be flagged as a late change."),
        "no_template": _("There is no published checklist. Ask the office to publish one."),
    }.get(exc.code, _("This is not possible now."))


def _report(form, exc: ScheduleError, default_field: str | None = None) -> None:
    """Put the refusal on the field it concerns (or the form's own error list)."""
    text = error_text(exc)
    name = ERROR_FIELDS.get(exc.code, default_field)
    if name is not None:
        getattr(form, name).errors = [*getattr(form, name).errors, text]
    else:
        form.form_errors.append(text)


@bp.app_template_global()
def schedule_slot(day: date, slot) -> str:
    """``2026-11-26 09:00`` for the schedule templates."""
    return services.slot_text(day, slot)


@bp.app_template_global()
def weekday_name(day: date) -> str:
    """The day's name in the user's language (Thursday, 星期四)."""
    return format_date(day, "EEEE")


# --- engineering's weekly list ---------------------------------------------------------------

@bp.get("/submissions")
@permission_required("weekly_list")
def submissions():
    """Engineering's home: next week's list, due Wednesday; office sees it read-only."""
    return _submissions_page(AddEntryForm())


def _submissions_page(form: AddEntryForm, status: int = 200, error: str | None = None):
    start = rules.next_week_start(local_today())
    submission = services.find_submission(start)
    form.fill(*services.candidate_projects(submission))
    entries = submission.entries if submission else []
    return render_template(
        "schedule/submissions.html", form=form, start=start, end=start + timedelta(days=6),
        thursday=rules.inspection_day(start), submission=submission, deadline=rules.submission_deadline(start),
        entries=entries, scheduled=services.scheduled_inspections(entries),
        past_deadline=rules.is_late(local_now(), start),
        can_edit=can(current_user, "weekly_list", "edit"), added_late=services.entry_added_late, error=error), status


@bp.post("/submissions/entries")
@permission_required("weekly_list", "edit")
def add_entry():
    """Put a project on next week's list (work complete, or the owner's delay with its reason)."""
    form = AddEntryForm()
    form.project_id.validate_choice = False  # any project: the service says why one cannot be listed
    if not form.validate_on_submit():
        return _submissions_page(form, 422)
    project = db.session.get(Project, form.project_id.data)
    if project is None:
        form.project_id.errors = [_("Choose a project.")]
        return _submissions_page(form, 422)
    try:
        with transaction.savepoint():  # a refusal leaves no empty list behind either
            services.add_entry(services.get_or_create_submission(rules.next_week_start(local_today())), project,
                               current_user, owner_delay=form.owner_delay.data,
                               reason=form.owner_delay_reason.data or "")
    except ScheduleError as exc:
        _report(form, exc, "project_id")
        return _submissions_page(form, 422)
    except IntegrityError:  # the same project added by another request a moment ago
        form.project_id.errors = [error_text(ScheduleError("already_listed", project))]
        return _submissions_page(form, 422)
    flash(_("%(no)s added to the list.", no=project.contract_no), "success")
    return redirect(url_for("schedule.submissions"), 303)


@bp.post("/submissions/entries/<int:entry_id>/remove")
@permission_required("weekly_list", "edit")
def remove_entry(entry_id: int):
    """Take a project off the list before office schedules it."""
    entry = services.get_entry_or_404(entry_id, current_user, "remove")
    contract_no = entry.project.contract_no
    try:
        with transaction.savepoint():
            services.remove_entry(entry)
    except ScheduleError as exc:
        return _submissions_page(AddEntryForm(formdata=None), 409, error=error_text(exc))
    flash(_("%(no)s removed from the list.", no=contract_no), "success")
    return redirect(url_for("schedule.submissions"), 303)


@bp.post("/submissions/submit")
@permission_required("weekly_list", "edit")
def submit():
    """Hand next week's list to office (late after Wednesday)."""
    submission = services.find_submission(rules.next_week_start(local_today()))
    try:
        if submission is None:
            raise ScheduleError("empty")
        with transaction.savepoint():
            sent = services.submit(submission, current_user)
    except ScheduleError as exc:
        return _submissions_page(AddEntryForm(formdata=None), 422, error=error_text(exc))
    if not sent:
        flash(_("The list was submitted already."), "success")
    elif submission.late:
        flash(_("List submitted after the Wednesday deadline; it is marked late."), "warning")
    else:
        flash(_("List submitted to the office."), "success")
    return redirect(url_for("schedule.submissions"), 303)


# --- office's week ---------------------------------------------------------------------------

@bp.get("/week")
@permission_required("week_schedule")
def week():
    """The office's week: submitted projects to schedule, then every inspection by day."""
    return _week_response(_week_param())


def _week_param() -> date:
    return rules.week_start(arg_date("start", rules.office_default_week(local_today())))


def _week_response(start: date, status: int = 200, posted: dict | None = None, message: str | None = None,
                   error: str | None = None):
    """The week page, or only its board for htmx forms aimed at it; ``posted`` keeps a form with errors.

    Refusals answer 422 (htmx swaps it in; other 4xx would go to the error area instead).
    """
    inspectors = users_with_role(Role.INSPECTOR)
    posted = posted or {}
    entries = services.unscheduled_entries(start)
    inspections = services.week_inspections(start)
    schedule_forms = {e.id: posted.get(("entry", e.id)) or _schedule_form(e, start) for e in entries}
    reschedule_forms = {i.id: posted.get(("inspection", i.id)) or _reschedule_form(i)
                        for i in inspections if not i.is_started}
    for form in schedule_forms.values():
        form.inspector_id.choices = inspector_choices(inspectors)
    return render_page_or_fragment(
        "schedule/week.html", "schedule/_board.html", BOARD_ID, status, start=start, entries=entries,
        submission=services.find_submission(start), days=services.by_day(inspections, start),
        schedule_forms=schedule_forms, reschedule_forms=reschedule_forms, today=local_today(), message=message,
        error=error,
        prev_week=start - timedelta(days=7), next_week=start + timedelta(days=7),
        deadline=rules.submission_deadline(start))


def _hidden_form_error(exc: ScheduleError) -> str | None:
    """The refusal, for the top of the board, when its form is no longer shown (scheduled or started meanwhile)."""
    return error_text(exc) if exc.code in ("already_scheduled", "started", "not_submitted") else None


def _schedule_form(entry: SubmissionEntry, start: date, formdata=None) -> ScheduleEntryForm:
    return ScheduleEntryForm(formdata=formdata, prefix=f"entry-{entry.id}",
                             data={"scheduled_date": max(rules.inspection_day(start), local_today()),
                                   "scheduled_time": rules.TIME_SLOTS[0].strftime("%H:%M")})


def _reschedule_form(inspection, formdata=None) -> RescheduleForm:
    slot = inspection.scheduled_time or rules.TIME_SLOTS[0]
    return RescheduleForm(formdata=formdata, prefix=f"insp-{inspection.id}",
                          data={"scheduled_date": inspection.scheduled_date, "scheduled_time": slot.strftime("%H:%M")})


@bp.post("/entries/<int:entry_id>/schedule")
@permission_required("week_schedule", "schedule")
def schedule_entry(entry_id: int):
    """Office gives a listed project its inspector, date and time; foreman and PM are notified."""
    entry = services.get_entry_or_404(entry_id, current_user, "schedule")
    start = entry.submission.week_start
    form = ScheduleEntryForm(prefix=f"entry-{entry.id}")
    form.inspector_id.choices = inspector_choices(users_with_role(Role.INSPECTOR))
    if not form.validate_on_submit():
        return _week_response(start, 422, {("entry", entry.id): form})
    try:
        with transaction.savepoint():
            inspection = services.schedule_entry(entry, db.session.get(User, form.inspector_id.data),
                                                 form.scheduled_date.data, form.scheduled_time.slot, current_user)
    except ScheduleError as exc:
        _report(form, exc)
        return _week_response(start, 422, {("entry", entry_id): form}, error=_hidden_form_error(exc))
    message = _("%(no)s scheduled for %(when)s.", no=inspection.project.contract_no,
                when=services.slot_text(inspection.scheduled_date, inspection.scheduled_time))
    return _after_change(start, message)


@bp.post("/inspections/<int:inspection_id>/reschedule")
@permission_required("week_schedule", "reschedule")
def reschedule(inspection_id: int):
    """Move an inspection; less than 24 hours before its slot only with a reason, flagged as late."""
    inspection = get_inspection_or_404(inspection_id, current_user, "reschedule")
    start = _week_param() if request.args.get("start") else rules.week_start(inspection.scheduled_date)
    form = RescheduleForm(prefix=f"insp-{inspection.id}")
    if not form.validate_on_submit():
        return _week_response(start, 422, {("inspection", inspection.id): form})
    try:
        with transaction.savepoint():
            late = services.reschedule(inspection, form.scheduled_date.data, form.scheduled_time.slot,
                                       form.reason.data or "", current_user)
    except ScheduleError as exc:
        _report(form, exc)
        return _week_response(start, 422, {("inspection", inspection_id): form}, error=_hidden_form_error(exc))
    when = services.slot_text(inspection.scheduled_date, inspection.scheduled_time)
    message = (_("%(no)s moved to %(when)s — flagged as a late change.", no=inspection.project.contract_no, when=when)
               if late else _("%(no)s moved to %(when)s.", no=inspection.project.contract_no, when=when))
    return _after_change(start, message)


def _after_change(start: date, message: str):
    """htmx gets the refreshed board with the message; a plain form post is redirected (PRG)."""
    if wants_fragment(BOARD_ID):
        return _week_response(start, message=message)
    flash(message, "success")
    return redirect(url_for("schedule.week", start=start.isoformat()), 303)


# --- the inspector's week and calendar feed --------------------------------------------------

@bp.get("/mine")
@permission_required("my_week")
def mine():
    """The inspector's week on the phone, by day."""
    start = rules.week_start(arg_date("start", local_today()))
    inspections = services.week_inspections(start, inspector=current_user)
    return render_template("schedule/mine.html", start=start, days=services.by_day(inspections, start),
                           today=local_today(), prev_week=start - timedelta(days=7),
                           next_week=start + timedelta(days=7))


@bp.get("/calendar")
@permission_required("my_week")
def calendar():
    """Whether the inspector's feed URL is in force; create, regenerate or revoke it."""
    return _calendar_page(None)


@bp.post("/calendar")
@permission_required("my_week", "share_calendar")
def create_calendar():
    """A new feed URL (the old one stops working); shown on this page once."""
    token = feeds.create_calendar_token(current_user)
    return _calendar_page(token)


@bp.post("/calendar/revoke")
@permission_required("my_week", "share_calendar")
def revoke_calendar():
    """The feed URL stops working at once."""
    feeds.revoke_calendar_tokens(current_user)
    flash(_("The calendar link no longer works."), "success")
    return redirect(url_for("schedule.calendar"), 303)


def _calendar_page(token: str | None):
    feed_url = webcal_url = None
    if token:
        path = url_for("schedule.ics_feed", token=token)
        feed_url = current_app.config["BASE_URL"].rstrip("/") + path
        webcal_url = "webcal://" + feed_url.split("://", 1)[-1]
    response = Response(render_template("schedule/calendar.html", active=feeds.active_calendar_token(current_user),
                                        feed_url=feed_url, webcal_url=webcal_url))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/ics/<token>.ics")
@limiter.limit(FEED_LIMIT)
def ics_feed(token: str):
    """Public by secret URL (no login): the inspector's inspections as text/calendar."""
    user = feeds.calendar_owner(token)
    if user is None:
        abort(404)
    response = Response(feeds.calendar_text(user, local_today()), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="inspections.ics"'
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
