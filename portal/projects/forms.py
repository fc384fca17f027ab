"""Project form with 档案号 validation."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import users_with_role
from portal.forms import PortalForm
from portal.params import report_day
from portal.projects.contract_no import parse_contract_no
from portal.projects.models import STATUS_LABELS, ProjectStatus
from portal.projects.services import contract_no_taken
from portal.registry import Registry
from portal.timeutil import local_today
from portal.web import db_id

PHONE_RE = re.compile(r"\+?[0-9][0-9 \-]{5,18}[0-9]")

# Labels that flag people offered for a project (penalties registers the foremen's order stops):
# (role, users, today) → user id → the label shown instead of the name.
ASSIGNEE_LABELS: Registry[Callable[[Role, list[User], date], dict[int, str]]] = Registry("assignee label")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(role: Role, assigned) -> list[SelectChoice]:
    """Active users holding ``role``, plus whoever is assigned now (even if deactivated since).

    Some are flagged (see ASSIGNEE_LABELS), e.g. foremen under an order stop with its end date.
    """
    users = users_with_role(role)
    if assigned is not None and assigned not in users:
        users.append(assigned)
    labels: dict[int, str] = {}
    for label in ASSIGNEE_LABELS.values():
        labels.update(label(role, users, local_today()))
    return [SelectChoice(u.id, labels.get(u.id, u.display_name)) for u in users]


class ProjectForm(PortalForm):
    """Create or edit a project."""

    contract_no = StringField(_l("Contract no. (档案号)"), filters=[_strip, lambda v: v.upper() if v else v],
                              validators=[DataRequired(), Length(max=9)],
                              description=_l("Studio letter + contract date YYMMDD + day's number, e.g. A25110301"))
    address = StringField(_l("Address"), filters=[_strip], validators=[DataRequired(), Length(max=255)])
    owner_name = StringField(_l("Owner"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    owner_phone = StringField(_l("Owner's phone"), filters=[_strip], validators=[DataRequired(), Length(max=30)],
                              render_kw={"inputmode": "tel", "autocomplete": "off"})
    design_studio = StringField(_l("Design studio"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    designer = StringField(_l("Designer"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    project_manager_id = SelectField(_l("Project manager"), coerce=db_id, validators=[InputRequired()])
    foreman_id = SelectField(_l("Foreman"), coerce=db_id, validators=[InputRequired()])
    contract_amount = DecimalField(_l("Contract amount (¥)"), places=2,
                                   validators=[InputRequired(), NumberRange(min=Decimal("0"), max=Decimal("99999999.99"))],
                                   render_kw={"inputmode": "decimal"})
    start_date = DateField(_l("Start date"), validators=[InputRequired(), report_day])
    planned_completion = DateField(_l("Planned completion"), validators=[InputRequired(), report_day])
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in ProjectStatus],
                         default=ProjectStatus.IN_PROGRESS.value)

    def __init__(self, *args, project_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._project_id = project_id
        project = kwargs.get("obj")
        self.project_manager_id.choices = _choices(Role.PROJECT_MANAGER, project and project.project_manager)
        self.foreman_id.choices = _choices(Role.FOREMAN, project and project.foreman)

    def validate_contract_no(self, field) -> None:
        """Well-formed, a real date, and not used by another project."""
        try:
            parse_contract_no(field.data or "")
        except ValueError as exc:
            if str(exc) == "date":
                raise ValidationError(_l("The date in the contract number is not a real date.")) from exc
            raise ValidationError(_l("Use one capital letter, the contract date as YYMMDD and a two-digit number, e.g. A25110301.")) from exc
        if contract_no_taken(field.data, self._project_id):
            raise ValidationError(_l("Another project already has this contract number."))

    def validate_owner_phone(self, field) -> None:
        """Digits with optional +, spaces and dashes."""
        if not PHONE_RE.fullmatch(field.data or ""):
            raise ValidationError(_l("Enter a phone number of digits, e.g. 13912345678."))

    def validate_planned_completion(self, field) -> None:
        """Completion cannot come before the start."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The planned completion is before the start date."))
