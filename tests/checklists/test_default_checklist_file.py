"""The checklist loaded from data/default_checklist.json is the one the Python module held."""
from decimal import Decimal

from portal.checklists import default_template
from portal.checklists.services import load_default_template
from portal.extensions import db

LIMIT_KEYS = ("limit_min", "limit_max", "nominal", "tolerance")


def expected_item(spec: dict) -> dict:
    """An item of the Python data as the old loader stored it."""
    return {"code": spec["code"], "kind": spec["kind"], "text": spec["text"], "text_en": spec.get("text_en", ""),
            "unit": spec.get("unit", ""),
            **{key: Decimal(spec[key]) if spec.get(key) is not None else None for key in LIMIT_KEYS},
            "note_required_on_fail": spec.get("note_required_on_fail", False),
            "photo_required_on_fail": spec.get("photo_required_on_fail", False),
            "default_fix": spec.get("default_fix", ""), "default_fix_en": spec.get("default_fix_en", "")}


def test_the_loaded_checklist_equals_the_python_data():
    template = load_default_template()
    db.session.expire_all()
    assert (template.name, template.name_en) == (default_template.TEMPLATE_NAME, default_template.TEMPLATE_NAME_EN)
    loaded = [((c.position, c.code, c.title, c.title_en),
               [(i.position, {key: getattr(i, key) for key in expected_item(default_template.CATEGORIES[0]["items"][0])})
                for i in c.items])
              for c in template.categories]
    expected = [((position, c["code"], c["title"], c["title_en"]),
                 [(i_pos, expected_item(item)) for i_pos, item in enumerate(c["items"], start=1)])
                for position, c in enumerate(default_template.CATEGORIES, start=1)]
    assert loaded == expected
