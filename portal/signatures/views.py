"""Signature pages: collect on site, refuse with a witness, single-use links for absent signers."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import SelectChoice

from portal import transaction
from portal.auth.permissions import authorise
from portal.errors import InsufficientStorage
from portal.extensions import db, limiter
from portal.fieldsync.actions import field_action, field_time, report_phone_clock
from portal.signatures import services
from portal.signatures.forms import LinkForm, SignForm
from portal.signatures.messages import error_text, link_state_text, slot_label
from portal.signatures.models import Signature, SigningLink
from portal.signatures.permissions import Signable
from portal.signatures.records import RecordType, record_type
from portal.storage import StorageError, get_storage
from portal.timeutil import utcnow

bp = Blueprint("signatures", __name__)

PUBLIC_LIMIT = "30 per minute"


@bp.app_context_processor
def signature_helpers() -> dict:
    """Slot names for the templates."""
    return {"slot_label": slot_label}


def get_signable_or_404(type_name: str, record_id: int, user, action: str = "view") -> tuple[RecordType, object]:
    """The record if the user may see its signatures (he runs it or has a slot on it; 404 otherwise)
    and do ``action`` (``"collect"``: 403 otherwise). See :mod:`portal.signatures.permissions`."""
    rtype = record_type(type_name)
    record = rtype.load(record_id) if rtype else None
    if record is None:
        abort(404)
    authorise(user, services.signable(rtype, record), action)
    return rtype, record


@bp.app_template_global()
def signable_of(type_name: str, record) -> Signable:
    """A record as its signatures' rule reads it, for templates: ``can(current_user, signable_of(...), 'view')``."""
    return services.signable(record_type(type_name), record)


@bp.get("/signatures/<type_name>/<int:record_id>")
@login_required
def panel(type_name: str, record_id: int):
    """The record's signatures: who signed, whether it still matches, the pad for the others."""
    rtype, record = get_signable_or_404(type_name, record_id, current_user)
    return _panel(rtype, record)


def _panel(rtype: RecordType, record, status: int = 200, form: SignForm | None = None, error: str | None = None,
           link_form: LinkForm | None = None, new_link: tuple | None = None):
    state = services.record_signatures(rtype, record)
    collector = services.may_collect(rtype, record, current_user)
    signable = [s.slot for s in state.slots if not (s.signature and s.matches)
                and services.may_sign(rtype, record, current_user, s.slot)]
    links = db.session.query(SigningLink).filter_by(record_type=rtype.name, record_id=record.id) \
        .order_by(SigningLink.id.desc()).all() if collector else []
    link_form = link_form or LinkForm()
    link_form.slot.choices = [SelectChoice(slot, slot_label(slot)) for slot in rtype.slots]
    return render_template(
        "signatures/panel.html", rtype=rtype, record=record, project=rtype.project(record), state=state,
        signable=signable if rtype.ready(record) else [], collector=collector, form=form or SignForm(),
        error=error, link_form=link_form, links=links, new_link=new_link, now=utcnow(),
        own_slots=services.own_slots(rtype, record, current_user), **rtype.figures(record)), status




@bp.post("/signatures/<type_name>/<int:record_id>/sign")
@login_required
@field_action
def sign(type_name: str, record_id: int):
    """Sign one slot (own, or collected on the phone of the person who runs the record)."""
    rtype, record = get_signable_or_404(type_name, record_id, current_user)
    form = SignForm()
    if not form.validate_on_submit():
        return _panel(rtype, record, 422, form=form)
    if not services.may_sign(rtype, record, current_user, form.slot.data):
        return _panel(rtype, record, 403, form=form, error=error_text("not_yours"))
    report_phone_clock(record)  # kept with the signature (committed by _store), or rolled back with a refusal
    try:
        _store(rtype, record, form, user=current_user)
    except services.SignatureError as exc:
        return _panel(rtype, record, 409 if exc.code in ("changed", "already_signed") else 422,
                      form=form, error=error_text(exc.code))
    flash(_("Signature saved."), "success")
    return redirect(url_for("signatures.panel", type_name=rtype.name, record_id=record.id))


