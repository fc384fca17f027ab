"""Small charts drawn on the server as inline SVG: no JavaScript, readable on a phone, printable.

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that lists every value, so a
screen reader gets the numbers; values and labels are drawn as text too. The drawing is 360
units wide (a phone's width) and scales with ``width="100%"`` and its ``viewBox``. Callers
pass finished texts (already formatted and translated); numbers are only used for geometry.
``column_chart`` and ``bar_chart`` draw; the functions at the end make the dashboard's charts.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.dashboard.rates import percent_number, percent_text
from portal.inspections.messages import grade_label

WIDTH = 360
COLOURS = {"brand": "#0b4f8a", "ok": "#166534", "bad": "#b91c1c", "warn": "#92400e"}
INK, MUTED, GRID = "#111827", "#4b5563", "#d1d5db"
FONT = "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"
NO_VALUE = "—"


@dataclass(frozen=True)
class Bar:
    """One bar: ``label`` under (columns) or above (bars) it, ``value`` for its size (None: no data)."""

    label: str
    value: float | None
    value_text: str
    note: str = ""  # a second, smaller label line under a column (e.g. the year)
    tone: str = "brand"
    full_label: str = ""  # for the tooltip and description when ``label`` is shortened

    @property
    def name(self) -> str:
        """What the bar stands for, in full (tooltip, description)."""
        return self.full_label or f"{self.label} {self.note}".strip()


def _n(x: float) -> str:
    """A coordinate with at most one decimal."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, height: float, title: str, desc: str, bars: list[Bar], body: list[str]) -> Markup:
    """The ``<svg>`` element around ``body`` with its accessible name and description."""
    values = "; ".join(f"{bar.name}: {bar.value_text}" for bar in bars)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
            f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-family="{FONT}">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)} {escape(values)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "middle", fill: str = INK,
          css: str = "") -> str:
    """A ``<text>`` element; the text is escaped."""
    css_class = f' class="{css}"' if css else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{css_class}>'
            f'{escape(text)}</text>')


def column_chart(bars: list[Bar], *, chart_id: str, title: str, desc: str, max_value: float = 100.0,
                 gridlines: tuple[float, ...] = (0, 50, 100), grid_suffix: str = "%") -> Markup:
    """Vertical bars side by side (e.g. one per month), values above, labels and notes below."""
    left, right, top, plot = 32.0, 4.0, 18.0, 140.0
    slot = (WIDTH - left - right) / max(len(bars), 1)
    body = []
    for mark in gridlines:
        y = top + plot - plot * mark / max_value
        body.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(WIDTH - right)}" y2="{_n(y)}" stroke="{GRID}" '
                    f'stroke-width="1"/>')
        body.append(_text(left - 4, y + 3.5, f"{mark:g}{grid_suffix}", size=10, anchor="end", fill=MUTED))
    for i, bar in enumerate(bars):
        body.append(_column(bar, left + i * slot, slot, top, plot, max_value))
    return _svg(chart_id, top + plot + 36, title, desc, bars, body)


def _column(bar: Bar, x: float, slot: float, top: float, plot: float, max_value: float) -> str:
    """One column with its value text, label and note."""
    centre, base = x + slot / 2, top + plot
    parts = [f"<g><title>{escape(bar.name)}: {escape(bar.value_text)}</title>"]
    if bar.value is None:
        parts.append(_text(centre, base - 4, NO_VALUE, size=10, fill=MUTED, css="chart-value"))
    else:
        height = plot * min(max(bar.value, 0.0), max_value) / max_value
        width = slot * 0.64
        parts.append(f'<rect x="{_n(centre - width / 2)}" y="{_n(base - height)}" width="{_n(width)}" '
                     f'height="{_n(height)}" fill="{COLOURS.get(bar.tone, COLOURS["brand"])}" rx="2"/>')
        parts.append(_text(centre, base - height - 4, bar.value_text, size=10, css="chart-value"))
    parts.append(_text(centre, base + 15, bar.label, size=11, css="chart-label"))
    if bar.note:
        parts.append(_text(centre, base + 29, bar.note, size=10, fill=MUTED))
    return "".join(parts) + "</g>"


