"""Forms of after-sales service."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, IntegerField, MultipleFileField, RadioField, SelectChoice, \
    SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.aftercare.messages import KIND_LABELS, RESPONSIBILITY_LABELS
from portal.forms import PortalForm
from portal.params import planned_day, report_day
from portal.timeutil import local_today

RATING_CHOICES = [SelectChoice(n, str(n)) for n in range(5, 0, -1)]


def not_in_future(_form, field) -> None:
    """A day something happened: not after today."""
    if field.data is not None and field.data > local_today():
        raise ValidationError(_l("The date cannot be in the future."))


def kind_choices() -> list[SelectChoice]:
    """Kinds of work, in the user's language."""
    return [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]


class AcceptanceForm(PortalForm):
    """竣工验收单 and the owner's evaluation (客户评价表)."""

    accepted_on = DateField(_l("Completion accepted on"), validators=[InputRequired(), report_day, not_in_future])
    quality = RadioField(_l("Quality of the work"), choices=RATING_CHOICES, coerce=int, validators=[InputRequired()])
    service = RadioField(_l("Service and attitude"), choices=RATING_CHOICES, coerce=int, validators=[InputRequired()])
    timeliness = RadioField(_l("Keeping to the schedule"), choices=RATING_CHOICES, coerce=int,
                            validators=[InputRequired()])
    comment = TextAreaField(_l("The owner's comment"), validators=[Optional(), Length(max=2000)])
    warranty_explained = BooleanField(_l("I explained the warranty periods, how to report a repair and the owner's page"),
                                      validators=[DataRequired()])


class FinalPaymentForm(PortalForm):
    """The owner's final payment (尾款) as received."""

    paid_on = DateField(_l("Final payment received on"), validators=[InputRequired(), report_day, not_in_future])
    amount = DecimalField(_l("Amount (yuan, optional)"), places=2,
                          validators=[Optional(), NumberRange(min=0.01, max=100_000_000)])


class RepairForm(PortalForm):
    """A repair request (the owner on his page, or office from a phone call)."""

    kind = SelectField(_l("Kind of work"), choices=kind_choices)
    description = TextAreaField(_l("What is wrong, and where"), validators=[DataRequired(), Length(max=4000)])
    contact_phone = StringField(_l("Phone to call back"), validators=[Optional(), Length(max=30)])
    photo = MultipleFileField(_l("Photos (up to 6)"), render_kw={"accept": "image/*"})


class OfficeRepairForm(RepairForm):
    """Office enters a phone call: for which project."""

    contract_no = StringField(_l("Contract number (档案号)"), validators=[DataRequired(), Length(max=9)])


class PlanForm(PortalForm):
    """Solution, visit date and the crew leader it is dispatched to."""

    assignee_id = SelectField(_l("Dispatch to"), coerce=int, validate_choice=True)
    solution = TextAreaField(_l("Solution"), validators=[DataRequired(), Length(max=4000)])
    visit_on = DateField(_l("Visit date"), validators=[InputRequired(), planned_day])


class RepairDoneForm(PortalForm):
    """The repair as done."""

    work_done = TextAreaField(_l("Work done"), validators=[DataRequired(), Length(max=4000)])
    cost = DecimalField(_l("Cost (yuan)"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    responsibility = RadioField(_l("Who bears the cost"), validators=[InputRequired()],
                                choices=[SelectChoice(k, v) for k, v in RESPONSIBILITY_LABELS.items()])
    water_test = RadioField(_l("Water test"), validators=[Optional()], default="",
                            choices=[SelectChoice("passed", _l("Passed, no leak")),
                                     SelectChoice("failed", _l("Failed, still leaking"))])


class FollowUpForm(PortalForm):
    """The call-back after the repair."""

    note = TextAreaField(_l("What the owner said"), validators=[DataRequired(), Length(max=4000)])


class ComplaintForm(PortalForm):
    """A complaint as office registers it."""

    contract_no = StringField(_l("Contract number (档案号)"), validators=[DataRequired(), Length(max=9)])
    matter = StringField(_l("Matter"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Complaint"), validators=[DataRequired(), Length(max=4000)])
    complained_about = StringField(_l("About whom"), validators=[Optional(), Length(max=100)])
    repeat_of = IntegerField(_l("Second complaint on complaint no."), validators=[Optional(), NumberRange(min=1)])


class PassOnForm(PortalForm):
    """Pass the complaint on to the head of the department concerned."""

    handler_id = SelectField(_l("Department head"), coerce=int, validate_choice=True)


class AnswerForm(PortalForm):
    """The department's answer."""

    answer = TextAreaField(_l("Result or progress"), validators=[DataRequired(), Length(max=4000)])


class CloseForm(PortalForm):
    """The return visit that closes the complaint."""

    return_visit = TextAreaField(_l("Return visit"), validators=[DataRequired(), Length(max=4000)])
    satisfied = RadioField(_l("The owner is"), validators=[InputRequired()],
                           choices=[SelectChoice("yes", _l("Satisfied")), SelectChoice("no", _l("Not satisfied"))])


class ReturnCallForm(PortalForm):
    """One quarterly return call (003 流程28); prefixed per project, one per row of the list."""

    result = RadioField(_l("Result"), validators=[InputRequired()],
                        choices=[SelectChoice("satisfied", _l("Reached, satisfied")),
                                 SelectChoice("unsatisfied", _l("Reached, not satisfied")),
                                 SelectChoice("not_reached", _l("Not reached (no answer, switched off)"))])
    note = TextAreaField(_l("What the owner said"), validators=[Optional(), Length(max=1000)])

    @property
    def reached(self) -> bool:
        return self.result.data != "not_reached"

    @property
    def satisfied(self) -> bool | None:
        return {"satisfied": True, "unsatisfied": False}.get(self.result.data)
