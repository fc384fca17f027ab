"""The plan upload form."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.forms import PortalForm


class PlanUploadForm(PortalForm):
    """Title (which floor) and the file: a PDF (first page used) or an image."""

    title = StringField(_l("Title (floor)"), validators=[DataRequired(), Length(max=100)], id="plan-title")
    file = FileField(_l("Plan file (PDF or image)"), validators=[FileRequired()], id="plan-file",
                     render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"})
