"""The SVG charts: well-formed, accessible, scalable, with text labels; drawn without Flask."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from portal.dashboard.charts import Bar, bar_chart, column_chart, shorten

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def months(values):
    return [Bar(f"{i + 1}月", value, "—" if value is None else f"{value:g}%") for i, value in enumerate(values)]


def test_column_chart_is_accessible_and_scales():
    svg = parse(column_chart(months([50, 100, None]), chart_id="c1", title="首次通过率", desc="每月."))
    assert svg.get("role") == "img" and svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 360 ")
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find("svg:title", NS).text == "首次通过率" and svg.find("svg:title", NS).get("id") == "c1-title"
    desc = svg.find("svg:desc", NS).text
    assert desc.startswith("每月.") and "1月: 50%" in desc and "3月: —" in desc


def test_columns_are_proportional_and_labelled():
    svg = parse(column_chart(months([50, 100, None, 0]), chart_id="c", title="t", desc="d"))
    heights = [float(rect.get("height")) for rect in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(heights) == 3  # no column without data
    assert heights[1] == 2 * heights[0] and heights[2] == 0
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for label in ("1月", "2月", "3月", "4月", "50%", "100%", "—", "0%"):
        assert label in texts


def test_values_are_clamped_to_the_axis():
    svg = parse(column_chart(months([150, -5]), chart_id="c", title="t", desc="d"))
    heights = [float(rect.get("height")) for rect in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert heights == [140, 0]


def test_labels_are_escaped():
    markup = column_chart([Bar("<b>&", 10, "10%")], chart_id="x\"y", title="<script>", desc="a & b")
    svg = parse(markup)  # still well-formed
    assert "<script>" not in str(markup) and "<b>" not in str(markup)
    assert svg.find("svg:title", NS).text == "<script>"


def test_bar_chart_longest_bar_is_the_largest_value():
    bars = [Bar("插座左零右火上接地", 6, "6", tone="bad"), Bar("接缝严密", 3, "3"), Bar("木材含水率", 0, "0")]
    svg = parse(bar_chart(bars, chart_id="b", title="最常不合格项", desc="次数"))
    widths = [float(rect.get("width")) for rect in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] < 2  # a sliver for zero
    assert widths[0] <= 360
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "插座左零右火上接地" in texts and "6" in texts
    assert svg.get("viewBox") == "0 0 360 128"


def test_long_labels_are_shortened_in_the_drawing_but_whole_in_the_title():
    text = "吊顶龙骨平整度每米不超过两毫米且吊杆间距符合规范要求不得有松动" * 2
    svg = parse(bar_chart([Bar(text, 1, "1")], chart_id="b", title="t", desc="d"))
    drawn = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")][0]
    assert drawn.endswith("…") and len(drawn) <= 28
    assert svg.find("svg:g/svg:title", NS).text.startswith(text)


def test_shorten_counts_wide_characters_double():
    assert shorten("abc", 3) == "abc"
    assert shorten("abcd", 3) == "abc…"
    assert shorten("电气电气", 4) == "电气…"
    assert shorten("Check 01") == "Check 01"
