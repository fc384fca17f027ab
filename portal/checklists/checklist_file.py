"""A checklist as a JSON file: read and validate it before anything is loaded. No Flask, no database.

The company's default is ``data/default_checklist.json``; ``flask load-checklist --file``
takes a company's own file of the same shape::

    {"name": "…", "name_en": "…", "about": ["why the checklist looks like this", …],
     "categories": [{"code": "floors", "title": "地面", "title_en": "Floors", "items": [item, …]}, …]}

An item:

* ``code`` (unique in the file), ``kind``: ``"check"`` (pass / fail / N/A) or ``"measured"``
  (a value compared with the limits; outside them the item fails);
* ``text`` (Chinese) and ``text_en``; ``default_fix`` and ``default_fix_en``: the fix written
  on the rectification notice unless the inspector changes it. Both languages live in the
  file, as the checklist editor stores them (they are not in the gettext catalogue);
* ``note_required_on_fail`` / ``photo_required_on_fail``: true or false;
* measured items only: ``unit``, the limits ``limit_min``, ``limit_max``, ``nominal`` and
  ``tolerance`` as decimal strings (``"0.5"``) or null, in exactly one of the patterns max
  only, min only, min and max, or nominal ± tolerance (limits are inclusive), and ``source``:
  the standard and clause the limits come from.

Only ``name``, ``categories``, a category's ``code``, ``title`` and ``items`` and an item's
``code``, ``kind`` and ``text`` are required; anything else unknown is refused, so that a
misspelt field does not silently go missing.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from portal.checklists.limits import Limit, is_plain_limit
from portal.checklists.models import FIX_MAX, TEXT_MAX, UNIT_MAX, ItemKind

DEFAULT_CHECKLIST = Path(__file__).parent / "data" / "default_checklist.json"
LIMIT_KEYS = ("limit_min", "limit_max", "nominal", "tolerance")
NAME_MAX = 200       # checklist_templates.name, checklist_categories.title
CATEGORY_CODE_MAX = 50
ITEM_CODE_MAX = 80

# field: (type, longest text or None); the first fields of each are required
CHECKLIST_FIELDS = {"name": (str, NAME_MAX), "categories": (list, None), "name_en": (str, NAME_MAX),
                    "about": (list, None)}
CATEGORY_FIELDS = {"code": (str, CATEGORY_CODE_MAX), "title": (str, NAME_MAX), "items": (list, None),
                   "title_en": (str, NAME_MAX)}
ITEM_FIELDS = {"code": (str, ITEM_CODE_MAX), "kind": (str, None), "text": (str, TEXT_MAX),
               "text_en": (str, TEXT_MAX), "unit": (str, UNIT_MAX), "source": (str, None),
               **{key: (str, None) for key in LIMIT_KEYS},
               "note_required_on_fail": (bool, None), "photo_required_on_fail": (bool, None),
               "default_fix": (str, FIX_MAX), "default_fix_en": (str, FIX_MAX)}
REQUIRED = {"checklist": ("name", "categories"), "category": ("code", "title", "items"),
            "item": ("code", "kind", "text")}
TYPE_NAMES = {str: "a text", list: "a list", bool: "true or false", dict: "an object"}


class ChecklistFileError(ValueError):
    """The file cannot be loaded; ``problems`` lists every reason, each naming where it is."""

    def __init__(self, source: str, problems: list[str]):
        super().__init__(f"{source}: {len(problems)} problem(s), nothing loaded:\n"
                         + "\n".join(f"  - {problem}" for problem in problems))
        self.problems = problems


def read_checklist(path: Path | str = DEFAULT_CHECKLIST) -> dict:
    """The checklist in ``path``, validated, with every optional field filled in; else ChecklistFileError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ChecklistFileError(str(path), [f"cannot be read: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise ChecklistFileError(str(path), ["is not UTF-8 text"]) from exc
    except json.JSONDecodeError as exc:
        raise ChecklistFileError(str(path), [f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]) \
            from exc
    problems = checklist_problems(data)
    if problems:
        raise ChecklistFileError(str(path), problems)
    return normalised(data)


def checklist_problems(data) -> list[str]:
    """Everything wrong with a parsed checklist file, in file order; empty when it can be loaded."""
    if not isinstance(data, dict):
        return ["the file must hold one JSON object with name and categories"]
    problems = _field_problems("checklist", data, CHECKLIST_FIELDS, "checklist")
    if isinstance(data.get("about"), list) and not all(isinstance(line, str) for line in data["about"]):
        problems.append("checklist: about must be a list of texts")
    categories = data.get("categories")
    if isinstance(categories, list):
        if not categories:
            problems.append("categories: the checklist has no categories")
        problems += _categories_problems(categories)
    return problems


def _categories_problems(categories: list) -> list[str]:
    """Problems of each category and its items; codes must be unique in the whole file."""
    problems: list[str] = []
    category_codes: set = set()
    item_codes: set = set()
    for index, category in enumerate(categories):
        where = _where(f"categories[{index}]", category)
        if not isinstance(category, dict):
            problems.append(f"{where}: must be an object")
            continue
        problems += _field_problems(where, category, CATEGORY_FIELDS, "category")
        problems += _duplicate(where, category.get("code"), category_codes, "category code")
        if isinstance(category.get("items"), list):
            problems += [f"{where}: the category has no items"] if not category["items"] else []
            problems += _items_problems(where, category["items"], item_codes)
    return problems


def _items_problems(where: str, items: list, codes: set) -> list[str]:
    problems: list[str] = []
    for index, item in enumerate(items):
        item_where = _where(f"{where} items[{index}]", item)
        if not isinstance(item, dict):
            problems.append(f"{item_where}: must be an object")
            continue
        problems += _field_problems(item_where, item, ITEM_FIELDS, "item")
        problems += _duplicate(item_where, item.get("code"), codes, "item code")
        problems += [f"{item_where}: {problem}" for problem in item_problems(item)]
    return problems


def _where(position: str, obj) -> str:
    """``categories[2] (electrical)``: the position, and the code when there is one."""
    code = obj.get("code") if isinstance(obj, dict) else None
    return f"{position} ({code})" if isinstance(code, str) else position


def _field_problems(where: str, obj: dict, fields: dict, section: str) -> list[str]:
    """Missing required fields, unknown fields, wrong types, empty or overlong texts."""
    problems = [f"{where}: {name} is missing" for name in REQUIRED[section] if name not in obj]
    problems += [f"{where}: unknown field {name!r}" for name in obj if name not in fields]
    for name, (kind_of, longest) in fields.items():
        value = obj.get(name)
        if value is None:
            if name in obj and name not in LIMIT_KEYS:
                problems.append(f"{where}: {name} must be {TYPE_NAMES[kind_of]}, not null")
            continue
        if type(value) is not kind_of:
            problems.append(f"{where}: {name} must be {TYPE_NAMES[kind_of]}, not {json.dumps(value, ensure_ascii=False)}")
        elif name in REQUIRED[section] and kind_of is str and not value.strip():
            problems.append(f"{where}: {name} is empty")
        elif longest is not None and len(value) > longest:
            problems.append(f"{where}: {name} is longer than {longest} characters")
    return problems


def _duplicate(where: str, code, seen: set, what: str) -> list[str]:
    if not isinstance(code, str):
        return []
    if code in seen:
        return [f"{where}: duplicate {what} {code!r}"]
    seen.add(code)
    return []


def item_problems(item: dict) -> list[str]:
    """What is wrong with an item's kind, unit and limits (field types are checked apart)."""
    kind = item.get("kind")
    if not isinstance(kind, str):
        return []
    if kind not in {k.value for k in ItemKind}:
        return [f"unknown kind {kind!r} (check or measured)"]
    present = {key: item[key] for key in LIMIT_KEYS if item.get(key) is not None}
    if kind == ItemKind.CHECK:
        extra = [key for key in ("unit", *LIMIT_KEYS) if item.get(key)]
        return [f"a check item has no {', '.join(extra)}"] if extra else []
    problems = [] if isinstance(item.get("unit"), str) and item["unit"].strip() else ["a measured item needs its unit"]
    limits: dict[str, Decimal] = {}
    for key, value in present.items():
        if not isinstance(value, str):
            continue  # a wrong type is reported with the fields
        number = _decimal(value)
        if number is None or not is_plain_limit(number):
            problems.append(f"{key}: {json.dumps(value, ensure_ascii=False)} is not a number between -1000000 "
                            "and 1000000 with at most 3 decimals, written as a text such as \"0.5\"")
        else:
            limits[key] = number
    if len(limits) == len(present) and not Limit(*(limits.get(key) for key in LIMIT_KEYS)).is_valid():
        problems.append("bad limits: give limit_min, limit_max, both (min below max), "
                        "or nominal with a positive tolerance")
    return problems


def _decimal(value: str) -> Decimal | None:
    """The number a limit's text gives, or None."""
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def normalised(data: dict) -> dict:
    """A valid checklist with every optional field present (empty text, null limit, false)."""
    return {"name": data["name"], "name_en": data.get("name_en", ""), "about": data.get("about", []),
            "categories": [{"code": c["code"], "title": c["title"], "title_en": c.get("title_en", ""),
                            "items": [_normalised_item(item) for item in c["items"]]}
                           for c in data["categories"]]}


def _normalised_item(item: dict) -> dict:
    return {"code": item["code"], "kind": item["kind"], "text": item["text"], "text_en": item.get("text_en", ""),
            "unit": item.get("unit", ""), "source": item.get("source", ""),
            **{key: item.get(key) for key in LIMIT_KEYS},
            "note_required_on_fail": item.get("note_required_on_fail", False),
            "photo_required_on_fail": item.get("photo_required_on_fail", False),
            "default_fix": item.get("default_fix", ""), "default_fix_en": item.get("default_fix_en", "")}


def iter_items(checklist: dict) -> Iterator[tuple[dict, dict]]:
    """(category, item) pairs in checklist order."""
    for category in checklist["categories"]:
        for item in category["items"]:
            yield category, item
