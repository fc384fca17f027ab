"""Scoring of an inspection: pure functions with exact arithmetic, no Flask inside.

Rules (000, 3.2.1): a category's rate is passed / applicable (N/A excluded; a category
without applicable items is left out); the overall rate is all passed / all applicable.
The inspection fails when the overall rate or any category is below 85 %, or when no
valid calibrated equipment was recorded (3.1.5). Otherwise: ≥ 95 % excellent, ≥ 90 %
good, ≥ 85 % pass. Fractions, not floats: 17/20 is exactly 85 % and passes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

PASS_THRESHOLD = Fraction(85, 100)
GRADE_THRESHOLDS = (  # highest first
    (Fraction(95, 100), "excellent"),
    (Fraction(90, 100), "good"),
    (PASS_THRESHOLD, "pass"),
)


class Grade(StrEnum):
    """优秀 / 良好 / 合格."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"


class FailReason(StrEnum):
    """Why an inspection fails."""

    OVERALL_BELOW = "overall_below"
    CATEGORY_BELOW = "category_below"
    NO_VALID_EQUIPMENT = "no_valid_equipment"
    NOTHING_APPLICABLE = "nothing_applicable"


@dataclass(frozen=True)
class Rate:
    """passed out of applicable; ``value`` is an exact Fraction (None without applicable items)."""

    passed: int
    applicable: int

    @property
    def value(self) -> Fraction | None:
        """passed / applicable, exactly."""
        return Fraction(self.passed, self.applicable) if self.applicable else None

    @property
    def percent(self) -> Fraction | None:
        """The rate in percent, exactly."""
        return self.value * 100 if self.value is not None else None

    @property
    def reaches_pass(self) -> bool:
        """At or above the pass threshold (False without applicable items); templates colour rates by it."""
        return self.value is not None and self.value >= PASS_THRESHOLD


@dataclass(frozen=True)
class Evaluation:
    """Result of scoring: rates, pass/fail with reasons, grade."""

    overall: Rate
    categories: dict[str, Rate]
    passed: bool
    grade: Grade | None
    reasons: list[tuple[FailReason, str | None]] = field(default_factory=list)


def rate(outcomes: Iterable[str | None]) -> Rate:
    """Count passed and applicable among outcomes 'pass' / 'fail' / 'na' / None (unanswered)."""
    passed = applicable = 0
    for outcome in outcomes:
        if outcome == "pass":
            passed += 1
            applicable += 1
        elif outcome == "fail":
            applicable += 1
    return Rate(passed, applicable)


def category_rates(answers: Iterable[tuple[str, str | None]]) -> dict[str, Rate]:
    """Rates per category from (category code, outcome) pairs; categories without applicable items are left out."""
    grouped: dict[str, list[str | None]] = {}
    for category, outcome in answers:
        grouped.setdefault(category, []).append(outcome)
    rates = {category: rate(outcomes) for category, outcomes in grouped.items()}
    return {category: r for category, r in rates.items() if r.applicable}


def grade_for(value: Fraction) -> Grade | None:
    """The grade for an overall rate, or None below the pass threshold."""
    for threshold, grade in GRADE_THRESHOLDS:
        if value >= threshold:
            return Grade(grade)
    return None


def evaluate(answers: Iterable[tuple[str, str | None]], has_valid_equipment: bool) -> Evaluation:
    """Score (category code, outcome) pairs and decide pass/fail and grade."""
    answers = list(answers)
    categories = category_rates(answers)
    overall = rate(outcome for _category, outcome in answers)
    reasons: list[tuple[FailReason, str | None]] = []
    if not has_valid_equipment:
        reasons.append((FailReason.NO_VALID_EQUIPMENT, None))
    if overall.value is None:
        reasons.append((FailReason.NOTHING_APPLICABLE, None))
    elif not overall.reaches_pass:
        reasons.append((FailReason.OVERALL_BELOW, None))
    for category, r in categories.items():
        if not r.reaches_pass:
            reasons.append((FailReason.CATEGORY_BELOW, category))
    passed = not reasons
    grade = grade_for(overall.value) if passed else None
    return Evaluation(overall=overall, categories=categories, passed=passed, grade=grade, reasons=reasons)


def percent_text(r: Rate, places: int = 1) -> str:
    """A rate as ``85.0%``, rounded down, so that a failing 84.99 % never shows as 85.0 %."""
    if r.value is None:
        return "—"
    scaled = r.value * 100 * 10**places
    rounded = scaled.numerator // scaled.denominator
    whole, frac = divmod(rounded, 10**places)
    return f"{whole}.{frac:0{places}d}%" if places else f"{whole}%"
