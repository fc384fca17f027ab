"""Measured items: parsing inspector input and judging it against the item's limits.

Pure functions on Decimals; no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Larger magnitudes are typing mistakes on a phone keypad, not measurements.
MAX_ABS_VALUE = Decimal("1000000")
MAX_DECIMALS = 3


@dataclass(frozen=True)
class Limit:
    """Inclusive limits of a measured item: min and/or max, or nominal ± tolerance."""

    minimum: Decimal | None = None
    maximum: Decimal | None = None
    nominal: Decimal | None = None
    tolerance: Decimal | None = None

    def accepts(self, value: Decimal) -> bool:
        """True when ``value`` lies within the limit (limits are inclusive)."""
        if self.nominal is not None and self.tolerance is not None:
            if abs(value - self.nominal) > self.tolerance:
                return False
        if self.minimum is not None and value < self.minimum:
            return False
        if self.maximum is not None and value > self.maximum:
            return False
        return True

    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        """(lowest, highest) accepted value, either may be None: what the phone judges offline with."""
        low, high = self.minimum, self.maximum
        if self.nominal is not None and self.tolerance is not None:
            low = max(x for x in (low, self.nominal - self.tolerance) if x is not None)
            high = min(x for x in (high, self.nominal + self.tolerance) if x is not None)
        return low, high

    def describe(self, unit: str = "") -> str:
        """A short human text: ``≤ 12 %``, ``≥ 250 mm``, ``8–12 mm``, ``0 ± 2 mm``."""
        suffix = f" {unit}" if unit else ""
        if self.nominal is not None and self.tolerance is not None:
            return f"{_plain(self.nominal)} ± {_plain(self.tolerance)}{suffix}"
        if self.minimum is not None and self.maximum is not None:
            return f"{_plain(self.minimum)}–{_plain(self.maximum)}{suffix}"
        if self.maximum is not None:
            return f"≤ {_plain(self.maximum)}{suffix}"
        if self.minimum is not None:
            return f"≥ {_plain(self.minimum)}{suffix}"
        return ""

    def is_valid(self) -> bool:
        """Exactly one limit pattern, with a positive tolerance and min below max."""
        has_tolerance = self.nominal is not None or self.tolerance is not None
        has_range = self.minimum is not None or self.maximum is not None
        if has_tolerance:
            return (not has_range and self.nominal is not None and self.tolerance is not None
                    and self.tolerance > 0)
        if self.minimum is not None and self.maximum is not None:
            return self.minimum < self.maximum
        return has_range


def is_plain_limit(value: Decimal) -> bool:
    """A limit that measurements (at most three decimals, bounded size) can be compared with."""
    return (value.is_finite() and value.copy_abs() <= MAX_ABS_VALUE
            and value.normalize().as_tuple().exponent >= -MAX_DECIMALS)


class MeasurementError(ValueError):
    """The typed value is not a usable measurement; ``code`` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_measurement(raw: str) -> Decimal:
    """Turn the inspector's input into a Decimal, or raise MeasurementError.

    Accepts a comma as decimal separator and full-width digits from Chinese keyboards;
    refuses text, NaN, infinities, absurd magnitudes and more than three decimals.
    """
    text = (raw or "").strip().replace("，", ",").replace(",", ".").replace("．", ".").replace("－", "-")
    text = text.translate(_FULLWIDTH_DIGITS)
    if not text:
        raise MeasurementError("empty")
    if len(text) > 20:
        raise MeasurementError("not_a_number")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MeasurementError("not_a_number") from exc
    if not value.is_finite():
        raise MeasurementError("not_a_number")
    # Compare exponents first: abs() of 1e1000000 overflows the decimal context.
    if value.adjusted() > MAX_ABS_VALUE.adjusted() or abs(value) > MAX_ABS_VALUE:
        raise MeasurementError("out_of_range")
    if value != value.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding="ROUND_DOWN"):
        raise MeasurementError("too_precise")
    return value.normalize() if value != 0 else Decimal(0)


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _plain(value: Decimal) -> str:
    """Decimal without exponent or trailing zeros: 12, 0.5, 250."""
    text = format(value.normalize(), "f")
    return text
