"""Forms of the concealed-works pages."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import PortalForm
from portal.params import recorded_time

from portal.photos.models import SYSTEM_LABELS, Stage

ROOMS = ("客厅", "餐厅", "主卧", "次卧", "书房", "厨房", "主卫", "次卫", "阳台", "玄关")


class ConcealedPhotoForm(PortalForm):
    """Tags chosen before taking concealed-works photos."""

    system = SelectField(_l("System"), choices=[SelectChoice(s.value, label) for s, label in SYSTEM_LABELS.items()])
    location = StringField(_l("Room / location"), validators=[DataRequired(), Length(max=100)], id="photo-location",
                           render_kw={"list": "rooms", "autocomplete": "off"})
    stage = SelectField(_l("Stage"), choices=[SelectChoice(s.value, s.label) for s in Stage],
                        default=Stage.BEFORE_COVERING.value)
    closure_test_id = SelectField(_l("Closure test"), coerce=int, validate_choice=False, default=0)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)], id="photo-note")


class ClosureStartForm(PortalForm):
    """Start of a 24-hour water-closure test."""

    location = StringField(_l("Wet area"), validators=[DataRequired(), Length(max=100)], id="closure-location",
                           render_kw={"list": "rooms", "autocomplete": "off"})
    started_at = DateTimeLocalField(_l("Started at"), validators=[InputRequired(), recorded_time],
                                    format="%Y-%m-%dT%H:%M")


class ClosureEndForm(PortalForm):
    """End of a closure test with its result."""

    ended_at = DateTimeLocalField(_l("Ended at"), validators=[InputRequired(), recorded_time], format="%Y-%m-%dT%H:%M")
    result = RadioField(_l("Result"), choices=[SelectChoice("no_leak", _l("No leak")), SelectChoice("leak", _l("Leak"))],
                        validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)], id="closure-note")


class DeletePhotoForm(PortalForm):
    """Soft delete with a reason."""

    reason = StringField(_l("Why delete this photo?"), validators=[DataRequired(), Length(max=500)])


class FinishRecordForm(PortalForm):
    """Confirm the concealed-works record is complete."""

    confirm = BooleanField(_l("All concealed works are photographed before covering"), validators=[DataRequired()])
