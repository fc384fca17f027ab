"""Can a project get another inspection round (one rule for the inspection form and the weekly list)."""
from types import SimpleNamespace

import pytest

from portal.inspections.eligibility import ALREADY_PASSED, OPEN_INSPECTION, next_round_block


def round_(completed: bool, passed: bool | None = None) -> SimpleNamespace:
    """An inspection as the rule sees it."""
    return SimpleNamespace(is_completed=completed, passed=passed)


@pytest.mark.parametrize(("rounds", "expected"), [
    ([], None),                                          # first round
    ([round_(True, False)], None),                       # failed: the next round is its reinspection
    ([round_(True, False), round_(True, False)], None),
    ([round_(False)], OPEN_INSPECTION),                  # scheduled or under way
    ([round_(True, False), round_(False)], OPEN_INSPECTION),
    ([round_(True, True)], ALREADY_PASSED),
    ([round_(True, False), round_(True, True)], ALREADY_PASSED),
    ([round_(True, True), round_(False)], OPEN_INSPECTION),  # reopened after passing: open comes first
])
def test_next_round_block(rounds, expected):
    assert next_round_block(rounds) == expected


def test_the_codes_are_the_ones_both_features_show():
    assert (OPEN_INSPECTION, ALREADY_PASSED) == ("open_inspection", "already_passed")
