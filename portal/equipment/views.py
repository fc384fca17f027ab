"""Office maintains the equipment register."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.sessions import permission_required
from portal.equipment.forms import EquipmentEditForm, EquipmentForm
from portal.equipment.models import Equipment
from portal.equipment.services import equipment_register, get_equipment_or_404
from portal.extensions import db
from portal.web import save_or_field_error
from portal.timeutil import local_today

bp = Blueprint("equipment", __name__, url_prefix="/equipment")


@bp.get("/")
@permission_required("equipment")
def index():
    """The register with each instrument's calibration state, problems first."""
    return render_template("equipment/index.html", entries=equipment_register(local_today()))


@bp.route("/new", methods=["GET", "POST"])
@permission_required("equipment", "edit")
def create():
    """Add an instrument to the register."""
    form = EquipmentForm()
    if form.validate_on_submit():
        equipment = Equipment()
        form.populate_obj(equipment)
        if _save_or_report(form, lambda: db.session.add(equipment)):
            flash(_("Instrument %(serial)s added.", serial=equipment.serial_no), "success")
            return redirect(url_for("equipment.index"))
    return _form_page(form, None)


@bp.route("/<int:equipment_id>/edit", methods=["GET", "POST"])
@permission_required("equipment", "edit")
def edit(equipment_id: int):
    """Edit an instrument: correct it, enter a recalibration's dates, or retire it."""
    equipment = get_equipment_or_404(equipment_id, current_user)
    form = EquipmentEditForm(obj=equipment, equipment_id=equipment.id)
    if form.validate_on_submit():
        if _save_or_report(form, lambda: form.populate_obj(equipment)):
            flash(_("Instrument %(serial)s saved.", serial=equipment.serial_no), "success")
            return redirect(url_for("equipment.index"))
    return _form_page(form, equipment)


def _save_or_report(form, change) -> bool:
    """Make the change, or report on the form that another request took the same value meanwhile."""
    return save_or_field_error(change, form.serial_no, _("Another instrument already has this serial number."))


def _form_page(form: EquipmentForm, equipment: Equipment | None):
    """The form page; 422 when the submitted form had errors."""
    status = 422 if form.errors else 200
    return render_template("equipment/form.html", form=form, equipment=equipment), status
