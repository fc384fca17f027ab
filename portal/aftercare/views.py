"""After-sales pages for staff: completion acceptance and handover, repairs, complaints, deductions."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectChoice
import segno

from portal import transaction
from portal.aftercare import complaint_handling, complaint_penalty, owner_links, repair_requests, services, warranty
from portal.aftercare.card import render_card_pdf
from portal.aftercare.forms import (
    AcceptanceForm, AnswerForm, CloseForm, ComplaintForm, FinalPaymentForm, FollowUpForm, OfficeRepairForm,
    PassOnForm, PlanForm, RepairDoneForm,
)
from portal.aftercare.messages import RESPONSIBILITY_LABELS, STATUS_LABELS, STEP_NAMES, error_text, kind_label
from portal.aftercare.models import CompletionAcceptance, Complaint, OwnerLink, RepairPhoto, RepairRequest
from portal.aftercare.notify import complaint_passed_on, repair_filed, repeat_complaint_flagged
from portal.aftercare.signing import COMPLETION_RECORD, REPAIR_RECORD
from portal.auth.models import User, UserRole
from portal.auth.permissions import authorise, can
from portal.auth.roles import Role
from portal.auth.sessions import permission_required
from portal.csvexport import csv_response
from portal.errors import InsufficientStorage, render_error
from portal.extensions import db
from portal.params import arg_date
from portal.photos.messages import rejection_text
from portal.projects.models import Project
from portal.projects.services import get_project_or_404
from portal.signatures.services import record_signatures
from portal.storage import StorageError, get_storage
from portal.timeutil import local_today

bp = Blueprint("aftercare", __name__)


@bp.record_once
def _check_warranty_table(state) -> None:
    """Refuse to start with periods below the national minimums (or of unknown kinds)."""
    warranty.periods(state.app.config.get("WARRANTY_MONTHS") or {})


@bp.record_once
def _check_repeat_penalty(state) -> None:
    """Refuse to start with a penalty for repeated complaints that is not a fault degree and amount."""
    complaint_penalty.parse_rule(state.app.config.get("COMPLAINT_REPEAT_PENALTY"))


@bp.app_context_processor
def aftercare_helpers() -> dict:
    """Labels the after-sales templates use."""
    return {"kind_label": kind_label, "step_name": lambda name: str(STEP_NAMES[name]),
            "repair_status": lambda status: str(STATUS_LABELS[status]),
            "responsibility_label": lambda code: str(RESPONSIBILITY_LABELS.get(code, code or "")),
            "max_repair_photos": repair_requests.MAX_REPAIR_PHOTOS}


def get_acceptance_or_404(acceptance_id: int, user, action: str = "view") -> CompletionAcceptance:
    """A completion acceptance the user may see (404) and act on (403)."""
    return authorise(user, db.session.get(CompletionAcceptance, acceptance_id), action)


def get_repair_or_404(repair_id: int, user, action: str = "view") -> RepairRequest:
    """A repair request the user may see (404) and act on (403)."""
    return authorise(user, db.session.get(RepairRequest, repair_id), action)


def get_complaint_or_404(complaint_id: int, user, action: str = "view") -> Complaint:
    """A complaint the user may see (404) and act on (403)."""
    return authorise(user, db.session.get(Complaint, complaint_id), action)


def _qr_svg(url: str) -> Markup:
    return Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#111827", light="#ffffff"))


# --- completion acceptance -----------------------------------------------------------------

@bp.route("/projects/<int:project_id>/completion", methods=["GET", "POST"])
@login_required
def completion(project_id: int):
    """The project's completion acceptance: the form, then signatures, handover and the warranty card."""
    project = get_project_or_404(project_id, current_user)
    acceptance = services.acceptance_of(project)
    form = AcceptanceForm(data={"accepted_on": local_today()} if acceptance is None else None)
    error, status = None, 200
    if acceptance is not None and form.is_submitted():
        error, status = error_text("already_accepted"), 409
    elif acceptance is None and form.is_submitted():
        if not can(current_user, "completion", "record"):
            abort(403)
        if form.validate():
            try:
                acceptance = services.record_acceptance(
                    project, current_user, accepted_on=form.accepted_on.data, quality=form.quality.data,
                    service=form.service.data, timeliness=form.timeliness.data, comment=form.comment.data or "",
                    warranty_explained=form.warranty_explained.data)
            except services.AftercareError as exc:
                error, status = error_text(exc.code), 409
            else:
                flash(_("Completion acceptance recorded: now owner, foreman and inspector sign."), "success")
                return redirect(url_for("signatures.panel", type_name=COMPLETION_RECORD.name,
                                        record_id=acceptance.id), 303)
        else:
            status = 422
    return _completion_page(project, acceptance, form, error, status)


