"""Forms of the inspection pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import PortalForm
from portal.params import planned_day
from portal.web import db_id

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


class NewInspectionForm(PortalForm):
    """Schedule an inspection of a project."""

    project_id = SelectField(_l("Project"), coerce=db_id, validators=[InputRequired()])
    scheduled_date = DateField(_l("Date"), validators=[InputRequired(), planned_day])
    inspector_id = SelectField(_l("Inspector"), coerce=db_id, validators=[InputRequired()])


class EquipmentField(SelectMultipleField):
    """Equipment as check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StartForm(PortalForm):
    """Recorded on site before the checklist: who is present, equipment, handbook."""

    foreman_present = RadioField(_l("Foreman present"), choices=YES_NO, validators=[InputRequired()])
    project_manager_present = RadioField(_l("Project manager present"), choices=YES_NO, validators=[InputRequired()])
    others_present = StringField(_l("Others present (e.g. owner)"), validators=[Length(max=200)])
    handbook_present = RadioField(_l("Foreman brought the project handbook (工程管理手册)"), choices=YES_NO,
                                  validators=[InputRequired()],
                                  description=_l("Not bringing it is a serious fault for the foreman."))
    equipment_ids = EquipmentField(_l("Inspection equipment used"), coerce=db_id)


class ReopenForm(PortalForm):
    """Office reopens a completed inspection with a written reason."""

    reason = TextAreaField(_l("Reason for reopening"), validators=[DataRequired(), Length(max=2000)])