def bar_chart(bars: list[Bar], *, chart_id: str, title: str, desc: str, max_value: float | None = None) -> Markup:
    """Horizontal bars, one per row with its label above (long labels fit a phone); longest = largest value."""
    row, value_room = 40.0, 52.0
    largest = max_value or max((bar.value or 0.0 for bar in bars), default=0.0) or 1.0
    body = []
    for i, bar in enumerate(bars):
        y = 4 + i * row
        width = (WIDTH - 4 - value_room) * min(max(bar.value or 0.0, 0.0), largest) / largest
        body.append(f"<g><title>{escape(bar.name)}: {escape(bar.value_text)}</title>"
                    + _text(2, y + 13, shorten(bar.label), size=12, anchor="start", css="chart-label")
                    + f'<rect x="2" y="{_n(y + 18)}" width="{_n(max(width, 1.5))}" height="14" rx="2" '
                      f'fill="{COLOURS.get(bar.tone, COLOURS["brand"])}"/>'
                    + _text(2 + max(width, 1.5) + 4, y + 30, bar.value_text, size=12, anchor="start",
                            css="chart-value")
                    + "</g>")
    return _svg(chart_id, 8 + len(bars) * row, title, desc, bars, body)


def shorten(text: str, max_units: int = 54) -> str:
    """``text`` cut to fit one chart line: wide (CJK) characters count two units, others one."""
    units, out = 0, []
    for char in text:
        units += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if units > max_units:
            return "".join(out).rstrip() + "…"
        out.append(char)
    return text


# --- the dashboard's charts ------------------------------------------------------------------

def dashboard_charts(figures) -> dict[str, Markup]:
    """The trend, grade and most-failed-items charts of ``figures`` (a queries.Figures)."""
    return {"trend": trend_chart(figures.trend), "grades": grades_chart(figures.quality),
            "items": failed_items_chart(figures.items)}


def trend_chart(trend) -> Markup:
    """First-time pass rate per month (12 months to the period) as columns; years under the first month and January."""
    bars = [Bar(format_date(m.month, "MMM"), percent_number(m.quality.first_time_pass_rate),
                percent_text(m.quality.first_time_pass_rate, places=0), note=_year_note(trend, i), tone="ok",
                full_label=f"{m.month:%Y-%m}") for i, m in enumerate(trend)]
    return column_chart(bars, chart_id="chart-trend", title=_("First-time pass rate by month"),
                        desc=_("Round-1 inspections that passed, in percent of those finished, per month."))


def _year_note(trend, i: int) -> str:
    """The year under January, and under the first month unless January follows at once (no overlap)."""
    month = trend[i].month
    if month.month == 1 or (i == 0 and not (len(trend) > 1 and trend[1].month.month == 1)):
        return str(month.year)
    return ""


def grades_chart(quality) -> Markup:
    """Finished inspections of the period by grade."""
    tones = {"excellent": "ok", "good": "brand", "pass": "warn", "failed": "bad"}
    bars = [Bar(grade_label(None if grade == "failed" else grade), count, str(count), tone=tones[grade])
            for grade, count in quality.grades.items()]
    return bar_chart(bars, chart_id="chart-grades", title=_("Grades in the period"),
                     desc=_("Finished inspections by grade."))


def failed_items_chart(items) -> Markup:
    """The most failed items as horizontal bars (empty when nothing failed)."""
    if not items:
        return Markup("")
    bars = [Bar(item.text, item.failed, str(item.failed), tone="bad", full_label=item.text) for item in items]
    return bar_chart(bars, chart_id="chart-items", title=_("Most failed items"),
                     desc=_("How often each item failed in the period."))
