"""Reading and validating a checklist file (no app, no database)."""
import copy
import json

import pytest

from portal.checklists.checklist_file import (
    DEFAULT_CHECKLIST, ChecklistFileError, checklist_problems, iter_items, read_checklist,
)

CHECK = {"code": "walls.clean", "kind": "check", "text": "墙面洁净", "text_en": "Walls clean",
         "note_required_on_fail": False, "photo_required_on_fail": True, "default_fix": "清洁墙面"}
MEASURED = {"code": "walls.flatness", "kind": "measured", "text": "墙面平整度", "unit": "mm",
            "source": "GB 50210 (3 mm)", "limit_min": None, "limit_max": "3", "nominal": None, "tolerance": None,
            "photo_required_on_fail": True}
GOOD = {"name": "公司检查表", "name_en": "Company checklist",
        "categories": [{"code": "walls", "title": "墙面", "title_en": "Walls", "items": [CHECK, MEASURED]}]}


def with_changes(change) -> dict:
    """A copy of GOOD changed by ``change(data)``."""
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def walls(data) -> dict:
    return data["categories"][0]


def problems_of(change) -> list[str]:
    return checklist_problems(with_changes(change))


def test_a_good_file_has_no_problems_and_is_filled_in(tmp_path):
    path = tmp_path / "own.json"
    path.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    checklist = read_checklist(path)
    (_c, check), (_c2, measured) = iter_items(checklist)
    assert check["unit"] == "" and check["limit_max"] is None and check["default_fix_en"] == ""
    assert measured["limit_max"] == "3" and measured["note_required_on_fail"] is False
    assert measured["source"] == "GB 50210 (3 mm)"
    assert checklist["about"] == []


def test_the_default_file_is_valid():
    data = json.loads(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))
    assert checklist_problems(data) == []


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d.pop("name"), "checklist: name is missing"),
    (lambda d: d.update(categories=[]), "categories: the checklist has no categories"),
    (lambda d: d.update(colour="red"), "checklist: unknown field 'colour'"),
    (lambda d: d.update(name=""), "checklist: name is empty"),
    (lambda d: d.update(categories={"walls": []}), 'checklist: categories must be a list, not {"walls": []}'),
    (lambda d: d.update(about="text"), 'checklist: about must be a list, not "text"'),
    (lambda d: walls(d).pop("title"), "categories[0] (walls): title is missing"),
    (lambda d: walls(d).update(items=[]), "categories[0] (walls): the category has no items"),
    (lambda d: d["categories"].append({"code": "walls", "title": "墙面二", "items": [{**CHECK, "code": "walls.dry"}]}),
     "categories[1] (walls): duplicate category code 'walls'"),
    (lambda d: walls(d)["items"].append(dict(CHECK)),
     "categories[0] (walls) items[2] (walls.clean): duplicate item code 'walls.clean'"),
    (lambda d: walls(d)["items"][0].pop("text"), "categories[0] (walls) items[0] (walls.clean): text is missing"),
    (lambda d: walls(d)["items"][0].update(kind="visual"),
     "categories[0] (walls) items[0] (walls.clean): unknown kind 'visual' (check or measured)"),
    (lambda d: walls(d)["items"][0].update(photo_required_on_fail="yes"),
     'categories[0] (walls) items[0] (walls.clean): photo_required_on_fail must be true or false, not "yes"'),
    (lambda d: walls(d)["items"][0].update(text_en=None),
     "categories[0] (walls) items[0] (walls.clean): text_en must be a text, not null"),
    (lambda d: walls(d)["items"][0].update(limit_max="5"),
     "categories[0] (walls) items[0] (walls.clean): a check item has no limit_max"),
    (lambda d: walls(d)["items"][0].update(text="长" * 501),
     "categories[0] (walls) items[0] (walls.clean): text is longer than 500 characters"),
    (lambda d: walls(d)["items"][1].update(unit=""),
     "categories[0] (walls) items[1] (walls.flatness): a measured item needs its unit"),
    (lambda d: walls(d)["items"][1].update(limit_max=3),
     "categories[0] (walls) items[1] (walls.flatness): limit_max must be a text, not 3"),
    (lambda d: walls(d)["items"][1].update(limit_max="three"),
     'categories[0] (walls) items[1] (walls.flatness): limit_max: "three" is not a number between -1000000 '
     'and 1000000 with at most 3 decimals, written as a text such as "0.5"'),
    (lambda d: walls(d)["items"][1].update(limit_max="0.0005"),
     'categories[0] (walls) items[1] (walls.flatness): limit_max: "0.0005" is not a number between -1000000 '
     'and 1000000 with at most 3 decimals, written as a text such as "0.5"'),
    (lambda d: walls(d)["items"][1].update(limit_max=None),
     "categories[0] (walls) items[1] (walls.flatness): bad limits: give limit_min, limit_max, both "
     "(min below max), or nominal with a positive tolerance"),
    (lambda d: walls(d)["items"][1].update(limit_min="5"),
     "categories[0] (walls) items[1] (walls.flatness): bad limits: give limit_min, limit_max, both "
     "(min below max), or nominal with a positive tolerance"),
    (lambda d: walls(d)["items"][1].update(nominal="0", tolerance="2"),
     "categories[0] (walls) items[1] (walls.flatness): bad limits: give limit_min, limit_max, both "
     "(min below max), or nominal with a positive tolerance"),
    (lambda d: walls(d)["items"][1].update(limit_mx="3"),
     "categories[0] (walls) items[1] (walls.flatness): unknown field 'limit_mx'"),
])
def test_each_problem_is_named_with_where_it_is(change, problem):
    assert problems_of(change) == [problem]