def _completion_page(project: Project, acceptance, form=None, error=None, status=200, new_link=None,
                     payment_form=None):
    blocked = None
    if acceptance is None:
        try:
            services.check_acceptable(project)
        except services.AftercareError as exc:
            blocked = error_text(exc.code)
    return render_template(
        "aftercare/completion.html", project=project, acceptance=acceptance, form=form, error=error, blocked=blocked,
        signatures=record_signatures(COMPLETION_RECORD, acceptance) if acceptance else None,
        links=owner_links.active_links(project), new_link=new_link,
        payment_form=payment_form or FinalPaymentForm(formdata=None, data={"paid_on": local_today()})), status


@bp.post("/completion/<int:acceptance_id>/final-payment")
@permission_required("final_payment", "record")
def final_payment(acceptance_id: int):
    """Office or finance records the owner's final payment (尾款): the warranty card can then be issued."""
    acceptance = get_acceptance_or_404(acceptance_id, current_user)
    form = FinalPaymentForm()
    if not form.validate():
        return _completion_page(acceptance.project, acceptance, status=422, payment_form=form)
    try:
        with transaction.savepoint():
            services.record_final_payment(acceptance, current_user, paid_on=form.paid_on.data,
                                          amount=form.amount.data)
    except services.AftercareError as exc:
        return _completion_page(acceptance.project, acceptance, error=error_text(exc.code), status=409,
                                payment_form=form)
    flash(_("Final payment recorded: the project can be handed over with its warranty card."), "success")
    return redirect(url_for("aftercare.completion", project_id=acceptance.project_id), 303)


@bp.post("/completion/<int:acceptance_id>/hand-over")
@login_required
def hand_over(acceptance_id: int):
    """Every signature is in: hand over, start the warranty, issue the card and the owner's link."""
    acceptance = get_acceptance_or_404(acceptance_id, current_user, "hand_over")
    return _issue_card(acceptance, services.hand_over)


@bp.post("/completion/<int:acceptance_id>/owner-link")
@permission_required("owner_links", "manage")
def reissue_link(acceptance_id: int):
    """A new owner's link (the old ones stop working) and the card printed with its QR code."""
    acceptance = get_acceptance_or_404(acceptance_id, current_user)
    return _issue_card(acceptance, services.reissue_owner_link)


def _issue_card(acceptance: CompletionAcceptance, operation):
    storage = get_storage()
    try:
        with transaction.savepoint():
            result = operation(acceptance, current_user, storage, render_card_pdf)
    except services.AftercareError as exc:
        return _completion_page(acceptance.project, acceptance, error=error_text(exc.code), status=409)
    except StorageError:
        raise InsufficientStorage()
    try:
        transaction.commit_now("the warranty card PDF is stored already")
    except BaseException:
        storage.delete(result.card_key)
        raise
    url = owner_links.owner_url(result.token)
    return _completion_page(acceptance.project, acceptance, new_link=(url, _qr_svg(url)))


@bp.post("/owner-links/<int:link_id>/revoke")
@permission_required("owner_links", "manage")
def revoke_link(link_id: int):
    """Withdraw an owner's link (lost phone, new owner)."""
    link = db.session.get(OwnerLink, link_id)
    if link is None:
        abort(404)
    owner_links.revoke_owner_link(link)
    flash(_("The owner's link was withdrawn."), "success")
    return redirect(url_for("aftercare.completion", project_id=link.project_id), 303)


@bp.get("/completion/<int:acceptance_id>/card.pdf")
@login_required
def card(acceptance_id: int):
    """The warranty card as issued."""
    acceptance = get_acceptance_or_404(acceptance_id, current_user)
    return send_stored_pdf(acceptance.card_pdf_key, f"warranty-{acceptance.card_number}.pdf")


def send_stored_pdf(key: str | None, name: str):
    """A PDF from the store, or 404."""
    data = _stored(key)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _stored(key: str | None) -> bytes:
    """A file of the store (read whole: PDFs and display photos are small), or 404."""
    if not key:
        abort(404)
    try:
        with get_storage().open(key) as handle:
            return handle.read()
    except (OSError, ValueError):
        abort(404)


# --- repairs --------------------------------------------------------------------------------

