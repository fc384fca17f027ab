"""Checks on the default pre-acceptance checklist data, data/default_checklist.json (no Flask needed)."""
import json
import re
from decimal import Decimal, InvalidOperation

import pytest

from portal.checklists.checklist_file import DEFAULT_CHECKLIST, iter_items, read_checklist

CHECKLIST = json.loads(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))  # as written, before defaults are filled in
CATEGORIES = CHECKLIST["categories"]

LIMIT_KEYS = ("limit_min", "limit_max", "nominal", "tolerance")
EXPECTED_CATEGORY_ORDER = [
    "structure",
    "sanitary",
    "electrical",
    "ceiling",
    "doors_windows",
    "carpentry",
    "wallpaper",
    "floors",
    "painting",
    "soft_panels",
    "carpets",
    "concealed",
]
# Often absent from a flat (marked N/A), so fewer items are enough.
SMALL_CATEGORIES = {"soft_panels", "carpets"}

ALL_ITEMS = [item for _, item in iter_items(CHECKLIST)]
MEASURED = [item for item in ALL_ITEMS if item["kind"] == "measured"]
CHECKS = [item for item in ALL_ITEMS if item["kind"] == "check"]


def _item(code):
    """Return the item with ``code``; fail the test if it is missing."""
    matches = [item for item in ALL_ITEMS if item["code"] == code]
    assert len(matches) == 1, f"expected exactly one item {code!r}"
    return matches[0]


def _decimal(value):
    """Parse a limit string as a finite Decimal, failing the test otherwise."""
    assert isinstance(value, str), f"limit {value!r} must be a string"
    try:
        number = Decimal(value)
    except InvalidOperation:
        pytest.fail(f"limit {value!r} is not a decimal")
    assert number.is_finite(), f"limit {value!r} is not finite"
    return number


def _limit_pattern(item):
    """Name the limit pattern of a measured item, or None if it is invalid."""
    present = tuple(item[key] is not None for key in LIMIT_KEYS)
    return {
        (False, True, False, False): "max",
        (True, False, False, False): "min",
        (True, True, False, False): "range",
        (False, False, True, True): "nominal",
    }.get(present)


def test_template_names():
    assert CHECKLIST["name"] == "家庭居室装饰工程预验收检查表"
    assert CHECKLIST["name_en"] == "Home renovation pre-acceptance checklist"
    assert CHECKLIST["about"] and all(line.strip() for line in CHECKLIST["about"])


def test_the_file_loads_as_it_is_written():
    loaded = read_checklist()
    assert [(c["code"], [i["code"] for i in c["items"]]) for c in loaded["categories"]] == \
        [(c["code"], [i["code"] for i in c["items"]]) for c in CATEGORIES]


def test_counts_are_pinned():
    """89 items in 12 categories, 25 of them measured: what the company's checklist holds today."""
    assert (len(CATEGORIES), len(ALL_ITEMS), len(MEASURED), len(CHECKS)) == (12, 89, 25, 64)


def test_categories_in_order():
    assert [category["code"] for category in CATEGORIES] == EXPECTED_CATEGORY_ORDER


def test_item_count_in_range():
    assert 60 <= len(ALL_ITEMS) <= 100


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c["code"])
def test_category_has_enough_items(category):
    minimum = 2 if category["code"] in SMALL_CATEGORIES else 3
    assert len(category["items"]) >= minimum


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c["code"])
def test_category_titles(category):
    assert re.fullmatch(r"[a-z][a-z_]*", category["code"])
    assert category["title"].strip()
    assert category["title_en"].strip()


def test_codes_unique_and_prefixed():
    codes = [item["code"] for item in ALL_ITEMS]
    assert len(codes) == len(set(codes))
    for category in CATEGORIES:
        for item in category["items"]:
            assert item["code"].startswith(category["code"] + "."), item["code"]
            assert re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", item["code"]), item["code"]


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda i: i["code"])
def test_item_texts_and_flags(item):
    assert item["kind"] in ("check", "measured")
    for key in ("text", "text_en", "default_fix", "default_fix_en"):
        assert isinstance(item[key], str) and item[key].strip(), key
    assert isinstance(item["note_required_on_fail"], bool)
    assert isinstance(item["photo_required_on_fail"], bool)
    # A failed item must always leave evidence: a photo, a note, or both.
    assert item["note_required_on_fail"] or item["photo_required_on_fail"]


