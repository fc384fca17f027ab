"""The escalation table per failed round and the calendar arithmetic of the order stop."""
from datetime import date
from decimal import Decimal

import pytest

from portal.penalties.models import PenaltyKind
from portal.rectification.escalation import add_months, rules_for_round


def summary(round_no: int) -> list[tuple]:
    return [(r.role, r.kind, r.amount, r.order_stop_months) for r in rules_for_round(round_no)]


ROUND_3 = [("foreman", PenaltyKind.REPLACEMENT, Decimal("500"), 3), ("project_manager", PenaltyKind.SERIOUS_FAULT, None, 0)]


@pytest.mark.parametrize("round_no, expected", [
    (1, [("foreman", PenaltyKind.GENERAL_FAULT, None, 0)]),
    (2, [("foreman", PenaltyKind.SERIOUS_FAULT, None, 0), ("project_manager", PenaltyKind.GENERAL_FAULT, None, 0)]),
    (3, ROUND_3),
    (4, ROUND_3),  # beyond the table: the last row repeats
    (9, ROUND_3),
], ids=["round1", "round2", "round3", "round4-repeats-3", "round9-repeats-3"])
def test_rules_for_round(round_no, expected):
    assert summary(round_no) == expected


@pytest.mark.parametrize("round_no", [0, -1])
def test_no_rules_before_round_one(round_no):
    assert rules_for_round(round_no) == ()


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),   # clamped to February's end
    (date(2028, 1, 31), 1, date(2028, 2, 29)),   # leap year
    (date(2026, 11, 30), 3, date(2027, 2, 28)),  # year wrap and clamp
    (date(2027, 11, 30), 3, date(2028, 2, 29)),  # year wrap into a leap February
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # December + 1
    (date(2026, 10, 31), 3, date(2027, 1, 31)),  # no clamping needed
    (date(2026, 3, 31), 1, date(2026, 4, 30)),   # 30-day month
    (date(2026, 5, 10), 0, date(2026, 5, 10)),   # zero months
    (date(2026, 1, 1), 12, date(2027, 1, 1)),    # a whole year
    (date(2026, 11, 24), 27, date(2029, 2, 24)),  # several years
], ids=["31jan+1", "31jan+1-leap", "30nov+3", "30nov+3-leap", "15dec+1", "31oct+3", "31mar+1", "+0", "+12", "+27"])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected
