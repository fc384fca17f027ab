"""The inspection on the phone: agenda, start, checklist with autosave, summary, finish, reopen."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from portal import transaction
from portal.auth.models import User
from portal.auth.permissions import authorise, can
from portal.auth.roles import Role
from portal.auth.services import users_with_role
from portal.auth.sessions import permission_required
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.fieldsync.actions import field_action, field_time
from portal.inspections import messages
from portal.inspections.forms import NewInspectionForm, ReopenForm, StartForm
from portal.inspections.models import Inspection, Outcome
from portal.inspections.services import (
    InspectionError, NoticeInput, can_answer, create_inspection, finish, get_answer_or_404,
    get_inspection_answer_or_404, get_inspection_or_404, inspector_agenda, load_answers, note_phone_clock,
    preview_answers, record_start, reopen, reopen_carried, save_answer, save_note, summarise,
)
from portal.inspections.history import history
from portal.inspections.progress import progress
from portal.photos.services import PhotoTarget, item_photos
from portal.photos.uploads import receive_upload, upload_error
from portal.plans.pinning import pin_page, receive_pin
from portal.plans.services import item_pins, pinned_plans
from portal.projects.models import Project, ProjectStatus
from portal.projects.services import get_project_or_404, visible_projects
from portal.inspections.scoring import percent_text
from portal.timeutil import local_today, to_local
from portal.web import db_id, render_page_or_fragment, wants_fragment

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


@bp.app_context_processor
def display_helpers() -> dict:
    """Texts and number formats the inspection templates use."""
    return {"grade_label": messages.grade_label, "percent_text": percent_text,
            "fail_reason_text": messages.fail_reason_text, "history_field": messages.history_field,
            "history_value": messages.history_value, "event_label": messages.event_label,
            "local_time": local_time_text, "item_labels": messages.item_labels}


@bp.app_template_filter("measure")
def measure(value) -> str:
    """A stored measurement without trailing zeros: 12, 0.5, 250."""
    return format(Decimal(value).normalize(), "f") if value is not None else ""


def local_time_text(value) -> str:
    """A stored UTC time as the company's local ``YYYY-MM-DD HH:MM``."""
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


@bp.get("/today")
@permission_required("inspections")
def today():
    """The inspector's home: overdue and today's inspections first, then upcoming ones."""
    todays, upcoming = inspector_agenda(current_user, local_today())
    recent = []
    if can(current_user, "inspections", "view_all"):
        recent = db.session.scalars(select(Inspection).order_by(Inspection.scheduled_date.desc(),
                                                                Inspection.id.desc()).limit(30)).all()
    return render_template("inspections/today.html", today=local_today(), todays=todays, upcoming=upcoming,
                           recent=recent, offline_pages=_offline_pages(todays))


def _offline_pages(inspections: list[Inspection]) -> dict[int, list[str]]:
    """What "prepare offline" keeps on the phone for each of today's inspections: the inspection
    (start form or checklist) first, its summary once started, and the project's concealed-works
    record; for one finished today, its signatures page (signatures are collected on site) and summary."""
    pages = {}
    for inspection in inspections:
        if inspection.is_completed:
            pages[inspection.id] = [url_for("signatures.panel", type_name="inspection", record_id=inspection.id),
                                    url_for("inspections.summary", inspection_id=inspection.id)]
            continue
        urls = [url_for("inspections.detail", inspection_id=inspection.id)]
        if inspection.is_started:
            urls.append(url_for("inspections.summary", inspection_id=inspection.id))
        urls.append(url_for("photos.concealed", project_id=inspection.project_id))
        pages[inspection.id] = urls
    return pages


@bp.route("/new", methods=["GET", "POST"])
@permission_required("inspections", "schedule")
def new():
    """Schedule an inspection (office for any inspector, an inspector for himself)."""
    form = NewInspectionForm()
    _fill_new_form_choices(form)
    if request.method == "GET":
        form.scheduled_date.data = local_today()
        form.inspector_id.data = current_user.id
        form.project_id.data = request.args.get("project", type=db_id)
    if form.validate_on_submit():
        project = get_project_or_404(form.project_id.data, current_user)
        inspector = db.session.get(User, form.inspector_id.data)
        try:
            inspection = create_inspection(project, form.scheduled_date.data, inspector, current_user)
        except InspectionError as exc:
            form.project_id.errors = [messages.error_text(exc)]
        else:
            flash(_("Inspection scheduled."), "success")
            return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    return render_template("inspections/new.html", form=form), 422 if form.errors else 200


def _fill_new_form_choices(form: NewInspectionForm) -> None:
    """Projects whose company work is complete (3.1.2), plus one picked from a project page."""
    ready = (Project.status.in_([ProjectStatus.WORK_COMPLETE.value, ProjectStatus.HANDED_OVER.value])
             | (Project.id == request.args.get("project", type=db_id, default=0))
             | (Project.id == request.form.get("project_id", type=db_id, default=0)))
    projects = db.session.scalars(visible_projects(current_user).where(ready).order_by(Project.contract_no)).all()
    form.project_id.choices = [SelectChoice(p.id, f"{p.contract_no} {p.address}") for p in projects]
    inspectors = users_with_role(Role.INSPECTOR) if can(current_user, "inspections", "assign_inspector") else [current_user]
    form.inspector_id.choices = [SelectChoice(u.id, u.display_name) for u in inspectors]


@bp.get("/<int:inspection_id>")
@login_required
def detail(inspection_id: int):
    """The inspection page: the start form until started, then the checklist."""
    inspection = get_inspection_or_404(inspection_id, current_user)
    if not inspection.is_started:
        return _start_page(inspection, _start_form(inspection))
    return render_template("inspections/detail.html", **_checklist_context(inspection))


def _checklist_context(inspection: Inspection) -> dict:
    answers = load_answers(inspection)
    earlier_pins, earlier_legend = _earlier_pins(inspection, answers)
    return {"inspection": inspection, "answers": answers, "summary": summarise(inspection, answers),
            "editable": can_answer(inspection, current_user), "start_form": _start_form(inspection),
            "photos_by_item": item_photos(inspection.id), "pins_by_item": item_pins(inspection.id),
            "can_pin": can(current_user, inspection, "conduct"), "earlier_pins": earlier_pins,
            "earlier_legend": earlier_legend}


def _earlier_pins(inspection: Inspection, answers) -> tuple[list, list[tuple[str, str]]]:
    """At a reinspection: the previous round's pins of the items checked again, numbered, with a legend."""
    if inspection.round < 2:
        return [], []
    previous = db.session.scalar(select(Inspection).where(Inspection.project_id == inspection.project_id,
                                                          Inspection.round == inspection.round - 1)
                                 .order_by(Inspection.id.desc()).limit(1))
    rechecked = [answer for answer in answers if answer.carried_from_id is None]
    pins = item_pins(previous.id, [answer.item_id for answer in rechecked]) if previous else {}
    pinned = [answer for answer in rechecked if answer.item_id in pins]
    labels = {answer.item_id: str(number) for number, answer in enumerate(pinned, start=1)}
    return (pinned_plans([(pins[item_id], label) for item_id, label in labels.items()]),
            [(labels[answer.item_id], answer.item.display_text) for answer in pinned])


def _start_form(inspection: Inspection, formdata=None) -> StartForm:
    """The start form, prefilled with what was recorded, equipment choices as of today."""
    def yes_no(value):
        return None if value is None else ("yes" if value else "no")

    form = StartForm(formdata=formdata, data=None if formdata else {
        "foreman_present": yes_no(inspection.foreman_present),
        "project_manager_present": yes_no(inspection.project_manager_present),
        "others_present": inspection.others_present,
        "handbook_present": yes_no(inspection.handbook_present),
        "equipment_ids": [use.equipment_id for use in inspection.equipment_uses]})
    form.equipment_ids.choices = [SelectChoice(e.id, messages.equipment_label(e, local_today()))
                                  for e in _equipment_choices(inspection)]
    return form


