"""Forms of the checklist editor: one item of a draft version, and the retire confirmation."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DecimalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.checklists.limits import Limit, is_plain_limit
from portal.checklists.models import FIX_MAX, TEXT_MAX, UNIT_MAX, ChecklistItem, ChecklistTemplate, ItemKind
from portal.forms import PortalForm
from portal.web import db_id

LIMIT_FIELDS = ("limit_min", "limit_max", "nominal", "tolerance")
LIMIT_PATTERN_ERROR = _l("Give a minimum, a maximum, both, or a nominal value with a tolerance.")
KIND_LABELS = {ItemKind.CHECK: _l("Check (pass / fail / N/A)"), ItemKind.MEASURED: _l("Measured (a number)")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _plain_limit(_form, field) -> None:
    """Limits are compared with measurements, which have at most three decimals and a bounded size."""
    value: Decimal | None = field.data
    if value is not None and not is_plain_limit(value):
        raise ValidationError(_l("Enter a number between -1,000,000 and 1,000,000 with at most 3 decimals."))


class LimitField(DecimalField):
    """A limit value, shown as typed or as a plain number (``12``, not ``12.0000``)."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[Optional(), _plain_limit], places=None,
                         render_kw={"inputmode": "decimal"}, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data.normalize(), "f")


class ItemForm(PortalForm):
    """Add or edit one item of a draft version."""

    category_id = SelectField(_l("Category"), coerce=db_id)
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, KIND_LABELS[k]) for k in ItemKind],
                       default=ItemKind.CHECK.value)
    text = TextAreaField(_l("Text (Chinese)"), filters=[_strip], validators=[DataRequired(), Length(max=TEXT_MAX)],
                         render_kw={"rows": 2})
    text_en = TextAreaField(_l("Text (English)"), filters=[_strip], validators=[Length(max=TEXT_MAX)],
                            render_kw={"rows": 2})
    unit = StringField(_l("Unit"), filters=[_strip], validators=[Length(max=UNIT_MAX)],
                       description=_l("Measured items only, e.g. mm, %, MΩ."))
    limit_min = LimitField(_l("Minimum"))
    limit_max = LimitField(_l("Maximum"))
    nominal = LimitField(_l("Nominal value"))
    tolerance = LimitField(_l("Tolerance (±)"))
    note_required_on_fail = BooleanField(_l("A note is required when the item fails"))
    photo_required_on_fail = BooleanField(_l("A photo is required when the item fails"))
    default_fix = TextAreaField(_l("Default fix (Chinese)"), filters=[_strip], validators=[Length(max=FIX_MAX)],
                                render_kw={"rows": 2},
                                description=_l("Written on the rectification notice unless the inspector changes it."))
    default_fix_en = TextAreaField(_l("Default fix (English)"), filters=[_strip], validators=[Length(max=FIX_MAX)],
                                   render_kw={"rows": 2})

    def __init__(self, version: ChecklistTemplate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [SelectChoice(c.id, c.display_title) for c in version.categories]

    @property
    def is_measured(self) -> bool:
        """True when the submitted kind is a measured item."""
        return self.kind.data == ItemKind.MEASURED.value

    def validate_unit(self, field) -> None:
        """A measured value means nothing without its unit."""
        if self.is_measured and not field.data:
            raise ValidationError(_l("Give the unit of the measured value."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then one limit pattern for measured items (an error on the limits group)."""
        valid = super().validate(extra_validators)
        if self.is_measured and not any(getattr(self, name).errors for name in LIMIT_FIELDS):
            if not self.limit().is_valid():
                self.form_errors.append(str(LIMIT_PATTERN_ERROR))
                valid = False
        return valid

    def limit(self) -> Limit:
        """The submitted limits as a value object."""
        return Limit(self.limit_min.data, self.limit_max.data, self.nominal.data, self.tolerance.data)

    def item_values(self) -> dict:
        """The values for :func:`portal.checklists.services.save_item` (without the category)."""
        names = ("kind", "text", "text_en", "unit", *LIMIT_FIELDS, "note_required_on_fail",
                 "photo_required_on_fail", "default_fix", "default_fix_en")
        values = {name: getattr(self, name).data for name in names}
        for name in ("text_en", "unit", "default_fix", "default_fix_en"):
            values[name] = values[name] or ""  # the columns are NOT NULL
        return values


class RetireForm(PortalForm):
    """Retiring a version is for good: the office ticks a box to confirm."""

    confirm = BooleanField(_l("No new inspections start on this version; inspections that use it keep it."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


def item_form(version: ChecklistTemplate, item: ChecklistItem | None, category_id: int | None) -> ItemForm:
    """The item form, filled from ``item`` when editing, else preset to ``category_id``."""
    if item is not None:
        return ItemForm(version, obj=item)
    return ItemForm(version, category_id=category_id)
