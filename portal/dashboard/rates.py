"""Rate arithmetic of the dashboard: exact fractions, formatted only at the end. No Flask inside."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

NO_VALUE = "—"


def ratio(part: int, whole: int) -> Fraction | None:
    """``part / whole`` exactly; None when there is nothing to divide by."""
    return Fraction(part, whole) if whole else None


def _rounded(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half up to ``places`` decimals (statistics, not pass/fail decisions)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent_text(value: Fraction | None, places: int = 1) -> str:
    """A rate 0..1 as ``66.7%``; ``—`` without a value."""
    if value is None:
        return NO_VALUE
    return f"{_rounded(value * 100, places)}%"


def number_text(value: Fraction | None, places: int = 2) -> str:
    """A number such as an average as ``1.50``; ``—`` without a value."""
    if value is None:
        return NO_VALUE
    return str(_rounded(value, places))


def percent_number(value: Fraction | None) -> float | None:
    """A rate as a percentage for drawing (charts only; texts come from ``percent_text``)."""
    return None if value is None else float(value * 100)
