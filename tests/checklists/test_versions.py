"""Template versions (services, no HTTP): drafts copy, edits stay in the draft, inspections keep their version."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.checklists import services
from portal.checklists.models import ChecklistItem, ChecklistTemplate, ItemKind, TemplateStatus
from portal.extensions import db
from portal.inspections.models import Inspection
from tests.factories import make_project, make_user


def item_rows(version: ChecklistTemplate) -> list[tuple]:
    """What an inspection on ``version`` sees: (category, position, text, limits, retired) per item."""
    db.session.expire_all()
    items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.template_id == version.id)
                               .order_by(ChecklistItem.category_id, ChecklistItem.position))
    return [(i.category.code, i.position, i.text, i.limit_text, i.retired) for i in items]


def first_item(version: ChecklistTemplate) -> ChecklistItem:
    """The first item of the first category."""
    return version.categories[0].items[0]


def schedule_inspection(version: ChecklistTemplate) -> Inspection:
    """An inspection row on ``version``, as create_inspection would make it."""
    office = make_user(Role.OFFICE)
    inspection = Inspection(project=make_project(), template=version, round=1, scheduled_date=date(2026, 10, 1),
                            inspector=make_user(Role.INSPECTOR), created_by_id=office.id)
    db.session.add(inspection)
    db.session.flush()
    return inspection


@pytest.fixture
def v1() -> ChecklistTemplate:
    """Version 1 of the default checklist, published."""
    return services.load_default_template()


def test_load_default_template_is_idempotent(v1):
    again = services.load_default_template()
    assert again.id == v1.id
    assert v1.version == 1 and v1.status == TemplateStatus.PUBLISHED.value and v1.published_at is not None
    count = db.session.scalar(select(func.count()).select_from(ChecklistTemplate)
                              .where(ChecklistTemplate.family == services.DEFAULT_FAMILY))
    assert count == 1


def test_open_draft_copies_the_newest_version_without_retired_items(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    retired = draft.categories[0].items[1]
    services.set_item_retired(retired, True)
    services.publish(draft)
    v3 = services.open_draft(services.DEFAULT_FAMILY, None)
    assert (v3.version, v3.status, v3.based_on_id) == (3, TemplateStatus.DRAFT.value, draft.id)
    assert [c.code for c in v3.categories] == [c.code for c in v1.categories]
    assert [r for r in item_rows(draft) if not r[4]] == item_rows(v3)
    assert retired.text not in [i.text for i in v3.categories[0].items]


def test_a_second_open_draft_returns_the_same_draft(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    assert services.open_draft(services.DEFAULT_FAMILY, None).id == draft.id
    assert services.draft_of(services.DEFAULT_FAMILY).id == draft.id
    assert len(services.family_versions(services.DEFAULT_FAMILY)) == 2


def test_editing_the_draft_leaves_the_published_version_alone(v1):
    before = item_rows(v1)
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    category = draft.categories[0]
    services.save_item(draft, first_item(draft), category, {"text": "改过的文字"})
    services.save_item(draft, None, category, {"kind": ItemKind.MEASURED.value, "text": "新测量项", "unit": "mm",
                                               "limit_max": Decimal("3")})
    services.move_item(category.items[1], -1)
    services.set_item_retired(category.items[2], True)
    assert item_rows(v1) == before
    assert item_rows(draft) != before


def test_publish_makes_the_draft_current(v1):
    assert services.current_template().id == v1.id
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    assert services.current_template().id == v1.id  # a draft is not used yet
    services.publish(draft)
    assert services.current_template().id == draft.id
    assert draft.published_at is not None


def test_an_inspection_keeps_its_version_after_publish(v1):
    inspection = schedule_inspection(v1)
    before = item_rows(v1)
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    services.save_item(draft, first_item(draft), draft.categories[0], {"text": "新版本的文字"})
    services.publish(draft)
    db.session.expire_all()
    assert inspection.template_id == v1.id and inspection.template.version == 1
    assert item_rows(inspection.template) == before
    assert services.template_in_use(v1) == 1 and services.template_in_use(draft) == 0


def test_retire_hides_a_version_and_falls_back_to_the_previous_one(v1):
    v2 = services.open_draft(services.DEFAULT_FAMILY, None)
    services.publish(v2)
    services.retire(v2)
    assert v2.status == TemplateStatus.RETIRED.value and v2.retired_at is not None
    assert services.current_template().id == v1.id
    services.retire(v1)
    assert services.current_template() is None


def test_retire_refuses_drafts_and_retired_versions(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    with pytest.raises(services.TemplateError, match="not_published"):
        services.retire(draft)
    services.retire(v1)
    with pytest.raises(services.TemplateError, match="not_published"):
        services.retire(v1)


def test_published_and_retired_versions_refuse_edits(v1):
    item = first_item(v1)
    for attempt in (lambda: services.save_item(v1, item, item.category, {"text": "不许改"}),
                    lambda: services.save_item(v1, None, item.category, {"text": "不许加"}),
                    lambda: services.move_item(item, 1),
                    lambda: services.set_item_retired(item, True),
                    lambda: services.publish(v1)):
        with pytest.raises(services.TemplateError, match="not_draft"):
            attempt()
    services.retire(v1)
    with pytest.raises(services.TemplateError, match="not_draft"):
        services.save_item(v1, item, item.category, {"text": "不许改"})
    assert first_item(v1).text != "不许改"


def test_move_item_swaps_positions_and_stops_at_the_ends(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    category = draft.categories[0]
    first, second = category.items[0], category.items[1]
    services.move_item(second, -1)
    assert category.items[:2] == [second, first]
    services.move_item(second, -1)  # already at the top
    assert category.items[0] == second
    last = category.items[-1]
    services.move_item(last, 1)  # already at the bottom
    assert category.items[-1] == last


def test_save_item_adds_at_the_end_and_clears_limits_of_check_items(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    category = draft.categories[0]
    added = services.save_item(draft, None, category, {"kind": ItemKind.MEASURED.value, "text": "净高",
                                                       "unit": "mm", "limit_min": Decimal("2400")})
    assert category.items[-1] == added and added.limit_text == "≥ 2400 mm"
    services.save_item(draft, added, category, {"kind": ItemKind.CHECK.value})
    assert (added.unit, added.limit_min, added.limit_text) == ("", None, "")


def test_publish_of_a_draft_without_active_items_is_refused(v1):
    draft = services.open_draft(services.DEFAULT_FAMILY, None)
    for category in draft.categories:
        for item in category.items:
            services.set_item_retired(item, True)
    with pytest.raises(services.TemplateError, match="empty"):
        services.publish(draft)
    assert draft.is_draft and services.current_template().id == v1.id


def test_draft_copies_the_current_version_not_a_retired_newer_one():
    from portal.checklists.services import load_default_template, open_draft, publish, retire, save_item

    v1 = load_default_template()
    v2 = open_draft(v1.family, None)
    first = v2.categories[0].items[0]
    save_item(v2, first, v2.categories[0], {"text": "v2 的错误文字"})
    publish(v2)
    retire(v2)
    v3 = open_draft(v1.family, None)
    assert v3.based_on_id == v1.id and v3.categories[0].items[0].text == v1.categories[0].items[0].text


def test_save_item_refuses_a_category_of_another_version():
    import pytest

    from portal.checklists.services import TemplateError, load_default_template, open_draft, save_item

    v1 = load_default_template()
    v2 = open_draft(v1.family, None)
    before = len(v1.categories[0].items)
    with pytest.raises(TemplateError):
        save_item(v2, v2.categories[0].items[0], v1.categories[0], {"text": "x"})
    assert len(v1.categories[0].items) == before
