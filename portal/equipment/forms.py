"""Forms of the equipment register."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from portal.equipment.services import serial_no_taken
from portal.forms import PortalForm
from portal.params import report_day
from portal.timeutil import local_today


def _text(value) -> str:
    """Stripped text; an absent field becomes "" (the columns are NOT NULL)."""
    return value.strip() if isinstance(value, str) else ""


class EquipmentForm(PortalForm):
    """Add an instrument to the register."""

    name = StringField(_l("Name"), filters=[_text], validators=[DataRequired(), Length(max=100)],
                       description=_l("e.g. Laser level, moisture meter"))
    serial_no = StringField(_l("Serial number"), filters=[_text], validators=[DataRequired(), Length(max=60)],
                            render_kw={"autocomplete": "off"})
    calibrated_on = DateField(_l("Calibrated on"), validators=[InputRequired(), report_day],
                              description=_l("Enter the dates from the calibration certificate. "
                                             "After a recalibration, enter the new certificate's dates here."))
    valid_until = DateField(_l("Valid until"), validators=[InputRequired(), report_day])
    notes = TextAreaField(_l("Notes"), filters=[_text], validators=[Length(max=1000)], render_kw={"rows": 3})

    def __init__(self, *args, equipment_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._equipment_id = equipment_id

    def validate_serial_no(self, field) -> None:
        """Not used by another instrument."""
        if serial_no_taken(field.data, self._equipment_id):
            raise ValidationError(_l("Another instrument already has this serial number."))

    def validate_calibrated_on(self, field) -> None:
        """A certificate cannot be dated in the future."""
        if field.data and field.data > local_today():
            raise ValidationError(_l("The calibration date cannot be in the future."))

    def validate_valid_until(self, field) -> None:
        """The calibration must end after it was made."""
        if field.data and self.calibrated_on.data and field.data <= self.calibrated_on.data:
            raise ValidationError(_l("The end of validity must be after the calibration date."))


class EquipmentEditForm(EquipmentForm):
    """Edit an instrument: also recalibrate (new dates) or retire it."""

    retired = BooleanField(_l("Retired"), description=_l("Retired instruments cannot be chosen for inspections."))
