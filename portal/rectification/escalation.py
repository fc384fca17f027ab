"""Escalation penalties per failed round (000, 3.2.2 – 3.2.5), as one table a company can change.

Round 1 fails → foreman: general fault.
Round 2 fails → foreman: serious fault; project manager: general fault.
Round 3 (and later) fails → foreman: replaced on the site, fined ¥500, no new orders for three
months; project manager: serious fault.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.penalties.models import PenaltyKind


@dataclass(frozen=True)
class PenaltyRule:
    """What one person gets when a round fails."""

    role: str
    kind: PenaltyKind
    amount: Decimal | None = None
    order_stop_months: int = 0


ESCALATION: dict[int, tuple[PenaltyRule, ...]] = {
    1: (PenaltyRule("foreman", PenaltyKind.GENERAL_FAULT),),
    2: (PenaltyRule("foreman", PenaltyKind.SERIOUS_FAULT), PenaltyRule("project_manager", PenaltyKind.GENERAL_FAULT)),
    3: (PenaltyRule("foreman", PenaltyKind.REPLACEMENT, Decimal("500"), 3),
        PenaltyRule("project_manager", PenaltyKind.SERIOUS_FAULT)),
}


def rules_for_round(round_no: int) -> tuple[PenaltyRule, ...]:
    """The penalties for a failed round; rounds beyond the table repeat its last row."""
    if round_no < 1:
        return ()
    return ESCALATION.get(round_no) or ESCALATION[max(ESCALATION)]


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb).

    For deadlines counted from a day. Reporting months (always a first of month) use
    :func:`portal.dashboard.periods.shift_month`.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