def _equipment_choices(inspection: Inspection) -> list[Equipment]:
    """Non-retired equipment, plus whatever this inspection already recorded."""
    recorded = {use.equipment_id for use in inspection.equipment_uses}
    rows = db.session.scalars(select(Equipment).order_by(Equipment.name)).all()
    return [e for e in rows if not e.retired or e.id in recorded]


def _start_page(inspection: Inspection, form: StartForm, status: int = 200):
    """The start form; for the inspector also the checklist as starting will make it, which the
    page shows when the start has to wait for a connection (field-forms.js)."""
    editable = can(current_user, inspection, "conduct")
    preview = {}
    if editable and status == 200:
        answers = preview_answers(inspection)
        preview = {"answers": answers, "summary": summarise(inspection, answers), "photos_by_item": {}}
    return render_template("inspections/start.html", inspection=inspection, form=form, editable=editable,
                           preview=preview), status


@bp.post("/<int:inspection_id>/start")
@login_required
@field_action
def start(inspection_id: int):
    """Record presence, equipment and handbook; the first time this opens the checklist."""
    inspection = get_inspection_or_404(inspection_id, current_user, "conduct")
    _note_clock(inspection)
    form = _start_form(inspection, request.form)
    if form.validate_on_submit():
        chosen = db.session.scalars(select(Equipment).where(Equipment.id.in_(form.equipment_ids.data))).all()
        try:
            with transaction.savepoint():
                record_start(inspection, current_user, foreman_present=form.foreman_present.data == "yes",
                             project_manager_present=form.project_manager_present.data == "yes",
                             others_present=form.others_present.data or "",
                             handbook_present=form.handbook_present.data == "yes", equipment=list(chosen),
                             at=field_time().happened_at)
        except InspectionError as exc:
            form.equipment_ids.errors = [messages.error_text(exc)]
        else:
            return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    if inspection.is_started:
        context = _checklist_context(inspection)
        context["start_form"] = form
        return render_template("inspections/detail.html", **context), 422
    return _start_page(inspection, form, 422)


@bp.post("/<int:inspection_id>/items/<int:item_id>")
@login_required
@field_action
def answer(inspection_id: int, item_id: int):
    """Save one answer the moment it is given; answers with the item (and live totals).

    A change based on an older version of the answer, on a field changed since, is a conflict:
    409 with both values (see :func:`_conflict_response`), nothing saved.
    """
    inspection, row = _inspectors_answer(inspection_id, item_id)
    return _apply(lambda: save_answer(
        row, current_user, outcome=request.form.get("outcome"),
        raw_value=request.form.get("value") if "value" in request.form else None,
        base_version=_base_version(), at=field_time().happened_at), ("bad_value", "bad_outcome"),
        lambda error, status: _item_response(inspection, row, error, status, typed=request.form.get("value")),
        row)


def _inspectors_answer(inspection_id: int, item_id: int):
    """Inspection and answer row for a change by its inspector (404 when hidden, 403 for office)."""
    inspection, row = get_inspection_answer_or_404(inspection_id, item_id, current_user)
    authorise(current_user, inspection, "conduct")  # after the row: another version's item is 404 for office too
    _note_clock(inspection)
    return inspection, row


def _note_clock(inspection: Inspection) -> None:
    """Keep the phone clock's offset on the inspection (the office sees a far-off clock)."""
    offset = field_time().offset
    note_phone_clock(inspection, None if offset is None else int(offset.total_seconds()))


def _base_version() -> int | None:
    """The answer version the phone based its change on (None when it did not say)."""
    return request.form.get("base_version", type=int)


def _conflict_response(row, error: str):
    """409: the server's answer and the phone's change side by side, to keep one of them."""
    response = make_response(render_template(
        "inspections/_conflict.html", answer=row, error=error, mine_outcome=request.form.get("outcome"),
        mine_value=request.form.get("value"), mine_note=request.form.get("note")), 409)
    response.headers["X-Conflict"] = "1"
    response.headers["X-Answer-Version"] = str(row.version)
    return response


