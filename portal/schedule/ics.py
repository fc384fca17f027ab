"""A minimal iCalendar (RFC 5545) writer for the inspectors' calendar feeds.

Plain data in, text out: no Flask, no ORM. Times are written in UTC (``…Z``), so no
VTIMEZONE block is needed; inspections without a time slot become all-day events.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

PRODID = "-//Pre-acceptance portal//Inspection schedule//EN"
LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """One inspection as the phone's calendar shows it. ``start`` is aware, or a date for all-day."""

    uid: str
    start: datetime | date
    end: datetime | date
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    sequence: int = 0


def render_calendar(events: list[CalendarEvent], *, name: str, stamp: datetime) -> str:
    """The whole VCALENDAR text with CRLF line endings; ``stamp`` (aware) is every event's DTSTAMP."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}", "X-PUBLISHED-TTL:PT1H", "REFRESH-INTERVAL;VALUE=DURATION:PT1H"]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event_lines(event: CalendarEvent, stamp: datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{utc_text(stamp)}",
             _when("DTSTART", event.start), _when("DTEND", event.end), f"SEQUENCE:{event.sequence}",
             f"SUMMARY:{escape_text(event.summary)}"]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def _when(name: str, value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"{name}:{utc_text(value)}"
    return f"{name};VALUE=DATE:{value:%Y%m%d}"


def utc_text(value: datetime) -> str:
    """An aware datetime as ``YYYYMMDDTHHMMSSZ``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def all_day(day: date) -> tuple[date, date]:
    """Start and (exclusive) end of an all-day event."""
    return day, day + timedelta(days=1)


def escape_text(text: str) -> str:
    r"""TEXT value escaping: backslash, semicolon, comma and newlines (\n); other control characters dropped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in text if ch == "\t" or ord(ch) >= 32)


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets (UTF-8), never inside a character."""
    parts, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode())
        limit = LINE_OCTETS if not parts else LINE_OCTETS - 1  # continuation lines start with a space
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += ch
        size += width
    parts.append(current)
    return "\r\n ".join(parts)