@bp.get("/repairs/")
@permission_required("repairs")
def repairs():
    """Open repairs with their clocks, overdue first."""
    rows = [(repair, repair_requests.repair_overdue(repair)) for repair in repair_requests.open_repairs()]
    rows.sort(key=lambda row: (not row[1], row[0].received_at))
    return render_template("aftercare/repairs.html", rows=rows, title=_("Repairs"))


@bp.get("/repairs/mine")
@permission_required("my_repairs")
def my_repairs():
    """The repairs dispatched to this crew leader."""
    rows = [(repair, repair_requests.repair_overdue(repair)) for repair in repair_requests.open_repairs()
            if repair.assignee_id == current_user.id]
    return render_template("aftercare/repairs.html", rows=rows, title=_("My repairs"))


@bp.route("/repairs/new", methods=["GET", "POST"])
@permission_required("repairs", "record")
def new_repair():
    """Office enters a repair request from a phone call (with the photos the owner sent, if any)."""
    form = OfficeRepairForm()
    status, error = 200, None
    if form.is_submitted():
        project = db.session.scalar(select(Project).where(Project.contract_no == (form.contract_no.data or "").strip()))
        if form.validate() and project is None:
            form.contract_no.errors = [_("No project has this contract number.")]
        elif form.validate():
            repair, error = file_with_photos(project, form, "phone", current_user)
            if repair is not None:
                return redirect(url_for("aftercare.repair", repair_id=repair.id), 303)
        status = 422
    return render_template("aftercare/repair_new.html", form=form, error=error), status


@bp.errorhandler(RequestEntityTooLarge)
def photos_too_large(_error):
    """A phone call's repair request over the request limit: the form again, saying the photos are too
    large together (413).

    The body was refused unread, so there is no form data to show again; nothing was stored. Any
    other endpoint of the blueprint, or a user who may not record repairs, gets the portal's usual 413.
    """
    if (request.endpoint != "aftercare.new_repair" or not current_user.is_authenticated
            or not can(current_user, "repairs", "record")):
        return render_error(413)
    return render_template("aftercare/repair_new.html", form=OfficeRepairForm(formdata=None),
                           error=error_text("photos_too_large")), 413


def file_with_photos(project: Project, form, source: str, user: User | None = None):
    """File a repair request with its photos (the form's ``photo`` files), all or nothing, and tell office.

    Returns (repair, None), or (None, why it was refused) with nothing saved. The photos are in the
    store before the commit, so they are deleted again if the commit fails.
    """
    uploads = [upload.read() for upload in request.files.getlist(form.photo.name) if upload and upload.filename]
    storage = get_storage()
    try:
        with transaction.savepoint():
            repair = repair_requests.file_repair(project, kind=form.kind.data, description=form.description.data,
                                          source=source, contact_phone=form.contact_phone.data or "", user=user)
            written = repair_requests.add_repair_photos(repair, uploads, storage)
            repair_filed(repair)
    except repair_requests.RepairPhotoRejected as exc:
        return None, _("Photo %(n)s of %(total)s was refused: %(reason)s Nothing was saved; send the request "
                       "again without it or with another photo.", n=exc.number, total=len(uploads),
                       reason=rejection_text(exc.code))
    except services.AftercareError as exc:
        return None, error_text(exc.code)
    except StorageError:
        raise InsufficientStorage()
    try:
        transaction.commit_now("the repair photos are stored already")
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    return repair, None


@bp.get("/repairs/<int:repair_id>")
@login_required
def repair(repair_id: int):
    """A repair request: warranty judgement, clock, photos and the next step."""
    return _repair_page(get_repair_or_404(repair_id, current_user))


def _repair_page(repair: RepairRequest, status: int = 200, error: str | None = None, **forms):
    plan = forms.get("plan") or PlanForm(data={"assignee_id": repair.assignee_id, "visit_on": local_today()})
    plan.assignee_id.choices = _crew_choices()
    return render_template(
        "aftercare/repair.html", repair=repair, steps=repair_requests.repair_clock(repair),
        overdue={s.name for s in repair_requests.repair_overdue(repair)}, photos=repair_requests.repair_photos(repair),
        attempts=repair_requests.repair_attempts(repair), plan=plan, done=forms.get("done") or RepairDoneForm(), follow=forms.get("follow") or FollowUpForm(),
        water_test=repair.kind in warranty.WATER_TEST_KINDS, signatures=record_signatures(REPAIR_RECORD, repair),
        error=error), status