def _apply(change, input_errors: tuple[str, ...], respond, row=None):
    """Run a service change; ``respond(error, status)`` gives the response.

    On success the response is rendered from the flushed state and committed at the end of the
    request: it shows exactly what is saved, and nothing is read again after the commit (every
    tap on the checklist comes through here). A failing commit replaces the rendered response
    with the error page. On refusal: message with 422 (bad input) or 409. No savepoint on this
    path (two more statements per tap): these services refuse before they change anything.
    """
    try:
        change()
    except InspectionError as exc:
        if exc.code == "conflict" and row is not None:
            return _conflict_response(row, messages.error_text(exc))
        return respond(messages.error_text(exc), 422 if exc.code in input_errors else 409)
    response = make_response(respond(None, 200))
    if row is not None:
        response.headers["X-Answer-Version"] = str(row.version)
    return response


@bp.post("/<int:inspection_id>/items/<int:item_id>/note")
@login_required
@field_action
def note(inspection_id: int, item_id: int):
    """Save an item's note."""
    inspection, row = _inspectors_answer(inspection_id, item_id)
    def respond(error: str | None, status: int):
        if not wants_fragment(f"note-state-{item_id}"):
            return redirect(url_for("inspections.detail", inspection_id=inspection.id, _anchor=f"item-{item_id}"))
        return render_template("inspections/_note_state.html", answer=row, error=error), status

    return _apply(lambda: save_note(row, current_user, request.form.get("note", ""), base_version=_base_version(),
                                    at=field_time().happened_at), ("note_too_long",), respond, row)


def _item_response(inspection: Inspection, row, error: str | None, status: int, typed: str | None = None):
    """The item fragment (+ out-of-band totals) for htmx; a redirect back for plain forms."""
    if not wants_fragment(f"item-{row.item_id}"):
        if error:
            flash(error, "error")
        return redirect(url_for("inspections.detail", inspection_id=inspection.id, _anchor=f"item-{row.item_id}"))
    figures = progress(inspection)
    category = next(c for c in figures.categories if c.category_id == row.item.category_id)
    can_pin = can(current_user, inspection, "conduct")
    # Only a failed item offers its pin: a pass or N/A tap (most of them) skips the query.
    pins = item_pins(inspection.id, [row.item_id]) if can_pin and row.outcome == Outcome.FAIL.value else {}
    return render_template("inspections/_item_response.html", inspection=inspection, answer=row, error=error,
                           typed=typed, summary=figures, cat=category, photos_by_item=item_photos(inspection.id, [row.item_id]),
                           pins_by_item=pins, can_pin=can_pin, editable=can_answer(inspection, current_user)), status


@bp.get("/<int:inspection_id>/summary")
@login_required
def summary(inspection_id: int):
    """Rates, grade or fail reasons, what blocks finishing, and the finish button."""
    inspection = get_inspection_or_404(inspection_id, current_user)
    if not inspection.is_started:
        return redirect(url_for("inspections.detail", inspection_id=inspection.id))
    return render_page_or_fragment("inspections/summary.html", "inspections/_summary.html", "summary",
                                   inspection=inspection, summary=summarise(inspection),
                                   editable=can_answer(inspection, current_user), reopen_form=ReopenForm())


@bp.post("/<int:inspection_id>/finish")
@login_required
@field_action
def finish_inspection(inspection_id: int):
    """Freeze the result, if nothing changed since the summary was shown and nothing is missing."""
    inspection = get_inspection_or_404(inspection_id, current_user, "conduct")
    _note_clock(inspection)
    notice_input, input_errors = _notice_input(inspection)
    try:
        if input_errors:
            raise InspectionError("notice_invalid", input_errors)
        with transaction.savepoint():
            finish(inspection, current_user, request.form.get("version", type=int, default=-1), notice_input,
                   at=field_time().happened_at, own_changes=request.form.get("own_changes") == "1")
    except InspectionError as exc:
        current = summarise(inspection)
        message = messages.error_text(exc)
        return render_template("inspections/summary.html", inspection=inspection, summary=current,
                               editable=can_answer(inspection, current_user), reopen_form=ReopenForm(),
                               finish_error=message, notice_input=notice_input,
                               notice_errors=exc.detail if exc.code == "notice_invalid" else {}), \
            409 if exc.code == "changed" else 422
    flash(_("Inspection finished."), "success")
    return redirect(url_for("inspections.summary", inspection_id=inspection.id))


