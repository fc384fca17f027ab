"""The phone's clock against the server's, as plain functions of plain values (all times UTC, naive).

Each field action carries two phone times: ``captured_at``, when the inspector did it (it may
have waited in the outbox for hours), and the phone's clock when the action was sent. The
server notes when it received it. From these:

- the phone clock's offset = server receive time − phone clock at send (the network time is
  negligible against the threshold);
- an offset over :data:`CLOCK_THRESHOLD` either way is flagged: the phone's times are then shown
  as doubtful to the office, and they are corrected, never taken as they are;
- the corrected capture time = phone capture time + offset, and never later than the receive
  time (nothing can have happened on the phone after the server received it).

Which rule uses which time:

- the start of an inspection (``Inspection.started_at``, hence the inspection day on which
  the equipment's calibration must be valid) and finishing (``finished_at``, which the
  dashboards, reports and monthly awards count by) use the corrected capture time: the moment
  it happened on site, even when the phone had no signal;
- each answer change keeps the corrected capture time (``captured_at``) beside the server's
  receive time (``changed_at``); scoring reads only the answers, never a time;
- the 24-hour closure test (``portal.photos.rules``) compares the times the inspector enters
  on the record with the server's clock, allowing the same few minutes of skew;
- the weekly schedule and its 24-hour change rule are office actions at a desk: server time.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

CLOCK_THRESHOLD = timedelta(minutes=5)


def parse_phone_time(text: str | None) -> datetime | None:
    """An ISO 8601 time from the phone (with its zone, as ``Date.toISOString()`` writes it) as
    naive UTC; None when missing, unreadable or without a zone (no guess about the phone's zone)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def clock_offset(received_at: datetime, phone_clock_at: datetime | None) -> timedelta | None:
    """How far the phone's clock is behind the server's (negative: ahead); None when unknown."""
    return None if phone_clock_at is None else received_at - phone_clock_at


def clock_is_off(offset: timedelta | None, threshold: timedelta = CLOCK_THRESHOLD) -> bool:
    """True when the phone's clock is off by more than ``threshold`` either way."""
    return offset is not None and abs(offset) > threshold


def corrected_capture(captured_at: datetime | None, offset: timedelta | None, received_at: datetime) -> datetime:
    """When it happened, in server time: the phone's capture time moved by the clock's offset,
    clamped to the receive time; the receive time itself when the phone gave no capture time."""
    if captured_at is None:
        return received_at
    corrected = captured_at + (offset or timedelta(0))
    return min(corrected, received_at)