def _crew_choices() -> list[SelectChoice]:
    users = db.session.scalars(select(User).join(UserRole).where(UserRole.role == Role.FOREMAN.value,
                                                                 User.active.is_(True)).order_by(User.display_name))
    return [SelectChoice(user.id, user.display_name) for user in users]


def _repair_step(repair: RepairRequest, change, **forms):
    try:
        with transaction.savepoint():
            change()
    except services.AftercareError as exc:
        return _repair_page(repair, 409, error_text(exc.code), **forms)
    return redirect(url_for("aftercare.repair", repair_id=repair.id), 303)


@bp.post("/repairs/<int:repair_id>/contact")
@login_required
def contact(repair_id: int):
    """The owner was phoned."""
    repair = get_repair_or_404(repair_id, current_user, "manage")
    return _repair_step(repair, lambda: repair_requests.record_contact(repair))


@bp.post("/repairs/<int:repair_id>/plan")
@login_required
def plan(repair_id: int):
    """Solution, visit date, dispatch."""
    repair = get_repair_or_404(repair_id, current_user, "manage")
    form = PlanForm()
    form.assignee_id.choices = _crew_choices()
    if not form.validate():
        return _repair_page(repair, 422, plan=form)
    assignee = db.session.get(User, form.assignee_id.data)
    return _repair_step(repair, lambda: repair_requests.plan_repair(repair, assignee=assignee, solution=form.solution.data,
                                                             visit_on=form.visit_on.data), plan=form)


@bp.post("/repairs/<int:repair_id>/done")
@login_required
def done(repair_id: int):
    """The crew records the repair as done (with the water test for leaks)."""
    repair = get_repair_or_404(repair_id, current_user, "work")
    form = RepairDoneForm()
    if not form.validate():
        return _repair_page(repair, 422, done=form)
    water = {"passed": True, "failed": False}.get(form.water_test.data)

    def record() -> None:
        attempt = repair_requests.record_repair(repair, work_done=form.work_done.data, cost=form.cost.data,
                                         responsibility=form.responsibility.data, water_test_passed=water,
                                         user=current_user)
        if attempt.failed:
            flash(_("The water test failed: the repair stays open. Repair again and record a new water test."),
                  "error")
    return _repair_step(repair, record, done=form)


@bp.post("/repairs/<int:repair_id>/accept")
@login_required
def accept(repair_id: int):
    """The owner's signature is in: the repair is accepted."""
    repair = get_repair_or_404(repair_id, current_user, "work")
    return _repair_step(repair, lambda: repair_requests.accept_repair(repair))


@bp.post("/repairs/<int:repair_id>/follow-up")
@login_required
def follow_up(repair_id: int):
    """The call-back after the repair closes the request."""
    repair = get_repair_or_404(repair_id, current_user, "manage")
    form = FollowUpForm()
    if not form.validate():
        return _repair_page(repair, 422, follow=form)
    return _repair_step(repair, lambda: repair_requests.follow_up(repair, form.note.data), follow=form)


@bp.get("/repair-photos/<int:photo_id>")
@login_required
def repair_photo(photo_id: int):
    """A photo of a repair request, to those who see the request."""
    photo = db.session.get(RepairPhoto, photo_id)
    if photo is None:
        abort(404)
    get_repair_or_404(photo.repair_id, current_user)
    return send_repair_photo(photo)