def _notice_input(inspection: Inspection):
    """(NoticeInput or None, field errors) from the finish form: deadline, reinspection date, fixes.

    Without the fields (a passing inspection) there is no input; unreadable dates are errors,
    never silently replaced by the defaults.
    """
    if "deadline" not in request.form and "reinspection_date" not in request.form:
        return None, {}
    values, errors = {}, {}
    for name in ("deadline", "reinspection_date"):
        try:
            values[name] = date.fromisoformat(request.form.get(name, ""))
        except ValueError:
            errors[name] = _("Enter a valid date.")
    if errors:
        return None, errors
    fixes = {int(key[4:]): value[:2000] for key, value in request.form.items()
             if key.startswith("fix-") and key[4:].isdigit()}
    return NoticeInput(values["deadline"], values["reinspection_date"], fixes), {}


@bp.post("/<int:inspection_id>/items/<int:item_id>/photos")
@login_required
def upload_item_photo(inspection_id: int, item_id: int):
    """A photo of a checklist item (evidence of a failed item), through the photos' upload queue."""
    inspection = get_inspection_or_404(inspection_id, current_user)
    answer = get_answer_or_404(inspection, item_id)
    if not can_answer(inspection, current_user):
        return upload_error("locked" if inspection.is_completed else "not_allowed",
                            409 if inspection.is_completed else 403)
    return receive_upload(PhotoTarget(project=inspection.project, inspection_id=inspection.id,
                                      item_id=answer.item_id, location=answer.item.display_text[:100]))


@bp.route("/<int:inspection_id>/items/<int:item_id>/pin", methods=["GET", "POST"])
@login_required
def item_pin(inspection_id: int, item_id: int):
    """The inspector taps where on the floor plan a failed item is (GET: the plan; POST: the pin)."""
    inspection = get_inspection_or_404(inspection_id, current_user, "conduct")
    answer = get_answer_or_404(inspection, item_id)
    target = {"inspection_id": inspection.id, "item_id": answer.item_id}
    if request.method == "POST":
        return receive_pin(inspection.project, **target)
    return pin_page(inspection.project, item_pins(inspection.id, [answer.item_id]).get(answer.item_id),
                    url_for("inspections.item_pin", inspection_id=inspection.id, item_id=answer.item_id),
                    answer.item.display_text, url_for("inspections.detail", inspection_id=inspection.id,
                                                      _anchor=f"item-{answer.item_id}"), **target)


@bp.post("/<int:inspection_id>/items/<int:item_id>/reopen-carried")
@login_required
@field_action
def reopen_carried_item(inspection_id: int, item_id: int):
    """At a reinspection: check a carried-over item again because of a regression (note required)."""
    inspection, row = _inspectors_answer(inspection_id, item_id)
    return _apply(lambda: reopen_carried(row, current_user, request.form.get("note", ""), at=field_time().happened_at),
                  ("reason_required",),
                  lambda error, status: _item_response(inspection, row, error, status))


@bp.post("/<int:inspection_id>/reopen")
@login_required
def reopen_inspection(inspection_id: int):
    """Office reopens a completed inspection with a written reason."""
    inspection = get_inspection_or_404(inspection_id, current_user, "reopen")
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            with transaction.savepoint():
                reopen(inspection, current_user, form.reason.data)
        except InspectionError as exc:
            form.reason.errors = [messages.error_text(exc)]
        else:
            flash(_("Inspection reopened."), "success")
            return redirect(url_for("inspections.summary", inspection_id=inspection.id))
    return render_template("inspections/summary.html", inspection=inspection, summary=summarise(inspection),
                           editable=False, reopen_form=form), 422


@bp.get("/<int:inspection_id>/history")
@login_required
def inspection_history(inspection_id: int):
    """Every answer change and lifecycle event."""
    inspection = get_inspection_or_404(inspection_id, current_user)
    return render_template("inspections/history.html", inspection=inspection, rows=history(inspection))
