"""Forms for signing, refusing and signing links."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import PortalForm


class SignForm(PortalForm):
    """The pad's output plus the signer's typed name."""

    slot = HiddenField(validators=[DataRequired()])
    signer_name = StringField(_l("Name of the signer"), validators=[DataRequired(), Length(max=100)])
    png = HiddenField(validators=[DataRequired(message=_l("Sign in the box first."))])
    strokes = HiddenField(validators=[DataRequired(message=_l("Sign in the box first."))])
    fingerprint = HiddenField(validators=[DataRequired()])
    refusal_reason = TextAreaField(_l("Reason given for refusing"), validators=[Optional(), Length(max=1000)])
    witness_name = StringField(_l("Witness name"), validators=[Optional(), Length(max=100)])
    witness_relation = StringField(_l("Witness role / relationship"), validators=[Optional(), Length(max=100)])


class LinkForm(PortalForm):
    """Create a single-use signing link for one named signer."""

    slot = SelectField(_l("Signs as"), validators=[DataRequired()])
    signer_name = StringField(_l("Name of the signer"), validators=[DataRequired(), Length(max=100)])