@pytest.mark.parametrize("item", MEASURED, ids=lambda i: i["code"])
def test_measured_item_limits(item):
    assert isinstance(item["unit"], str) and item["unit"].strip()
    for key in LIMIT_KEYS:
        assert key in item, key
    pattern = _limit_pattern(item)
    assert pattern is not None, f"{item['code']}: not exactly one valid limit pattern"
    values = {key: _decimal(item[key]) for key in LIMIT_KEYS if item[key] is not None}
    if pattern == "range":
        assert values["limit_min"] < values["limit_max"]
    if pattern == "nominal":
        assert values["tolerance"] > 0


@pytest.mark.parametrize("item", CHECKS, ids=lambda i: i["code"])
def test_check_item_has_no_limits(item):
    for key in LIMIT_KEYS + ("unit",):
        assert item.get(key) is None, key


@pytest.mark.parametrize("item", MEASURED, ids=lambda i: i["code"])
def test_every_measured_item_names_its_source(item):
    assert re.search(r"\b(GB|JGJ) \d+|seed 003", item["source"]), item["source"]


@pytest.mark.parametrize(
    ("code", "unit", "limits"),
    [
        ("carpentry.wood_moisture", "%", (None, "12", None, None)),
        ("floors.wood_moisture", "%", (None, "12", None, None)),
        ("floors.tile_hollow", "%", (None, "5", None, None)),
        ("floors.waterproofing_upturn", "mm", ("250", None, None, None)),
        ("ceiling.keel_evenness", "mm", (None, None, "0", "2")),
        ("concealed.closure_water_depth", "mm", ("20", None, None, None)),
        ("electrical.insulation_resistance", "MΩ", ("0.5", None, None, None)),
        ("floors.wood_wall_gap", "mm", ("8", "12", None, None)),
    ],
)
def test_named_limits_are_encoded(code, unit, limits):
    item = _item(code)
    assert item["kind"] == "measured"
    assert item["unit"] == unit
    actual = tuple(item[key] for key in LIMIT_KEYS)
    expected = tuple(None if v is None else Decimal(v) for v in limits)
    assert tuple(None if v is None else Decimal(v) for v in actual) == expected


def test_socket_height_difference_is_measured_in_a_few_mm():
    item = _item("electrical.socket_height_difference")
    assert item["unit"] == "mm"
    assert item["limit_min"] is None
    assert Decimal("0") < Decimal(item["limit_max"]) <= Decimal("5")


@pytest.mark.parametrize(
    "code",
    [
        "sanitary.hot_left_cold_right",
        "electrical.phase_through_switch",
        "electrical.socket_polarity",
        "electrical.wires_in_conduit",
        "electrical.rcd_test",
        "electrical.wiring_drawing",
        "ceiling.heavy_lamps",
        "wallpaper.seams_invisible",
        "floors.slope_to_drain",
        "concealed.photos_before_cover",
        "concealed.closure_test_passed",
    ],
)
def test_items_named_in_the_standard_exist_as_checks(code):
    assert _item(code)["kind"] == "check"


def test_safety_items_require_note_and_photo():
    structure = next(c for c in CATEGORIES if c["code"] == "structure")
    safety_codes = [item["code"] for item in structure["items"]]
    safety_codes += [
        "sanitary.supply_no_leak",
        "sanitary.drains_clear",
        "sanitary.floor_drain_lower",
        "electrical.phase_through_switch",
        "electrical.socket_polarity",
        "electrical.wires_in_conduit",
        "electrical.rcd_test",
        "electrical.rcd_trip_time",
        "electrical.insulation_resistance",
        "ceiling.heavy_lamps",
        "floors.waterproofing_upturn",
        "floors.slope_to_drain",
        "concealed.waterproof_layer",
        "concealed.closure_test_passed",
        "concealed.closure_water_depth",
    ]
    for code in safety_codes:
        item = _item(code)
        assert item["note_required_on_fail"] and item["photo_required_on_fail"], code


def test_visible_defects_require_a_photo():
    without_photo = {item["code"] for item in ALL_ITEMS if not item["photo_required_on_fail"]}
    assert without_photo <= {"electrical.wiring_drawing"}


def test_iter_items_follows_checklist_order():
    pairs = list(iter_items(CHECKLIST))
    expected = [(c["code"], i["code"]) for c in CATEGORIES for i in c["items"]]
    assert [(c["code"], i["code"]) for c, i in pairs] == expected
    assert all(item in category["items"] for category, item in pairs)
