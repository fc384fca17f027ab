"""Forms of the notice pages."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.forms import PortalForm
from portal.params import planned_day
from portal.web import db_id


class RectifiedForm(PortalForm):
    """The foreman reports one item fixed."""

    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=2000)])


class ScheduleReinspectionForm(PortalForm):
    """Office plans the reinspection."""

    scheduled_date = DateField(_l("Reinspection date"), validators=[InputRequired(), planned_day])
    inspector_id = SelectField(_l("Inspector"), coerce=db_id, validators=[InputRequired()])
