"""Pure unit tests for the inspection scoring rules (portal.inspections.scoring).

Rules (company regulation 000, 3.2.1 / 3.1.5): a category's rate is passed / applicable
(N/A and unanswered excluded; a category without applicable items is left out); the overall
rate is all passed / all applicable. The inspection FAILS when the overall rate or any
category is below 85 %, when no valid calibrated equipment was recorded, or when nothing is
applicable. Otherwise the overall rate grades it: ≥ 95 % excellent, ≥ 90 % good, ≥ 85 % pass.
"""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.inspections.scoring import (
    GRADE_THRESHOLDS,
    PASS_THRESHOLD,
    FailReason,
    Grade,
    Rate,
    category_rates,
    evaluate,
    grade_for,
    percent_text,
    rate,
)


# --- helpers -------------------------------------------------------------------------

GRADE_RANK = {None: 0, Grade.PASS: 1, Grade.GOOD: 2, Grade.EXCELLENT: 3}


def items(category: str, passed: int = 0, failed: int = 0, na: int = 0, unanswered: int = 0):
    """(category, outcome) answers with the given counts of each outcome."""
    return (
        [(category, "pass")] * passed
        + [(category, "fail")] * failed
        + [(category, "na")] * na
        + [(category, None)] * unanswered
    )


def failing_categories(evaluation) -> set[str]:
    """Codes named by CATEGORY_BELOW reasons."""
    return {code for reason, code in evaluation.reasons if reason is FailReason.CATEGORY_BELOW}


def reason_kinds(evaluation) -> set[FailReason]:
    return {reason for reason, _code in evaluation.reasons}


# --- constants -----------------------------------------------------------------------


def test_thresholds_are_exact_fractions():
    """85 / 90 / 95 % are exact Fractions, highest grade first."""
    assert PASS_THRESHOLD == Fraction(85, 100)
    assert [(t, g) for t, g in GRADE_THRESHOLDS] == [
        (Fraction(95, 100), "excellent"),
        (Fraction(90, 100), "good"),
        (Fraction(85, 100), "pass"),
    ]


# --- rate / Rate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([], Rate(0, 0)),
        (["pass"], Rate(1, 1)),
        (["fail"], Rate(0, 1)),
        (["na"], Rate(0, 0)),
        ([None], Rate(0, 0)),
        (["pass", "fail", "na", None, "pass"], Rate(2, 3)),
    ],
    ids=["empty", "one-pass", "one-fail", "only-na", "only-unanswered", "mixed"],
)
def test_rate_counts_only_pass_and_fail_as_applicable(outcomes, expected):
    """N/A and unanswered (None) are excluded from the denominator."""
    assert rate(outcomes) == expected


def test_rate_value_and_percent_are_exact():
    """17/20 is exactly 85 %, no float rounding."""
    r = Rate(17, 20)
    assert r.value == Fraction(17, 20)
    assert r.percent == 85
    assert isinstance(r.value, Fraction)


def test_rate_without_applicable_items_has_no_value():
    assert Rate(0, 0).value is None
    assert Rate(0, 0).percent is None


@pytest.mark.parametrize(("r", "expected"), [
    (Rate(17, 20), True),            # exactly 85 %
    (Rate(84, 100), False),
    (Rate(849_999, 1_000_000), False),
    (Rate(20, 20), True),
    (Rate(0, 0), False),             # nothing applicable: no colour of success
])
def test_reaches_pass_is_the_pass_threshold(r, expected):
    """The rule the templates colour category rates by (rate-ok / rate-bad)."""
    assert r.reaches_pass is expected


# --- category_rates -------------------------------------------------------------------


def test_category_rates_groups_by_category():
    answers = items("walls", passed=3, failed=1) + items("floors", passed=2, na=4)
    assert category_rates(answers) == {"walls": Rate(3, 4), "floors": Rate(2, 2)}


def test_category_with_only_na_or_unanswered_is_left_out():
    """A category without applicable items does not appear at all."""
    answers = items("walls", passed=1) + items("carpets", na=5) + items("soft_panels", unanswered=2, na=1)
    assert category_rates(answers) == {"walls": Rate(1, 1)}


