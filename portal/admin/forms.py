"""Forms for creating and editing users."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth.roles import ROLE_LABELS
from portal.forms import PortalForm

USERNAME_HELP = _l("Letters, digits, dot, dash and underscore")


class RoleField(SelectMultipleField):
    """Roles as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_choices():
    return [SelectChoice(str(role), label) for role, label in ROLE_LABELS.items()]


class UserForm(PortalForm):
    """Name, phone, roles and whether the account is active."""

    display_name = StringField(_l("Name"), filters=[lambda v: v.strip() if v else v],
                               validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), filters=[lambda v: v.strip() if v else v], validators=[Optional(), Length(max=30)])
    email = StringField(_l("E-mail (for notifications, optional)"), filters=[lambda v: v.strip() if v else v],
                        validators=[Optional(), Length(max=200), Email()])
    roles = RoleField(_l("Roles"), choices=_role_choices)
    active = BooleanField(_l("Active"), default=True)


class NewUserForm(UserForm):
    """A new account: also username and first password."""

    username = StringField(_l("Username"), filters=[lambda v: v.strip().lower() if v else v],
                           validators=[DataRequired(), Length(min=2, max=64),
                                       Regexp(r"^[a-z0-9._-]+$", message=USERNAME_HELP)],
                           description=USERNAME_HELP)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             description=_l("At least 8 characters"))


class PasswordResetForm(PortalForm):
    """A new password set by the administrator."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)],
                             description=_l("At least 8 characters"))
