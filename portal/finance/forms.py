"""The form finance fills in to record a settlement payment."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from portal.forms import PortalForm
from portal.timeutil import local_today

MAX_AMOUNT = Decimal("99999999.99")  # what the amount column holds


def parse_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD, or None."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_amount(text: str) -> Decimal | None:
    """A positive amount in yuan that the column holds (thousands separators allowed), to the fen; or None."""
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() and 0 < amount <= MAX_AMOUNT else None


def reference_text(value: str | None) -> str:
    """The reference as stored: without surrounding blanks, at most 100 characters."""
    return (value or "").strip()[:100]


class DateTextField(StringField):
    """A date typed as YYYY-MM-DD; ``data`` is None when the text is not one."""

    def process_formdata(self, valuelist) -> None:
        self.data = parse_date(valuelist[0]) if valuelist else None


class AmountField(StringField):
    """An amount in yuan; ``data`` is None when the text is not a positive amount the column holds."""

    def process_formdata(self, valuelist) -> None:
        self.data = parse_amount(valuelist[0]) if valuelist else None


class PaymentForm(PortalForm):
    """Date, amount and bank reference of the completion settlement's payment."""

    paid_on = DateTextField(_l("Paid on"))
    amount = AmountField(_l("Amount (¥)"))
    reference = StringField(_l("Reference"), filters=[reference_text])

    def validate_paid_on(self, field) -> None:
        """A real date, not after tomorrow."""
        if field.data is None:
            raise ValidationError(_l("Enter the payment date."))
        if field.data > local_today() + timedelta(days=1):
            raise ValidationError(_l("The payment date is in the future."))

    def validate_amount(self, field) -> None:
        """A positive amount."""
        if field.data is None:
            raise ValidationError(_l("Enter the amount paid."))

    def validate_reference(self, field) -> None:
        """The bank's reference of the transfer."""
        if not field.data:
            raise ValidationError(_l("Enter the payment reference."))

    def messages(self) -> list[str]:
        """The fields' errors in the form's order (the page shows them above the results)."""
        return [error for field in (self.paid_on, self.amount, self.reference) for error in field.errors]
