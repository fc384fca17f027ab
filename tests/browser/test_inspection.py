"""The on-site inspection on a phone: start form, one-tap answers with autosave, retries,
the offline outbox, the summary and finishing, and the checklist layout at 360 px.

The live server is shared by the whole session, so each test that changes data works on an
inspection of its own, made by ``make_inspection`` (a small script run with the live
server's environment). Only ``test_start_form_refuses_expired_equipment`` uses the demo
inspection of A26101201.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import COMMAND_TIMEOUT, REPO_ROOT, login

ITEM_POSTS = "**/inspections/*/items/*"
TOTAL_ITEMS = 89
TOTAL_CATEGORIES = 12
GRADE_PASS_TEXT = re.compile(r"优秀|良好|合格|Excellent|Good|Pass")
EXCELLENT = re.compile(r"优秀|Excellent")
FAIL_TEXT = re.compile(r"不合格|Fail")
VALID_EQUIPMENT = ("JC-HS-003",)  # the moisture meter, calibrated
EXPIRED_SERIAL = "JC-SP-007"

# Creates (or starts) an inspection for the demo inspector, scheduled today. The project is a
# demo one, or a project of the test's own when ``address`` is given. Prints JSON facts.
SETUP_SCRIPT = r"""
import json, sys
from decimal import Decimal
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.checklists.models import ChecklistItem
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.inspections.services import create_inspection, record_start
from portal.projects.models import Project
from portal.timeutil import local_today

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    out = {"today": today.isoformat(),
           "equipment": {e.serial_no: e.valid_until.isoformat() for e in db.session.scalars(select(Equipment))}}
    if args.get("start_id"):
        inspection = db.session.get(Inspection, args["start_id"])
    else:
        project = db.session.scalar(select(Project).where(Project.contract_no == args["contract_no"]))
        if project is None:
            project = Project(contract_no=args["contract_no"], address=args["address"], owner_name="浏览器测试",
                              owner_phone="13700000000", design_studio="T 测试", designer="测试",
                              contract_amount=Decimal("100000.00"), start_date=today, planned_completion=today)
            db.session.add(project)
            db.session.flush()
        inspection = create_inspection(project, today, inspector, office)
    if args.get("start"):
        equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no.in_(args["equipment"]))).all()
        record_start(inspection, inspector, foreman_present=True, project_manager_present=True,
                     others_present="", handbook_present=True, equipment=list(equipment))
    db.session.commit()
    out["id"] = inspection.id
    out["items"] = {i.code: i.id for i in db.session.scalars(
        select(ChecklistItem).where(ChecklistItem.template_id == inspection.template_id))}
    print(json.dumps(out))
"""


def run_setup(live_server, **args) -> dict:
    """Run SETUP_SCRIPT against the live server's database; its JSON answer."""
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, json.dumps(args)], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"setup script exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n"
                    f"--- stderr ---\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def make_inspection(live_server, contract_no: str, *, start: bool = True, own_project: bool = False) -> dict:
    """A new inspection today for ``inspector`` (started with valid equipment unless ``start=False``).

    ``own_project`` creates the project ``contract_no`` first (not visible to the demo foreman or PM).
    """
    args = {"contract_no": contract_no, "start": start, "equipment": list(VALID_EQUIPMENT)}
    if own_project:
        args["address"] = f"浏览器测试地址 {contract_no}"
    return run_setup(live_server, **args)


def start_inspection(live_server, inspection_id: int) -> dict:
    """Start an existing inspection with valid equipment."""
    return run_setup(live_server, start_id=inspection_id, start=True, equipment=list(VALID_EQUIPMENT))


# --- page helpers -----------------------------------------------------------------------------

def item(page: Page, item_id: int):
    return page.locator(f"#item-{item_id}")


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def open_category_of(page: Page, item_id: int) -> None:
    """Tap the category heading of an item if its section is closed."""
    details = page.locator("details.category", has=page.locator(f"#item-{item_id}"))
    if details.get_attribute("open") is None:
        details.locator("> summary").click()
    expect(details).to_have_attribute("open", "")


def tap(page: Page, item_id: int, outcome: str) -> None:
    """Tap pass / fail / na on an item and wait until the server's answer is shown."""
    open_category_of(page, item_id)
    li = item(page, item_id)
    li.locator(f"button[name=outcome][value={outcome}]").click()
    expect(li).to_have_class(has_class(f"item--{outcome}"))
    expect(li.locator(f"button[name=outcome][value={outcome}]")).to_have_attribute("aria-pressed", "true")


def measure(page: Page, item_id: int, value: str) -> None:
    """Type a measured value and tap OK (no waiting)."""
    open_category_of(page, item_id)
    li = item(page, item_id)
    li.locator("input.value").fill(value)
    li.locator("button.tap-ok").click()


def expect_counts(page: Page, done: int) -> None:
    """The bottom bar says ``done`` of 89 answered (any language: the two numbers, in either order)."""
    expect(page.locator("#summary-bar")).to_contain_text(
        re.compile(rf"(?<![\d.]){done}(?![\d.%])\D+{TOTAL_ITEMS}(?!\d)|(?<![\d.]){TOTAL_ITEMS}\D+{done}(?![\d.%])"))