def test_category_rates_handles_interleaved_answers():
    answers = [("a", "pass"), ("b", "fail"), ("a", "fail"), ("b", "na"), ("a", "pass")]
    assert category_rates(answers) == {"a": Rate(2, 3), "b": Rate(0, 1)}


# --- grade_for ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1), Grade.EXCELLENT),
        (Fraction(95, 100), Grade.EXCELLENT),
        (Fraction(9499, 10000), Grade.GOOD),
        (Fraction(94999, 100000), Grade.GOOD),
        (Fraction(90, 100), Grade.GOOD),
        (Fraction(8999, 10000), Grade.PASS),
        (Fraction(89999, 100000), Grade.PASS),
        (Fraction(85, 100), Grade.PASS),
        (Fraction(8499, 10000), None),
        (Fraction(84999, 100000), None),
        (Fraction(0), None),
    ],
    ids=str,
)
def test_grade_for_boundaries(value, expected):
    """Each threshold is inclusive; anything just below falls to the next grade."""
    assert grade_for(value) == expected


# --- evaluate: boundaries with a single category (overall == category) ----------------

SINGLE_CATEGORY_BOUNDARIES = [
    # (passed, applicable, passes?, grade)
    (20, 20, True, Grade.EXCELLENT),
    (19, 20, True, Grade.EXCELLENT),       # 95 %
    (9500, 10000, True, Grade.EXCELLENT),  # 95 %
    (9499, 10000, True, Grade.GOOD),       # 94.99 %
    (18, 20, True, Grade.GOOD),            # 90 %
    (9000, 10000, True, Grade.GOOD),       # 90 %
    (8999, 10000, True, Grade.PASS),       # 89.99 %
    (17, 20, True, Grade.PASS),            # 85 %
    (8500, 10000, True, Grade.PASS),       # 85 %
    (8499, 10000, False, None),            # 84.99 %
    (84999, 100000, False, None),          # 84.999 %
    (16, 20, False, None),                 # 80 %
    (0, 5, False, None),
]


@pytest.mark.parametrize(
    ("passed", "applicable", "passes", "grade"),
    SINGLE_CATEGORY_BOUNDARIES,
    ids=[f"{p}/{a}" for p, a, _, _ in SINGLE_CATEGORY_BOUNDARIES],
)
def test_overall_boundaries(passed, applicable, passes, grade):
    """Exact thresholds: 85 % passes, 84.99 % fails; 90 % good; 95 % excellent."""
    result = evaluate(items("structure", passed=passed, failed=applicable - passed), has_valid_equipment=True)
    assert result.overall == Rate(passed, applicable)
    assert result.passed is passes
    assert result.grade == grade
    if passes:
        assert result.reasons == []
    else:
        assert reason_kinds(result) == {FailReason.OVERALL_BELOW, FailReason.CATEGORY_BELOW}
        assert failing_categories(result) == {"structure"}


# --- evaluate: per-category boundaries (overall is well above 85 %) --------------------

CATEGORY_BOUNDARIES = [
    # (passed, applicable of category "painting", passes?)
    (17, 20, True),
    (8500, 10000, True),
    (8499, 10000, False),
    (84999, 100000, False),
    (84, 100, False),
    (0, 1, False),
]


@pytest.mark.parametrize(
    ("passed", "applicable", "passes"),
    CATEGORY_BOUNDARIES,
    ids=[f"{p}/{a}" for p, a, _ in CATEGORY_BOUNDARIES],
)
def test_category_boundaries(passed, applicable, passes):
    """One category at or just below 85 % decides the result, although the overall rate is high."""
    answers = items("painting", passed=passed, failed=applicable - passed) + items("floors", passed=10 * applicable)
    result = evaluate(answers, has_valid_equipment=True)
    assert result.overall.value >= Fraction(90, 100)  # overall alone would pass
    assert result.passed is passes
    if passes:
        assert result.reasons == []
        assert result.grade is not None
    else:
        assert result.reasons == [(FailReason.CATEGORY_BELOW, "painting")]
        assert result.grade is None


