"""Forms of the schedule pages: the weekly list, scheduling a listed project, moving an inspection."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.auth.models import User
from portal.forms import PortalForm
from portal.projects.models import Project
from portal.params import planned_day
from portal.schedule import rules
from portal.schedule.services import REASON_MAX
from portal.web import db_id


def slot_choices() -> list[SelectChoice]:
    """The day's time slots (09:00, 10:30, …)."""
    return [SelectChoice(slot.strftime("%H:%M"), slot.strftime("%H:%M")) for slot in rules.TIME_SLOTS]


def inspector_choices(inspectors: list[User]) -> list[SelectChoice]:
    """Active inspectors by name."""
    return [SelectChoice(u.id, u.display_name) for u in inspectors]


class AddEntryForm(PortalForm):
    """Engineering puts a project on next week's list."""

    project_id = SelectField(_l("Project"), coerce=db_id, validators=[InputRequired()])
    owner_delay = BooleanField(_l("Owner's delay (company work not complete, 3.1.2)"))
    owner_delay_reason = TextAreaField(_l("Reason for the owner's delay"), filters=[lambda v: v.strip() if v else v],
                                       validators=[Optional(), Length(max=REASON_MAX)], render_kw={"rows": 2})

    def fill(self, complete: list[Project], others: list[Project]) -> None:
        """Projects with work complete first; the others only count with the owner's delay."""
        self.project_id.choices = (
            [SelectChoice(p.id, f"{p.contract_no} {p.address}", optgroup=str(_l("Company work complete")))
             for p in complete]
            + [SelectChoice(p.id, f"{p.contract_no} {p.address} ({p.status_label})",
                            optgroup=str(_l("Only with the owner's delay"))) for p in others])

    def validate_owner_delay_reason(self, field) -> None:
        """The exception needs its reason."""
        if self.owner_delay.data and not field.data:
            raise ValidationError(_l("Write the reason for the owner's delay."))


class SlotField(SelectField):
    """A time slot select whose data is a ``datetime.time``."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, choices=slot_choices(), validators=[InputRequired()], **kwargs)

    @property
    def slot(self):
        """The chosen time, or None."""
        return rules.parse_slot(self.data)


class ScheduleEntryForm(PortalForm):
    """Office turns a listed project into an inspection (one form per entry, with a prefix)."""

    inspector_id = SelectField(_l("Inspector"), coerce=db_id, validators=[InputRequired()])
    scheduled_date = DateField(_l("Date"), validators=[InputRequired(), planned_day])
    scheduled_time = SlotField(_l("Time"))


class RescheduleForm(PortalForm):
    """Office moves an inspection; a reason is needed later than 24 hours before the slot."""

    scheduled_date = DateField(_l("New date"), validators=[InputRequired(), planned_day])
    scheduled_time = SlotField(_l("New time"))
    reason = TextAreaField(_l("Reason"), filters=[lambda v: v.strip() if v else v],
                           validators=[Optional(), Length(max=REASON_MAX)], render_kw={"rows": 2},
                           description=_l("Required when the change is less than 24 hours before the slot."))