def test_valid_limit_patterns_pass():
    for limits in ({"limit_min": "0.6"}, {"limit_min": "8", "limit_max": "12"}, {"nominal": "0", "tolerance": "2"}):
        def change(d, limits=limits):
            walls(d)["items"][1].update({"limit_min": None, "limit_max": None, "nominal": None, "tolerance": None,
                                         **limits})
        assert problems_of(change) == [], limits


def test_every_problem_is_listed_at_once():
    def change(d):
        d.pop("name")
        walls(d)["items"][0]["kind"] = "visual"
        walls(d)["items"][1]["limit_max"] = "x"
    assert len(problems_of(change)) == 3


@pytest.mark.parametrize("data", [[], "checklist", None, 3])
def test_the_file_must_hold_an_object(data):
    assert checklist_problems(data) == ["the file must hold one JSON object with name and categories"]


@pytest.mark.parametrize("bad", [[1], {"code": 1}])
def test_categories_and_items_must_be_objects(bad):
    problems = checklist_problems({"name": "x", "categories": [{"code": "a", "title": "A", "items": [bad]}]})
    assert problems and problems[0].startswith("categories[0] (a) items[0]")


def test_an_unreadable_or_broken_file_is_refused_with_the_reason(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n "categories": [}', encoding="utf-8")
    with pytest.raises(ChecklistFileError) as exc:
        read_checklist(broken)
    assert exc.value.problems == ["not valid JSON: Expecting value (line 2, column 17)"]
    assert str(exc.value).startswith(f"{broken}: 1 problem(s), nothing loaded:")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(ChecklistFileError, match="is not UTF-8 text"):
        read_checklist(latin)
    with pytest.raises(ChecklistFileError, match="cannot be read"):
        read_checklist(tmp_path / "missing.json")


def test_a_file_with_problems_raises_them_all(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(with_changes(lambda d: (d.pop("name"), d.update(extra=1)))), encoding="utf-8")
    with pytest.raises(ChecklistFileError) as exc:
        read_checklist(path)
    assert exc.value.problems == ["checklist: name is missing", "checklist: unknown field 'extra'"]
    assert "  - checklist: name is missing\n  - checklist: unknown field 'extra'" in str(exc.value)
