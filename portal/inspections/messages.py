"""User-facing texts for inspection rules, in the user's language."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from portal.equipment.models import Equipment
from portal.i18n import current_translations
from portal.timeutil import local_today
from portal.inspections.scoring import FailReason
from portal.inspections.services import InspectionError


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue; it is translated where it is shown."""
    return text


# The labels of a checklist item. A checklist page shows 89 items with about eight labels each:
# they are translated once per page (``item_labels``), not once per item.
ITEM_LABELS = {
    "limit": N_("Limit"), "carried_over": N_("Passed before — carried over"),
    "regression": N_("Regression? Check again"), "what_regressed": N_("What regressed?"),
    "check_again": N_("Check this item again"), "measured_value": N_("Measured value"), "ok": N_("OK"),
    "not_applicable": N_("N/A"), "passed": N_("Pass"), "failed": N_("Fail"), "note_required": N_("Note required"),
    "photo_required": N_("Photo required"), "pinned": N_("Pinned on the plan ✓"),
    "pin": N_("Pin on the floor plan"), "note": N_("Note"), "save_note": N_("Save note"),
}


def item_labels() -> dict[str, str]:
    """The checklist item's labels (``ITEM_LABELS``) in the user's language."""
    translate = current_translations().ugettext
    return {key: translate(text) for key, text in ITEM_LABELS.items()}


def grade_label(grade: str | None) -> str:
    """优秀 / 良好 / 合格, or 不合格 for a failed inspection."""
    return {"excellent": _("Excellent"), "good": _("Good"), "pass": _("Pass")}.get(grade or "", _("Fail"))


def measurement_error(code: str) -> str:
    """Why a typed measurement was refused."""
    return {
        "empty": _("Enter a number."),
        "not_a_number": _("This is not a number. Enter digits, e.g. 2.5."),
        "out_of_range": _("This value is not plausible. Check the reading and the unit."),
        "too_precise": _("Use at most three decimal places."),
    }.get(code, _("This is not a number. Enter digits, e.g. 2.5."))


def error_text(exc: InspectionError) -> str:
    """The message for a refused inspection operation."""
    if exc.code == "bad_value":
        return measurement_error(exc.detail)
    if exc.code == "equipment_expired":
        return " ".join(_refused_equipment(e) for e, _valid_until in exc.detail)
    return {
        "bad_outcome": _("Choose pass, fail or not applicable."),
        "completed": _("This inspection is finished; its answers can no longer change."),
        "not_started": _("Start the inspection first."),
        "note_too_long": _("The note is too long (at most 2000 characters)."),
        "open_inspection": _("This project already has an inspection that is not finished."),
        "already_passed": _("This project has already passed pre-acceptance."),
        "no_template": _("There is no published checklist. Ask the office to publish one."),
        "changed": _("The answers changed since the summary was shown. Please review the summary again."),
        "blocked": _("The inspection cannot be finished yet; see what is missing below."),
        "reason_required": _("Write the reason for reopening."),
        "not_completed": _("Only a finished inspection can be reopened."),
        "certified": _("A valid pass certificate proves this result; revoke the certificate before reopening."),
        "later_round": _("A later round of this project is already scheduled; reopen that one instead."),
        "carried": _("This item passed at the previous round and is carried over; reopen it first if it regressed."),
        "notice_invalid": _("Check the deadline, the reinspection date and the required fixes."),
        "conflict": _("Somebody else changed this answer after this phone last saw it. Keep which one?"),
    }.get(exc.code, _("This is not possible now."))


def _refused_equipment(equipment: Equipment) -> str:
    if equipment.retired:
        return _("%(name)s (%(serial)s) is retired and cannot be used.", name=equipment.name,
                 serial=equipment.serial_no)
    if equipment.valid_until >= local_today():
        return _("%(name)s (%(serial)s) is calibrated only from %(date)s.", name=equipment.name,
                 serial=equipment.serial_no, date=equipment.calibrated_on.isoformat())
    return _("%(name)s (%(serial)s): calibration expired on %(date)s; it cannot be used.",
             name=equipment.name, serial=equipment.serial_no, date=equipment.valid_until.isoformat())


def fail_reason_text(reason: str, category_title: str | None = None) -> str:
    """Why an inspection fails."""
    return {
        FailReason.OVERALL_BELOW.value: _("The overall rate is below 85%."),
        FailReason.CATEGORY_BELOW.value: _("Category “%(name)s” is below 85%%.", name=category_title or ""),
        FailReason.NO_VALID_EQUIPMENT.value: _("No valid calibrated inspection equipment was recorded."),
        FailReason.NOTHING_APPLICABLE.value: _("No applicable item was answered."),
    }[reason]


def equipment_label(equipment: Equipment, today: date) -> str:
    """Name, serial number and calibration validity, for the equipment check boxes."""
    if equipment.is_valid_on(today):
        return _("%(name)s · %(serial)s · valid until %(date)s", name=equipment.name,
                 serial=equipment.serial_no, date=equipment.valid_until.isoformat())
    return _("%(name)s · %(serial)s · calibration expired %(date)s", name=equipment.name,
             serial=equipment.serial_no, date=equipment.valid_until.isoformat())


def history_field(name: str) -> str:
    """The changed field's name in a history row."""
    return {"outcome": _("answer"), "value": _("measured value"), "note": _("note")}.get(name, name)


def history_value(name: str, value: str | None) -> str:
    """A stored old/new value as the user reads it."""
    if value is None or value == "":
        return "—"
    if name == "outcome":
        return {"pass": _("Pass"), "fail": _("Fail"), "na": _("N/A")}.get(value, value)
    return value


def event_label(kind: str) -> str:
    """Lifecycle events in the history."""
    return {"started": _("Started"), "finished": _("Finished"), "reopened": _("Reopened"),
            "rescheduled": _("Rescheduled")}.get(kind, kind)
