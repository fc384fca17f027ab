"""The checklist editor (office, desktop): drafts, items, limits, order, publish, retire, who may do it."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.checklists import services
from portal.checklists.models import ChecklistItem, ChecklistTemplate, TemplateStatus
from portal.extensions import db
from portal.inspections.models import Inspection
from tests.conftest import form_errors
from tests.factories import make_project, make_user
from tests.test_access_matrix import ALL_ROLES, ANON

LIMIT_ERROR = "Give a minimum, a maximum, both, or a nominal value with a tolerance."


@pytest.fixture
def office(login_as):
    """Logged in as office, in English: the editor's own strings are not in the zh catalog yet."""
    user = make_user(Role.OFFICE)
    user.locale = "en"
    return login_as(user)


@pytest.fixture
def v1() -> ChecklistTemplate:
    """Version 1 of the default checklist, published and committed."""
    version = services.load_default_template()
    db.session.commit()
    return version


@pytest.fixture
def draft(v1) -> ChecklistTemplate:
    """Draft version 2, copied from version 1."""
    version = services.open_draft(v1.family, None)
    db.session.commit()
    return version


def snapshot(version: ChecklistTemplate) -> list[tuple]:
    """Everything an inspection on ``version`` depends on, item by item, read fresh from the database."""
    db.session.expire_all()
    items = db.session.scalars(select(ChecklistItem).where(ChecklistItem.template_id == version.id)
                               .order_by(ChecklistItem.id))
    return [(i.id, i.category_id, i.position, i.kind, i.text, i.text_en, i.unit, i.limit_min, i.limit_max,
             i.nominal, i.tolerance, i.note_required_on_fail, i.photo_required_on_fail, i.default_fix, i.retired)
            for i in items]


def item_count(version: ChecklistTemplate) -> int:
    """Number of items of ``version`` in the database."""
    return db.session.scalar(select(func.count()).select_from(ChecklistItem)
                             .where(ChecklistItem.template_id == version.id))


def item_form(category_id: int, **overrides) -> dict:
    """A valid measured item, as the browser posts it."""
    data = {"category_id": str(category_id), "kind": "measured", "text": "门窗框正、侧面垂直度",
            "text_en": "Door frame plumb", "unit": "mm", "limit_min": "", "limit_max": "2", "nominal": "",
            "tolerance": "", "photo_required_on_fail": "y", "default_fix": "重新安装并校正", "default_fix_en": ""}
    data.update(overrides)
    return data


def positions(category_id: int) -> list[int]:
    """Item ids of a category in checklist order."""
    db.session.expire_all()
    return list(db.session.scalars(select(ChecklistItem.id).where(ChecklistItem.category_id == category_id)
                                   .order_by(ChecklistItem.position)))


def htmx(target: str) -> dict:
    """Headers of an htmx request swapping ``#target``."""
    return {"HX-Request": "true", "HX-Target": target}


# --- versions -----------------------------------------------------------------------------

def test_index_lists_each_version_with_status_and_use(client, office, draft):
    v1 = db.session.get(ChecklistTemplate, draft.based_on_id)
    db.session.add(Inspection(project=make_project(), template=v1, round=1, scheduled_date=date(2026, 10, 1),
                              inspector=make_user(Role.INSPECTOR), created_by_id=office.id))
    db.session.commit()
    html = client.get("/checklists/").text
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]
    assert f"/checklists/{draft.id}" in rows[0] and "Draft" in rows[0] and "0 inspections" in rows[0]
    assert f"/checklists/{v1.id}" in rows[1] and "Published" in rows[1] and "1 inspection<" in rows[1]


def test_published_version_is_read_only_with_an_edit_button(client, office, v1):
    html = client.get(f"/checklists/{v1.id}").text
    assert "Edit (creates draft version 2)" in html and "/checklists/default/draft" in html
    assert "/items/" not in html and "Publish version" not in html
    assert f"/checklists/{v1.id}/retire" in html
    measured = [i for c in v1.categories for i in c.items if i.is_measured]
    assert measured and all(i.limit_text in html for i in measured)
    assert all(c.title in html for c in v1.categories)


def test_editing_a_published_template_creates_draft_v2_and_leaves_v1_alone(client, office, v1):
    before = snapshot(v1)
    response = client.post("/checklists/default/draft")
    draft = services.draft_of("default")
    assert response.status_code == 302 and response.headers["Location"] == f"/checklists/{draft.id}"
    assert (draft.version, draft.status, draft.based_on_id) == (2, TemplateStatus.DRAFT.value, v1.id)
    assert item_count(draft) == item_count(v1)
    assert snapshot(v1) == before
    html = client.get(f"/checklists/{draft.id}").text
    assert "Publish version 2" in html and "Add item" in html and f"/checklists/{draft.id}/items/" in html


