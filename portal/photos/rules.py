"""Rules of the concealed-works record, as plain functions of plain values."""
from __future__ import annotations

from datetime import datetime, timedelta

CLOSURE_HOURS = 24
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may run a little ahead of the server's


def closure_end_error(started_at: datetime, ended_at: datetime, now: datetime) -> str | None:
    """Why a closure test cannot end at ``ended_at``: "future", "too_short" (under 24 hours), or None.

    All three are UTC.
    """
    if ended_at > now + CLOCK_SKEW:
        return "future"
    if ended_at - started_at < timedelta(hours=CLOSURE_HOURS):
        return "too_short"
    return None