def outbox(page: Page, inspection_id: int) -> dict:
    """The not-yet-confirmed answers that checklist.js keeps in localStorage."""
    return json.loads(page.evaluate(f"localStorage.getItem('portal:outbox:{inspection_id}') || '{{}}'"))


def value_within(limit_text: str) -> str:
    """A value comfortably inside a limit text such as ``≤ 12 %``, ``≥ 0.6 MPa``, ``0 ± 2 mm``, ``8–12 mm``."""
    number = r"(-?\d+(?:\.\d+)?)"
    if m := re.search(rf"{number}\s*±\s*{number}", limit_text):
        value = Decimal(m[1])
    elif m := re.search(rf"{number}\s*[–-]\s*{number}", limit_text):
        value = (Decimal(m[1]) + Decimal(m[2])) / 2
    elif m := re.search(rf"≤\s*{number}", limit_text):
        value = Decimal(m[1]) / 2
    elif m := re.search(rf"≥\s*{number}", limit_text):
        value = Decimal(m[1]) * 2
    else:
        raise AssertionError(f"cannot read the limit {limit_text!r}")
    return format(value.normalize(), "f")


OPEN_ITEMS_JS = """
(catId) => [...document.querySelectorAll(`#${catId} li.item.item--open`)].map(li => ({
  id: li.id, limit: li.querySelector('.limit') ? li.querySelector('.limit').textContent : null }))
"""


def answer_remaining(page: Page) -> None:
    """Answer every unanswered item the way an inspector would, one category after the other:
    open the section, tap Pass, or type a value inside the limit and tap OK."""
    categories = page.evaluate("() => [...document.querySelectorAll('#checklist details.category')].map(d => d.id)")
    assert len(categories) == TOTAL_CATEGORIES
    for cat_id in categories:
        details = page.locator(f"#{cat_id}")
        if details.get_attribute("open") is None:
            details.locator("> summary").click()
        for row in page.evaluate(OPEN_ITEMS_JS, cat_id):
            li = page.locator(f"#{row['id']}")
            if row["limit"] is None:
                li.locator("button[name=outcome][value=pass]").click()
            else:
                li.locator("input.value").fill(value_within(row["limit"]))
                li.locator("button.tap-ok").click()
        expect(details.locator("li.item.item--open")).to_have_count(0, timeout=20_000)
        expect(details.locator("li.item.item--error")).to_have_count(0)
    page.wait_for_load_state("networkidle")


def open_checklist(page: Page, inspection_id: int) -> None:
    page.goto(f"/inspections/{inspection_id}")
    expect(page.locator("#checklist")).to_be_visible()
    page.wait_for_load_state("networkidle")


# --- 1. start form --------------------------------------------------------------------------

@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "APP BUG: GET /inspections/<id> of a not yet started inspection renders the start form without any "
    "equipment check boxes (<ul class='checks' id='equipment_ids'></ul>): views.detail() builds "
    "StartForm(formdata=None) instead of _start_form(inspection), so equipment_ids has no choices. "
    "Equipment cannot be recorded when starting, and the expired instrument cannot even be chosen."))
def test_start_form_refuses_expired_equipment(page: Page, live_server):
    """The demo inspector opens today's demo inspection with one tap and fills 'Before starting'."""
    facts = run_setup(live_server, start_id=None, contract_no="A26101201", facts_only=True) \
        if False else None  # (the demo inspection is not touched by the setup script)
    login(page, "inspector")
    assert page.url.endswith("/inspections/today")

    page.locator("main .list-item a", has_text="A26101201").click()  # one tap
    page.wait_for_url(re.compile(r"/inspections/\d+$"))
    form = page.locator("#start-form")
    expect(form).to_be_visible()
    expect(page.locator("#checklist")).to_have_count(0)

    for name in ("foreman_present", "project_manager_present", "handbook_present"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("input[name=others_present]").fill("业主")

    # The expired laser level first: refused, naming its expiry date.
    expired = form.locator("#equipment_ids li", has_text=EXPIRED_SERIAL).locator("input[type=checkbox]")
    expect(expired).to_be_visible(timeout=3_000)
    label_text = form.locator("#equipment_ids li", has_text=EXPIRED_SERIAL).inner_text()
    expiry = re.search(r"\d{4}-\d{2}-\d{2}", label_text)[0]
    expired.check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    error = page.locator("#start-form fieldset.has-error .error")
    expect(error).to_contain_text(EXPIRED_SERIAL)
    expect(error).to_contain_text(expiry)
    expect(page.locator("#checklist")).to_have_count(0)
    expect(page.locator("#start-form input[name=foreman_present][value=yes]")).to_be_checked()

    # Then a valid instrument instead: the checklist opens.
    page.locator("#equipment_ids li", has_text=EXPIRED_SERIAL).locator("input").uncheck()
    page.locator("#equipment_ids li", has_text=VALID_EQUIPMENT[0]).locator("input").check()
    with page.expect_navigation():
        page.locator("#start-form button[type=submit]").click()
    expect(page.locator("#checklist")).to_be_visible()
    expect(page.locator("#checklist details.category")).to_have_count(TOTAL_CATEGORIES)
    expect(page.locator("#checklist li.item")).to_have_count(TOTAL_ITEMS)
    expect_counts(page, 0)
    expect(page.locator("details.start-info .badge-bad")).to_have_count(0)  # valid equipment recorded