def test_a_second_edit_continues_the_same_draft(client, office, draft):
    response = client.post("/checklists/default/draft")
    assert response.headers["Location"] == f"/checklists/{draft.id}"
    assert len(services.family_versions("default")) == 2
    html = client.get(f"/checklists/{draft.based_on_id}").text
    assert "Continue editing draft version 2" in html


def test_unknown_family_is_404(client, office, v1):
    assert client.post("/checklists/nonesuch/draft").status_code == 404


# --- items --------------------------------------------------------------------------------

@pytest.mark.parametrize("limits, shown", [
    ({"limit_max": "2"}, "≤ 2 mm"),
    ({"limit_min": "2400", "limit_max": ""}, "≥ 2400 mm"),
    ({"limit_min": "8", "limit_max": "12.5"}, "8–12.5 mm"),
    ({"limit_max": "", "nominal": "0", "tolerance": "1.5"}, "0 ± 1.5 mm"),
])
def test_add_a_measured_item_with_valid_limits(client, office, draft, limits, shown):
    category = draft.categories[1]
    response = client.post(f"/checklists/{draft.id}/items/new?category={category.id}",
                           data=item_form(category.id, **limits))
    assert response.status_code == 302, form_errors(response.text)
    db.session.expire_all()
    added = category.items[-1]
    assert (added.text, added.unit, added.limit_text) == ("门窗框正、侧面垂直度", "mm", shown)
    assert added.photo_required_on_fail and not added.note_required_on_fail
    assert response.headers["Location"] == f"/checklists/{draft.id}#item-{added.id}"
    assert shown in client.get(response.headers["Location"]).text


def test_new_item_form_preselects_the_category(client, office, draft):
    category = draft.categories[2]
    html = client.get(f"/checklists/{draft.id}/items/new?category={category.id}").text
    assert re.search(rf'<option selected value="{category.id}">|<option value="{category.id}" selected', html)


@pytest.mark.parametrize("overrides, message", [
    ({"limit_min": "12", "limit_max": "8"}, LIMIT_ERROR),
    ({"limit_min": "8", "limit_max": "", "tolerance": "1"}, LIMIT_ERROR),
    ({"limit_max": "", "nominal": "10"}, LIMIT_ERROR),
    ({"limit_max": "", "nominal": "10", "tolerance": "0"}, LIMIT_ERROR),
    ({"limit_max": ""}, LIMIT_ERROR),
    ({"limit_max": "NaN"}, "at most 3 decimals"),
    ({"limit_max": "1e1000000"}, "at most 3 decimals"),
    ({"limit_max": "0.0001"}, "at most 3 decimals"),
    ({"limit_max": "abc"}, "Not a valid decimal value."),
    ({"unit": ""}, "Give the unit of the measured value."),
    ({"unit": "m" * 21}, "Field cannot be longer than 20 characters."),
    ({"text": "  "}, "This field is required."),
    ({"text": "字" * 501}, "Field cannot be longer than 500 characters."),
    ({"kind": "photo"}, "Not a valid choice."),
])
def test_invalid_item_is_an_inline_error_and_nothing_saved(client, office, draft, overrides, message):
    category = draft.categories[0]
    before = snapshot(draft)
    response = client.post(f"/checklists/{draft.id}/items/new?category={category.id}",
                           data=item_form(category.id, **overrides))
    assert response.status_code == 422
    assert any(message in error for error in form_errors(response.text)), form_errors(response.text)
    assert snapshot(draft) == before


def test_check_items_ignore_limits(client, office, draft):
    category = draft.categories[0]
    response = client.post(f"/checklists/{draft.id}/items/new?category={category.id}",
                           data=item_form(category.id, kind="check", unit="", limit_min="9", limit_max="1"))
    assert response.status_code == 302
    db.session.expire_all()
    added = category.items[-1]
    assert (added.kind, added.unit, added.limit_min, added.limit_max) == ("check", "", None, None)


