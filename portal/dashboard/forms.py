"""Forms of the dashboard: the period and filters (GET), the award month and its confirmation."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectChoice, SelectField
from wtforms.fields import MonthField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from portal.dashboard.periods import Period, PeriodKind, month_of, report_month, report_week, week_of
from portal.dashboard.queries import Filters
from portal.forms import ManyOptionsSelect, PortalForm
from portal.params import report_day



def optional_int(value) -> int | None:
    """'' → None, '12' → 12 (a select whose first option is "all")."""
    if value in (None, ""):
        return None
    return int(value)


class FilterForm(PortalForm):
    """Period (this week or month, this report week or month as the reports count them, or from–to) and
    filters; read from the query string."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    period = SelectField(_l("Period"), default=PeriodKind.MONTH.value, choices=[
        SelectChoice(PeriodKind.WEEK.value, _l("This week")), SelectChoice(PeriodKind.MONTH.value, _l("This month")),
        SelectChoice(PeriodKind.REPORT_WEEK.value, _l("This report week (Thursday – Wednesday)")),
        SelectChoice(PeriodKind.REPORT_MONTH.value, _l("This report month (26th – 25th)")),
        SelectChoice(PeriodKind.CUSTOM.value, _l("From – to"))])
    start = DateField(_l("From"), validators=[Optional(), report_day])
    end = DateField(_l("To"), validators=[Optional(), report_day])
    studio = SelectField(_l("Design studio"), default="", validators=[Optional()], widget=ManyOptionsSelect())
    foreman = SelectField(_l("Foreman"), coerce=optional_int, default=None, validators=[Optional()],
                          widget=ManyOptionsSelect())
    inspector = SelectField(_l("Inspector"), coerce=optional_int, default=None, validators=[Optional()],
                            widget=ManyOptionsSelect())

    def set_choices(self, studios: list[str], foremen: list[tuple[int, str]],
                    inspectors: list[tuple[int, str]]) -> None:
        """Fill the drop-downs (people as (id, name)); the first option of each means "all"."""
        everybody = SelectChoice("", _l("All"))
        self.studio.choices = [everybody, *[SelectChoice(s, s) for s in studios]]
        self.foreman.choices = [everybody, *[SelectChoice(pid, name) for pid, name in foremen]]
        self.inspector.choices = [everybody, *[SelectChoice(pid, name) for pid, name in inspectors]]

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the custom period: both days given, the end not before the start."""
        if not super().validate(extra_validators):
            return False
        if self.period.data != PeriodKind.CUSTOM.value:
            return True
        if self.start.data is None:
            self.start.errors.append(_l("Enter the first day of the period."))
        if self.end.data is None:
            self.end.errors.append(_l("Enter the last day of the period."))
        elif self.start.data is not None and self.end.data < self.start.data:
            self.end.errors.append(_l("The end of the period is before its start."))
        return not (self.start.errors or self.end.errors)

    def chosen_period(self, today: date) -> Period:
        """The period asked for (valid form only)."""
        if self.period.data == PeriodKind.WEEK.value:
            return week_of(today)
        if self.period.data == PeriodKind.REPORT_WEEK.value:
            return report_week(today)
        if self.period.data == PeriodKind.REPORT_MONTH.value:
            return report_month(today)
        if self.period.data == PeriodKind.CUSTOM.value:
            return Period(self.start.data, self.end.data, PeriodKind.CUSTOM)
        return month_of(today)

    def filters(self) -> Filters:
        """The filters asked for (valid form only)."""
        return Filters(design_studio=self.studio.data or None, foreman_id=self.foreman.data,
                       inspector_id=self.inspector.data)


class ReportForm(PortalForm):
    """The day whose weekly or monthly report is wanted (default: today)."""

    class Meta:
        csrf = False

    day = DateField(_l("Report for the day"), validators=[Optional(), report_day])


class AwardMonthForm(PortalForm):
    """Which month's award to look at."""

    class Meta:
        csrf = False

    month = MonthField(_l("Month"), validators=[Optional(), report_day])


class ConfirmAwardsForm(PortalForm):
    """Office confirms the proposal it saw (inspection ids in rank order)."""

    month = MonthField(_l("Month"), validators=[InputRequired(), report_day])
    proposal = HiddenField(validators=[InputRequired(), Length(max=200), Regexp(r"^\d{1,12}(,\d{1,12})*$")])

    def seen_ids(self) -> list[int]:
        """The inspection ids of the proposal that was shown."""
        return [int(part) for part in self.proposal.data.split(",")]