def test_category_at_84_percent_fails_even_with_overall_99_percent():
    """84/100 in one category + 1500/1500 elsewhere: overall exactly 99 %, still FAIL."""
    answers = items("electrical", passed=84, failed=16) + items("floors", passed=1500)
    result = evaluate(answers, has_valid_equipment=True)
    assert result.overall == Rate(1584, 1600)
    assert result.overall.percent == 99
    assert result.passed is False
    assert result.grade is None
    assert result.reasons == [(FailReason.CATEGORY_BELOW, "electrical")]


def test_grade_comes_from_the_overall_rate():
    """A category at exactly 85 % passes, and the grade follows the overall rate (117/120 = 97.5 %)."""
    answers = items("ceiling", passed=17, failed=3) + items("floors", passed=100)
    result = evaluate(answers, has_valid_equipment=True)
    assert result.passed is True
    assert result.grade is Grade.EXCELLENT


@pytest.mark.parametrize(
    ("a_passed", "b_passed", "grade"),
    [
        (17, 17, Grade.PASS),       # 34/40 = 85 %
        (17, 19, Grade.GOOD),       # 36/40 = 90 %
        (17, 20, Grade.GOOD),       # 37/40 = 92.5 %
        (18, 20, Grade.EXCELLENT),  # 38/40 = 95 %
    ],
)
def test_grade_over_several_categories(a_passed, b_passed, grade):
    """Overall = all passed / all applicable across categories (each of 20 items, each ≥ 85 %)."""
    answers = items("a", passed=a_passed, failed=20 - a_passed) + items("b", passed=b_passed, failed=20 - b_passed)
    result = evaluate(answers, has_valid_equipment=True)
    assert result.overall == Rate(a_passed + b_passed, 40)
    assert result.passed is True
    assert result.grade is grade


# --- evaluate: exclusions -------------------------------------------------------------


def test_na_items_are_excluded():
    """17 pass + 3 fail + 30 N/A is 17/20 = 85 %: a pass, not 34 %."""
    result = evaluate(items("sanitary", passed=17, failed=3, na=30), has_valid_equipment=True)
    assert result.overall == Rate(17, 20)
    assert result.categories == {"sanitary": Rate(17, 20)}
    assert result.passed is True
    assert result.grade is Grade.PASS


def test_unanswered_items_are_excluded():
    """Unanswered (None) items count neither as passed nor as applicable."""
    result = evaluate(items("sanitary", passed=19, failed=1, unanswered=30), has_valid_equipment=True)
    assert result.overall == Rate(19, 20)
    assert result.grade is Grade.EXCELLENT


def test_category_with_only_na_is_left_out_of_the_evaluation():
    """A category whose items are all N/A neither appears nor fails the inspection."""
    answers = items("floors", passed=20) + items("carpets", na=4) + items("soft_panels", unanswered=3)
    result = evaluate(answers, has_valid_equipment=True)
    assert result.categories == {"floors": Rate(20, 20)}
    assert result.passed is True
    assert result.grade is Grade.EXCELLENT


# --- evaluate: equipment and nothing applicable ----------------------------------------


def test_no_valid_equipment_fails_even_at_100_percent():
    result = evaluate(items("structure", passed=50), has_valid_equipment=False)
    assert result.overall == Rate(50, 50)
    assert result.passed is False
    assert result.grade is None
    assert result.reasons == [(FailReason.NO_VALID_EQUIPMENT, None)]


@pytest.mark.parametrize(
    "answers",
    [[], items("a", na=3), items("a", unanswered=2) + items("b", na=1)],
    ids=["no-answers", "only-na", "na-and-unanswered"],
)
def test_nothing_applicable_fails(answers):
    """Without any applicable item there is nothing to grade: FAIL with NOTHING_APPLICABLE."""
    result = evaluate(answers, has_valid_equipment=True)
    assert result.passed is False
    assert result.grade is None
    assert result.overall == Rate(0, 0)
    assert result.categories == {}
    assert result.reasons == [(FailReason.NOTHING_APPLICABLE, None)]


def test_nothing_applicable_and_no_equipment_report_both_reasons():
    result = evaluate(items("a", na=3), has_valid_equipment=False)
    assert result.passed is False
    assert reason_kinds(result) == {FailReason.NO_VALID_EQUIPMENT, FailReason.NOTHING_APPLICABLE}