def test_reword_an_item(client, office, draft):
    item = draft.categories[0].items[0]
    v1_before = snapshot(db.session.get(ChecklistTemplate, draft.based_on_id))
    form_html = client.get(f"/checklists/{draft.id}/items/{item.id}/edit").text
    assert item.text in form_html
    data = item_form(item.category_id, kind="check", text="承重结构未拆改", text_en="Structure untouched",
                     unit="", limit_max="", note_required_on_fail="y")
    response = client.post(f"/checklists/{draft.id}/items/{item.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert (item.text, item.text_en, item.note_required_on_fail) == ("承重结构未拆改", "Structure untouched", True)
    assert item.position == 1
    assert snapshot(db.session.get(ChecklistTemplate, draft.based_on_id)) == v1_before


def test_edit_form_shows_limits_as_plain_numbers(client, office, draft):
    measured = next(i for c in draft.categories for i in c.items if i.is_measured and i.limit_max is not None)
    html = client.get(f"/checklists/{draft.id}/items/{measured.id}/edit").text
    value = format(measured.limit_max.normalize(), "f")
    assert f'value="{value}"' in html and ".0000" not in html


def test_move_an_item_to_another_category(client, office, draft):
    item, target = draft.categories[0].items[0], draft.categories[3]
    data = item_form(target.id, kind="check", text=item.text, unit="", limit_max="")
    assert client.post(f"/checklists/{draft.id}/items/{item.id}/edit", data=data).status_code == 302
    assert positions(target.id)[-1] == item.id and item.id not in positions(draft.categories[0].id)


# --- order, retire, restore ---------------------------------------------------------------

def test_reorder_with_htmx_returns_the_category_list(client, office, draft):
    category = draft.categories[0]
    first, second = positions(category.id)[:2]
    target = f"category-{category.id}-items"
    response = client.post(f"/checklists/{draft.id}/items/{second}/move", data={"direction": "up"},
                           headers=htmx(target))
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<ol") and f'id="{target}"' in response.text
    assert "<html" not in response.text and "HX-Target" in response.headers["Vary"]
    assert positions(category.id)[:2] == [second, first]
    assert response.text.index(f'id="item-{second}"') < response.text.index(f'id="item-{first}"')


def test_reorder_without_htmx_redirects_back(client, office, draft):
    category = draft.categories[0]
    first, second = positions(category.id)[:2]
    response = client.post(f"/checklists/{draft.id}/items/{first}/move", data={"direction": "down"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/checklists/{draft.id}#item-{first}"
    assert positions(category.id)[:2] == [second, first]


def test_htmx_request_for_another_target_gets_the_redirect(client, office, draft):
    item_id = positions(draft.categories[0].id)[1]
    response = client.post(f"/checklists/{draft.id}/items/{item_id}/move", data={"direction": "up"},
                           headers=htmx("main"))
    assert response.status_code == 302


def test_move_needs_a_direction(client, office, draft):
    order = positions(draft.categories[0].id)
    response = client.post(f"/checklists/{draft.id}/items/{order[1]}/move", data={"direction": "sideways"})
    assert response.status_code == 400 and positions(draft.categories[0].id) == order


def test_retire_and_restore_an_item(client, office, draft):
    category = draft.categories[0]
    item = category.items[0]
    response = client.post(f"/checklists/{draft.id}/items/{item.id}/retire")
    assert response.status_code == 302
    db.session.expire_all()
    assert item.retired
    html = client.get(f"/checklists/{draft.id}").text
    assert re.search(rf'id="item-{item.id}">\s*<div>\s*<del>', html)
    assert f"/items/{item.id}/restore" in html
    response = client.post(f"/checklists/{draft.id}/items/{item.id}/restore",
                           headers=htmx(f"category-{category.id}-items"))
    assert response.status_code == 200 and f"/items/{item.id}/retire" in response.text
    db.session.expire_all()
    assert not item.retired


# --- publish and retire versions ----------------------------------------------------------

def test_publish_the_draft(client, office, draft):
    response = client.post(f"/checklists/{draft.id}/publish")
    assert response.status_code == 302
    db.session.expire_all()
    assert draft.status == TemplateStatus.PUBLISHED.value and services.current_template().id == draft.id
    assert "Version 2 published." in client.get(response.headers["Location"]).text


def test_publish_without_active_items_is_refused(client, office, draft):
    for category in draft.categories:
        for item in category.items:
            services.set_item_retired(item, True)
    db.session.commit()
    response = client.post(f"/checklists/{draft.id}/publish", follow_redirects=True)
    assert "Version 2 has no active items and cannot be published." in response.text
    db.session.expire_all()
    assert draft.is_draft and services.current_template().id == draft.based_on_id


def test_retire_a_version_needs_confirmation(client, office, v1):
    response = client.post(f"/checklists/{v1.id}/retire", data={})
    assert response.status_code == 422 and "Tick the box to confirm." in form_errors(response.text)
    assert "only published version" in response.text
    db.session.expire_all()
    assert v1.status == TemplateStatus.PUBLISHED.value
    response = client.post(f"/checklists/{v1.id}/retire", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert v1.status == TemplateStatus.RETIRED.value and services.current_template() is None
    assert client.post(f"/checklists/{v1.id}/retire", data={"confirm": "y"}).status_code == 409


def test_a_draft_cannot_be_retired(client, office, draft):
    assert client.post(f"/checklists/{draft.id}/retire", data={"confirm": "y"}).status_code == 409
    db.session.expire_all()
    assert draft.is_draft


# --- frozen versions and foreign ids ------------------------------------------------------

def test_a_published_version_cannot_be_edited(client, office, v1):
    before = snapshot(v1)
    item = v1.categories[0].items[0]
    base = f"/checklists/{v1.id}"
    attempts = [("GET", f"{base}/items/{item.id}/edit", {}),
                ("POST", f"{base}/items/{item.id}/edit", item_form(item.category_id)),
                ("GET", f"{base}/items/new?category={item.category_id}", {}),
                ("POST", f"{base}/items/new?category={item.category_id}", item_form(item.category_id)),
                ("POST", f"{base}/items/{item.id}/move", {"direction": "down"}),
                ("POST", f"{base}/items/{item.id}/retire", {}),
                ("POST", f"{base}/publish", {})]
    for method, url, data in attempts:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 409, url
        assert "is not a draft and cannot be changed" in response.text
        assert "Edit (creates draft version 2)" in response.text
    assert snapshot(v1) == before


def test_conflict_for_htmx_is_a_fragment(client, office, v1):
    item = v1.categories[0].items[0]
    response = client.post(f"/checklists/{v1.id}/items/{item.id}/retire",
                           headers=htmx(f"category-{item.category_id}-items"))
    assert response.status_code == 409 and 'data-status="409"' in response.text and "<html" not in response.text


def test_an_item_of_another_version_is_404(client, office, draft):
    v1 = db.session.get(ChecklistTemplate, draft.based_on_id)
    foreign = v1.categories[0].items[0]
    base = f"/checklists/{draft.id}/items/{foreign.id}"
    before = snapshot(v1)
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/edit", data=item_form(draft.categories[0].id)).status_code == 404
    for action in ("move", "retire", "restore"):
        assert client.post(f"{base}/{action}", data={"direction": "up"}).status_code == 404
    assert client.get(f"/checklists/{draft.id}/items/new?category={foreign.category_id}").status_code == 404
    response = client.post(f"/checklists/{draft.id}/items/new",
                           data=item_form(foreign.category_id))
    assert response.status_code == 422 and "Not a valid choice." in form_errors(response.text)
    assert snapshot(v1) == before


# --- who may use the editor ---------------------------------------------------------------

# (method, url, form data, office's answer); {v1}, {draft}, {item} are filled in per test.
EDITOR_ROUTES = [
    ("GET", "/checklists/", {}, 200, "checklists.index"),
    ("GET", "/checklists/{v1}", {}, 200, "checklists.detail"),
    ("POST", "/checklists/default/draft", {}, 302, "checklists.draft"),
    ("POST", "/checklists/{draft}/publish", {}, 302, "checklists.publish"),
    ("POST", "/checklists/{v1}/retire", {"confirm": "y"}, 302, "checklists.retire"),
    ("GET", "/checklists/{draft}/items/new", {}, 200, "checklists.new_item"),
    ("POST", "/checklists/{draft}/items/new", {}, 422, "checklists.new_item"),
    ("GET", "/checklists/{draft}/items/{item}/edit", {}, 200, "checklists.edit_item"),
    ("POST", "/checklists/{draft}/items/{item}/edit", {"text": ""}, 422, "checklists.edit_item"),
    ("POST", "/checklists/{draft}/items/{item}/move", {"direction": "down"}, 302, "checklists.move_item"),
    ("POST", "/checklists/{draft}/items/{item}/retire", {}, 302, "checklists.retire_item"),
    ("POST", "/checklists/{draft}/items/{item}/restore", {}, 302, "checklists.restore_item"),
]
ACCESS_CASES = [(method, url, data, office_answer, role) for method, url, data, office_answer, _ep in EDITOR_ROUTES
                for role in ALL_ROLES]


def test_every_editor_route_is_checked(app):
    rules = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("checklists.")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert rules == {(endpoint, method) for method, _url, _data, _answer, endpoint in EDITOR_ROUTES}


@pytest.mark.parametrize("method, url, data, office_answer, role", ACCESS_CASES,
                         ids=[f"{c[0]} {c[1]} as {c[4]}" for c in ACCESS_CASES])
def test_only_office_may_use_the_editor(client, login_as, draft, method, url, data, office_answer, role):
    v1 = db.session.get(ChecklistTemplate, draft.based_on_id)
    before = (snapshot(v1), snapshot(draft), [v.status for v in services.family_versions("default")])
    if role != ANON:
        login_as(role)
    target = url.format(v1=v1.id, draft=draft.id, item=draft.categories[0].items[0].id)
    response = client.open(target, method=method, data=data)
    if role == ANON:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif role == Role.OFFICE:
        assert response.status_code == office_answer, form_errors(response.text)
    else:
        assert response.status_code == 403
    if role != Role.OFFICE:
        assert before == (snapshot(v1), snapshot(draft), [v.status for v in services.family_versions("default")])