def send_repair_photo(photo: RepairPhoto):
    """The photo's display version."""
    response = Response(_stored(photo.display_key), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/repairs/deductions")
@permission_required("repair_deductions")
def deductions():
    """The month-end list: crew repairs charged to the foremen's warranty deposits."""
    month = arg_date("month") or local_today().replace(day=1)
    rows, totals = repair_requests.deductions(month.year, month.month)
    if request.args.get("format") == "csv":
        return csv_response(f"repair-deductions-{month:%Y-%m}.csv",
                            [_("Foreman"), _("Contract no."), _("Repair"), _("Accepted"), _("Cost")],
                            ([row.foreman, row.contract_no, row.repair_id, row.accepted_on.isoformat(), row.cost]
                             for row in rows))
    return render_template("aftercare/deductions.html", month=month, rows=rows, totals=totals)


# --- complaints -----------------------------------------------------------------------------

@bp.get("/complaints/")
@permission_required("complaints")
def complaints():
    """Open complaints with their clocks; the figures are the dashboard's and the reports'."""
    open_rows = [(c, complaint_handling.complaint_overdue(c)) for c in db.session.scalars(
        select(Complaint).where(Complaint.closed_at.is_(None)).order_by(Complaint.received_at))]
    return render_template("aftercare/complaints.html", rows=open_rows)


@bp.route("/complaints/new", methods=["GET", "POST"])
@permission_required("complaints", "record")
def new_complaint():
    """Register a complaint (at once, 000 第三节 1)."""
    form = ComplaintForm()
    if not form.is_submitted():
        return render_template("aftercare/complaint_new.html", form=form)
    if form.validate():
        project = db.session.scalar(select(Project).where(Project.contract_no == form.contract_no.data.strip()))
        first = db.session.get(Complaint, form.repeat_of.data) if form.repeat_of.data else None
        if project is None:
            form.contract_no.errors = [_("No project has this contract number.")]
        elif form.repeat_of.data and (first is None or first.project_id != project.id):
            form.repeat_of.errors = [error_text("bad_repeat")]
        else:
            try:
                complaint = complaint_handling.register_complaint(
                    project, matter=form.matter.data, description=form.description.data,
                    complained_about=form.complained_about.data or "", user=current_user, repeat_of=first)
            except services.AftercareError as exc:
                form.repeat_of.errors = [error_text(exc.code)]
            else:
                if first is not None:
                    repeat_complaint_flagged(complaint)
                return redirect(url_for("aftercare.complaint", complaint_id=complaint.id), 303)
    return render_template("aftercare/complaint_new.html", form=form), 422


@bp.get("/complaints/<int:complaint_id>")
@login_required
def complaint(complaint_id: int):
    """A complaint with its clock and the next step."""
    return _complaint_page(get_complaint_or_404(complaint_id, current_user))


def _complaint_page(complaint: Complaint, status: int = 200, error: str | None = None, **forms):
    pass_form = forms.get("pass_form") or PassOnForm(data={"handler_id": complaint.handler_id})
    pass_form.handler_id.choices = _handler_choices()
    return render_template(
        "aftercare/complaint.html", complaint=complaint, steps=complaint_handling.complaint_clock(complaint),
        overdue={s.name for s in complaint_handling.complaint_overdue(complaint)}, pass_form=pass_form,
        answer_form=forms.get("answer_form") or AnswerForm(), close_form=forms.get("close_form") or CloseForm(),
        error=error), status


def _handler_choices() -> list[SelectChoice]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name))
    return [SelectChoice(user.id, user.display_name) for user in users]


def _complaint_step(complaint: Complaint, change, **forms):
    try:
        with transaction.savepoint():
            change()
    except services.AftercareError as exc:
        return _complaint_page(complaint, 409, error_text(exc.code), **forms)
    return redirect(url_for("aftercare.complaint", complaint_id=complaint.id), 303)


@bp.post("/complaints/<int:complaint_id>/pass-on")
@login_required
def pass_on(complaint_id: int):
    """Passed on to the department head."""
    complaint = get_complaint_or_404(complaint_id, current_user, "record")
    form = PassOnForm()
    form.handler_id.choices = _handler_choices()
    if not form.validate():
        return _complaint_page(complaint, 422, pass_form=form)
    handler = db.session.get(User, form.handler_id.data)
    return _complaint_step(complaint, lambda: _pass_on(complaint, handler), pass_form=form)


def _pass_on(complaint: Complaint, handler: User) -> None:
    """Pass on, and tell the department head (unless he passed it on to himself)."""
    complaint_handling.pass_on(complaint, handler)
    if handler.id != current_user.id:
        complaint_passed_on(complaint)


@bp.post("/complaints/<int:complaint_id>/answer")
@login_required
def answer(complaint_id: int):
    """The department's answer: office, or the department head it was passed on to."""
    complaint = get_complaint_or_404(complaint_id, current_user, "answer")
    form = AnswerForm()
    if not form.validate():
        return _complaint_page(complaint, 422, answer_form=form)
    return _complaint_step(complaint, lambda: complaint_handling.answer_complaint(complaint, form.answer.data),
                           answer_form=form)


@bp.post("/complaints/<int:complaint_id>/close")
@login_required
def close(complaint_id: int):
    """Closed after the return visit."""
    complaint = get_complaint_or_404(complaint_id, current_user, "record")
    form = CloseForm()
    if not form.validate():
        return _complaint_page(complaint, 422, close_form=form)
    return _complaint_step(complaint, lambda: complaint_handling.close_complaint(
        complaint, form.return_visit.data, form.satisfied.data == "yes"), close_form=form)