def test_reasons_name_every_failing_category():
    """Each failing category code is named; passing categories are not."""
    answers = (
        items("structure", passed=10)
        + items("electrical", passed=8, failed=2)   # 80 %
        + items("painting", passed=17, failed=3)    # 85 %: passes
        + items("floors", passed=1, failed=3)       # 25 %
    )
    result = evaluate(answers, has_valid_equipment=False)
    assert result.passed is False
    assert result.grade is None
    assert failing_categories(result) == {"electrical", "floors"}
    assert (FailReason.NO_VALID_EQUIPMENT, None) in result.reasons
    # overall 36/44 = 81.8 % is below too
    assert (FailReason.OVERALL_BELOW, None) in result.reasons
    assert len(result.reasons) == 4


def test_evaluate_accepts_a_one_shot_iterator():
    """``answers`` may be a generator: it is consumed once for both categories and overall."""
    result = evaluate((pair for pair in items("a", passed=19, failed=1)), has_valid_equipment=True)
    assert result.overall == Rate(19, 20)
    assert result.categories == {"a": Rate(19, 20)}
    assert result.grade is Grade.EXCELLENT


# --- percent_text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("r", "places", "expected"),
    [
        (Rate(17, 20), 1, "85.0%"),
        (Rate(8499, 10000), 1, "84.9%"),
        (Rate(84999, 100000), 1, "84.9%"),
        (Rate(2, 3), 1, "66.6%"),
        (Rate(2, 3), 2, "66.66%"),
        (Rate(2, 3), 0, "66%"),
        (Rate(1, 1), 1, "100.0%"),
        (Rate(0, 7), 1, "0.0%"),
        (Rate(1, 1000), 1, "0.1%"),
        (Rate(0, 0), 1, "—"),
    ],
    ids=str,
)
def test_percent_text_rounds_down(r, places, expected):
    assert percent_text(r, places) == expected


# --- property-based -------------------------------------------------------------------

CATEGORIES = ["structure", "electrical", "painting", "floors", "carpets"]
OUTCOMES = ["pass", "fail", "na", None]

answer_st = st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(OUTCOMES))
# Mostly 'pass' so that passing and graded inspections are common, too.
biased_outcome_st = st.one_of(st.just("pass"), st.just("pass"), st.just("pass"), st.sampled_from(OUTCOMES))
answers_st = st.lists(
    st.one_of(answer_st, st.tuples(st.sampled_from(CATEGORIES), biased_outcome_st)),
    max_size=80,
)


def summary(evaluation):
    """The order-independent part of an evaluation."""
    return (
        evaluation.passed,
        evaluation.grade,
        evaluation.overall,
        evaluation.categories,
        sorted(evaluation.reasons, key=lambda r: (r[0].value, r[1] or "")),
    )


@settings(deadline=None)
@given(answers=answers_st, equipment=st.booleans(), data=st.data())
def test_turning_a_fail_into_a_pass_never_makes_it_worse(answers, equipment, data):
    """(a) Fixing one failed item keeps a pass a pass and never lowers the grade."""
    fail_positions = [i for i, (_c, outcome) in enumerate(answers) if outcome == "fail"]
    if not fail_positions:
        answers = answers + [(data.draw(st.sampled_from(CATEGORIES), label="category"), "fail")]
        fail_positions = [len(answers) - 1]
    index = data.draw(st.sampled_from(fail_positions), label="index")
    improved = list(answers)
    improved[index] = (answers[index][0], "pass")

    before = evaluate(answers, equipment)
    after = evaluate(improved, equipment)
    if before.passed:
        assert after.passed, f"fixing item {index} turned a pass into a fail"
    assert GRADE_RANK[after.grade] >= GRADE_RANK[before.grade], (
        f"grade dropped from {before.grade} to {after.grade} after fixing item {index}"
    )
    assert after.overall.passed == before.overall.passed + 1
    assert after.overall.applicable == before.overall.applicable


@settings(deadline=None)
@given(answers=answers_st, equipment=st.booleans(), data=st.data())
def test_result_does_not_depend_on_answer_order(answers, equipment, data):
    """(b) Shuffling the answers changes neither pass/fail, grade, rates nor the set of reasons."""
    shuffled = data.draw(st.permutations(answers), label="shuffled")
    assert summary(evaluate(shuffled, equipment)) == summary(evaluate(answers, equipment))