def _store(rtype: RecordType, record, form: SignForm, user=None, link=None):
    """Validate the pad's output, store image and row, commit; remove the image on failure."""
    data = services.SignatureInput(
        slot=form.slot.data, signer_name=form.signer_name.data or "", png=services.parse_signature_png(form.png.data),
        strokes=services.parse_strokes(form.strokes.data), seen_fingerprint=form.fingerprint.data or "",
        ip=request.remote_addr or "", user_agent=request.user_agent.string or "",
        refusal_reason=form.refusal_reason.data or "", witness_name=form.witness_name.data or "",
        witness_relation=form.witness_relation.data or "", captured_at=field_time().happened_at)
    storage = get_storage()
    try:
        with transaction.savepoint():
            _signature, key = services.sign(rtype, record, data, storage, user=user, link=link)
    except StorageError:
        raise InsufficientStorage()
    try:
        transaction.commit_now("the signature image is stored already")
    except BaseException:
        storage.delete(key)
        raise


@bp.post("/signatures/<type_name>/<int:record_id>/links")
@login_required
def create_link(type_name: str, record_id: int):
    """A single-use signing link (and QR code) for a signer who is not on site."""
    rtype, record = get_signable_or_404(type_name, record_id, current_user, "collect")
    form = LinkForm()
    form.slot.choices = [SelectChoice(slot, slot_label(slot)) for slot in rtype.slots]
    if not form.validate_on_submit():
        return _panel(rtype, record, 422, link_form=form)
    link, token = services.create_link(rtype, record, form.slot.data, form.signer_name.data, current_user)
    url = current_app.config["BASE_URL"] + url_for("signatures.public_sign", token=token)
    return _panel(rtype, record, link_form=LinkForm(formdata=None), new_link=(link, url, _qr_svg(url)))


def _qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code (segno), for the owner to scan with his phone."""
    return Markup(segno.make(url, error="m").svg_inline(scale=5, dark="#111827", light="#ffffff"))


@bp.post("/signing-links/<int:link_id>/revoke")
@login_required
def revoke_link(link_id: int):
    """Withdraw a link that was not used yet."""
    link = db.session.get(SigningLink, link_id)
    if link is None:
        abort(404)
    rtype, record = get_signable_or_404(link.record_type, link.record_id, current_user, "collect")
    services.revoke_link(link)
    flash(_("Signing link withdrawn."), "success")
    return redirect(url_for("signatures.panel", type_name=rtype.name, record_id=record.id))


@bp.get("/signatures/image/<int:signature_id>")
@login_required
def image(signature_id: int):
    """A signature image, to those who may see the record's signatures."""
    signature = db.session.get(Signature, signature_id)
    if signature is None:
        abort(404)
    get_signable_or_404(signature.record_type, signature.record_id, current_user)
    return _send_png(signature)


def _send_png(signature: Signature):
    try:
        handle = get_storage().open(signature.image_key)
    except (OSError, ValueError):
        abort(404)
    response = send_file(handle, mimetype="image/png", max_age=3600, etag=f"sig-{signature.id}")
    response.cache_control.public = False  # send_file marks it public; a signature is personal data
    response.cache_control.private = True
    return response


# --- public signing by link -----------------------------------------------------------------

@bp.route("/sign/<token>", methods=["GET", "POST"])
@limiter.limit(PUBLIC_LIMIT)
def public_sign(token: str):
    """No login: the record read-only and the pad, once. A dead link shows why and nothing else."""
    link, state = services.resolve_link(token[:300], lock=request.method == "POST")
    if link is None or state != "active":
        return render_template("signatures/link_dead.html", message=link_state_text(state)), 410 if link else 404
    rtype = record_type(link.record_type)
    record = rtype.load(link.record_id)
    form = SignForm(data={"slot": link.slot, "signer_name": link.signer_name}) if request.method == "GET" else SignForm()
    error, status = None, 200
    if request.method == "POST":
        form.slot.data, form.signer_name.data = link.slot, link.signer_name  # fixed by the link
        if form.validate_on_submit():
            try:
                _store(rtype, record, form, link=link)
            except services.SignatureError as exc:
                error, status = error_text(exc.code), 409 if exc.code in ("changed", "already_signed") else 422
            else:
                return render_template("signatures/link_done.html", link=link), 200
        else:
            status = 422
    state_now = services.record_signatures(rtype, record)
    return render_template("signatures/public.html", link=link, rtype=rtype, record=record,
                           project=rtype.project(record), state=state_now, form=form, error=error,
                           token=token, **rtype.figures(record)), status
