"""Pins where the defect is read: the notice page and its PDF show the plan with numbered pins."""
from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from PIL import Image

from portal.auth.roles import Role
from portal.extensions import db
from portal.inspections.services import record_start
from portal.plans.services import item_pins, store_plan
from portal.plans.imaging import PIN_RED
from portal.rectification.pdf import notice_data, render_notice_pdf
from portal.rectification.services import schedule_reinspection
from portal.timeutil import local_today
from tests.factories import make_equipment, make_failed_inspection, make_user
from tests.plans.test_imaging import plan_image
from tests.plans.test_views import add_plan

FAILS = ("插座左零右火上接地", "漏电保护器动作正常")


def notice_with_pins(storage, positions):
    """A notice with two failed items, a plan, and the inspector's pins at ``positions`` (by item order)."""
    from portal.plans.services import place_pin

    inspection, notice = make_failed_inspection(fail=FAILS)
    plan = add_plan(inspection.project)
    for item, (x, y) in zip(notice.items, positions):
        place_pin(plan, inspection.inspector, str(uuid.uuid4()), x, y, inspection_id=inspection.id,
                  item_id=item.item_id)
    return inspection, notice, plan


def test_the_notice_page_shows_the_plan_with_numbered_pins(client, login_as, storage):
    inspection, notice, plan = notice_with_pins(storage, [(0.25, 0.5), (0.75, 0.25)])
    assert len(notice.items) == 2
    login_as(notice.project.foreman)
    db.session.commit()
    page = client.get(f"/notices/{notice.id}").text
    assert f"/plans/{plan.id}/image" in page
    for item, (x, y) in zip(notice.items, [(0.25, 0.5), (0.75, 0.25)]):
        assert f'data-label="{item.position}" data-x="{x}" data-y="{y}"' in page
    assert page.count('href="#notice-plans"') == 2


def pinned_section(page: str, plan) -> str:
    """The notice page's figure of ``plan`` (empty when the plan is not shown)."""
    start = page.find(f'id="pinned-plan-{plan.id}"')
    return page[start:page.index("</figure>", start)] if start >= 0 else ""


def test_two_floors_the_chooser_a_pin_moved_to_the_other_floor_and_the_notice_by_plan(client, login_as, storage):
    inspection, notice = make_failed_inspection(fail=FAILS)
    ground = add_plan(inspection.project)
    upper, _keys = store_plan(inspection.project, "二层", plan_image(900, 600), make_user(Role.OFFICE), storage)
    first, second = notice.items
    login_as(inspection.inspector)
    db.session.commit()
    url = f"/inspections/{inspection.id}/items/{first.item_id}/pin"
    # the chooser offers both floors; ?plan= picks the one drawn and posted to
    page = client.get(url).text
    assert f'href="?plan={ground.id}"' in page and f'href="?plan={upper.id}"' in page
    assert f'name="plan_id" value="{ground.id}"' in page and "一层" in page and "二层" in page
    upper_page = client.get(f"{url}?plan={upper.id}").text
    assert f'name="plan_id" value="{upper.id}"' in upper_page and f"/plans/{upper.id}/image" in upper_page
    assert f'aria-current="page">二层' in upper_page

    for item, plan, x, y in ((first, ground, 0.2, 0.3), (second, ground, 0.6, 0.7), (first, upper, 0.8, 0.1)):
        response = client.post(f"/inspections/{inspection.id}/items/{item.item_id}/pin",
                               data={"plan_id": plan.id, "x": x, "y": y, "client_id": str(uuid.uuid4())})
        assert response.status_code == 201 and response.json["plan_id"] == plan.id

    # the moved pin is on the upper floor only: its page opens there, the ground floor shows no pin of it
    assert {key: (p.plan_id, p.x, p.y) for key, p in item_pins(inspection.id).items()} == {
        first.item_id: (upper.id, 0.8, 0.1), second.item_id: (ground.id, 0.6, 0.7)}
    assert f'name="plan_id" value="{upper.id}"' in client.get(url).text
    assert 'name="x" value=""' in client.get(f"{url}?plan={ground.id}").text

    login_as(notice.project.foreman)
    page = client.get(f"/notices/{notice.id}").text
    on_ground, on_upper = pinned_section(page, ground), pinned_section(page, upper)
    assert "一层" in on_ground and "二层" in on_upper
    assert on_ground.count('class="plan-pin"') == 1 and on_upper.count('class="plan-pin"') == 1
    assert f'data-label="{second.position}" data-x="0.6" data-y="0.7"' in on_ground
    assert f'data-label="{first.position}" data-x="0.8" data-y="0.1"' in on_upper
    assert page.index(f'id="pinned-plan-{ground.id}"') < page.index(f'id="pinned-plan-{upper.id}"')
    assert page.count('href="#notice-plans"') == 2
    with client.application.test_request_context():
        plans = notice_data(notice)["plans"]
    assert [(p["title"], p["numbers"]) for p in plans] == [("一层", str(second.position)), ("二层", str(first.position))]


def test_a_notice_without_pins_shows_no_plan(client, login_as, storage):
    inspection, notice = make_failed_inspection()
    add_plan(inspection.project)
    login_as(notice.project.foreman)
    db.session.commit()
    assert "notice-plans" not in client.get(f"/notices/{notice.id}").text
    assert notice_data(notice)["plans"] == []


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_the_notice_pdf_shows_the_pins(app, storage, tmp_path):
    with app.test_request_context():
        inspection, notice, plan = notice_with_pins(storage, [(0.5, 0.5)])
        data = notice_data(notice)
        assert [p["title"] for p in data["plans"]] == ["一层"] and data["plans"][0]["numbers"] == "1"
        pdf = render_notice_pdf(notice)
    (tmp_path / "notice.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "notice.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    reds = [(x, y) for x in range(page.width) for y in range(page.height)
            if all(abs(a - b) <= 30 for a, b in zip(page.getpixel((x, y)), PIN_RED))]
    assert len(reds) >= 10, "no pin on the printed plan"


def test_the_reinspection_shows_the_earlier_pins(client, login_as, storage):
    inspection, notice, plan = notice_with_pins(storage, [(0.3, 0.4)])
    reinspection = schedule_reinspection(notice, local_today(), inspection.inspector, make_user(Role.OFFICE))
    record_start(reinspection, inspection.inspector, foreman_present=True, project_manager_present=True,
                 others_present="", handbook_present=True, equipment=[make_equipment()])
    login_as(inspection.inspector)
    db.session.commit()
    page = client.get(f"/inspections/{reinspection.id}").text
    assert 'id="earlier-pins"' in page and 'data-label="1" data-x="0.3" data-y="0.4"' in page
    assert notice.items[0].item_text in page.split('id="earlier-pins"')[1].split("</details>")[0]
    assert 'id="earlier-pins"' not in client.get(f"/inspections/{inspection.id}").text