@given(answers=answers_st, equipment=st.booleans())
def test_category_rates_are_well_formed(answers, equipment):
    """(c) Every listed category has applicable items, passed ≤ applicable and a rate in [0, 1]."""
    result = evaluate(answers, equipment)
    for code, r in result.categories.items():
        assert 0 <= r.passed <= r.applicable, code
        assert r.applicable > 0, code
        assert 0 <= r.value <= 1, code
    assert 0 <= result.overall.passed <= result.overall.applicable


@given(answers=answers_st, equipment=st.booleans())
def test_overall_is_the_sum_of_the_categories(answers, equipment):
    """(d) overall.passed (and applicable) equal the sums over the categories."""
    result = evaluate(answers, equipment)
    assert result.overall.passed == sum(r.passed for r in result.categories.values())
    assert result.overall.applicable == sum(r.applicable for r in result.categories.values())


@given(answers=answers_st, equipment=st.booleans())
def test_evaluate_matches_the_written_rules(answers, equipment):
    """Independent oracle for pass/fail, grade and reasons, straight from the regulation text."""
    result = evaluate(answers, equipment)
    passed = sum(1 for _c, o in answers if o == "pass")
    applicable = sum(1 for _c, o in answers if o in ("pass", "fail"))
    per_category = {}
    for code, outcome in answers:
        if outcome in ("pass", "fail"):
            p, a = per_category.get(code, (0, 0))
            per_category[code] = (p + (outcome == "pass"), a + 1)
    below = {code for code, (p, a) in per_category.items() if 100 * p < 85 * a}

    expected_pass = equipment and applicable > 0 and 100 * passed >= 85 * applicable and not below
    assert result.passed is expected_pass
    assert failing_categories(result) == below
    assert ((FailReason.NO_VALID_EQUIPMENT, None) in result.reasons) is (not equipment)
    assert ((FailReason.NOTHING_APPLICABLE, None) in result.reasons) is (applicable == 0)
    if expected_pass:
        percent = Fraction(100 * passed, applicable)
        expected_grade = Grade.EXCELLENT if percent >= 95 else Grade.GOOD if percent >= 90 else Grade.PASS
        assert result.grade is expected_grade
    else:
        assert result.grade is None
        assert result.reasons


@given(answers=answers_st)
def test_overall_below_implies_a_category_below(answers):
    """The overall rate is a weighted mean of the categories, so it is never the only reason."""
    result = evaluate(answers, True)
    if (FailReason.OVERALL_BELOW, None) in result.reasons:
        assert failing_categories(result)


@st.composite
def rates(draw, max_applicable=10**7):
    applicable = draw(st.integers(min_value=1, max_value=max_applicable))
    passed = draw(st.integers(min_value=0, max_value=applicable))
    return Rate(passed, applicable)


PERCENT_TEXT = re.compile(r"^(\d+)(?:\.(\d+))?%$")


@given(r=rates(), places=st.integers(min_value=0, max_value=4))
def test_percent_text_never_rounds_up(r, places):
    """(e) The shown number is the exact percent rounded DOWN to ``places`` decimals."""
    text = percent_text(r, places)
    match = PERCENT_TEXT.match(text)
    assert match, text
    assert len(match.group(2) or "") == places, text
    shown = Fraction(text[:-1])
    assert shown <= r.percent, f"{r} shown as {text}, above exact {float(r.percent)} %"
    assert r.percent - shown < Fraction(1, 10**places), f"{r} shown as {text}: more than one step below"


@given(r=rates().filter(lambda r: r.value < PASS_THRESHOLD))
def test_failing_rate_never_shows_85_percent(r):
    """(e) A rate below 85 % never reads as "85.0%" or more."""
    text = percent_text(r)
    assert Fraction(text[:-1]) < 85, f"{r} (= {float(r.percent)} %) shown as {text}"


def test_percent_text_at_84_99_shows_below_85():
    """The motivating example: 8499/10000 must not read as a pass."""
    assert percent_text(Rate(8499, 10000)) == "84.9%"
    assert percent_text(Rate(849999, 1000000)) == "84.9%"
