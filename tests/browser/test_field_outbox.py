"""The whole inspection with no signal: the field outbox (IndexedDB) keeps every answer, note,
photo and signature through reloads, a closed browser and a new version of the app, sends each
exactly once when the network returns, shows conflicts instead of losing a change, and rides
out a failing server.

Each test works on inspections of projects of its own (T2612060x), made by scripts run with the
live server's environment; the database is then read the same way.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WITHOUT_WORKER, login, logout, no_signal, signal_back
from tests.browser.test_inspection import (
    EXPIRED_SERIAL, ITEM_POSTS, has_class, item, make_inspection, open_category_of, open_checklist, photo_jpeg,
    scroll_to_middle,
)
from tests.browser.test_offline import CONTROLLER_URL_JS, HAS_WAITING_WORKER_JS, wait_for_control, wait_until
from tests.browser.test_signatures import mouse_stroke, sign_form, zigzag
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

PHOTO_POSTS = "**/inspections/*/items/*/photos"
INDICATOR = "#sync-status"
ALL_SAVED = "全部已保存"

# A finished inspection of a project of the test's own (its signatures are collected afterwards).
FINISHED_SCRIPT = r"""
import json, sys
from decimal import Decimal
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import answers_version, create_inspection, finish, load_answers, record_start, save_answer
from portal.projects.models import Project
from portal.timeutil import local_today

contract_no = sys.argv[1]
app = create_app()
with app.app_context():
    today = local_today()
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    project = Project(contract_no=contract_no, address=f"浏览器测试地址 {contract_no}", owner_name="浏览器测试",
                      owner_phone="13700000000", design_studio="T 测试", designer="测试",
                      contract_amount=Decimal("100000.00"), start_date=today, planned_completion=today)
    db.session.add(project)
    db.session.flush()
    inspection = create_inspection(project, today, inspector, office)
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-HS-003")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    for answer in load_answers(inspection):
        limit = answer.item.limit
        if answer.item.is_measured:
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))
    db.session.commit()
    print(json.dumps({"id": inspection.id}))
"""

# What the database holds for an inspection: answer changes per item and field, the answers,
# the photos of its items (by UUID), the signatures of a record, and the field actions.
FACTS_SCRIPT = r"""
import json, sys
from collections import Counter
from sqlalchemy import func, select
from portal import create_app
from portal.extensions import db
from portal.fieldsync.models import FieldAction
from portal.inspections.models import Answer, AnswerChange, Inspection
from portal.photos.models import Photo
from portal.signatures.models import Signature

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    inspection_id = args["inspection"]
    changes = Counter(f"{c.item_id}:{c.field}" for c in db.session.scalars(
        select(AnswerChange).where(AnswerChange.inspection_id == inspection_id)))
    answers = {str(a.item_id): [a.outcome, None if a.value is None else format(a.value.normalize(), "f"), a.note, a.version]
               for a in db.session.scalars(select(Answer).where(Answer.inspection_id == inspection_id))}
    photos = [[p.uuid, p.item_id] for p in db.session.scalars(select(Photo).where(
        Photo.inspection_id == inspection_id, Photo.deleted_at.is_(None)))]
    rows = db.session.scalars(select(Signature).where(
        Signature.record_type == "inspection", Signature.record_id == args.get("record", 0))).all()
    signatures = [[s.slot, s.signer_name] for s in rows]
    refusals = [[s.slot, s.refusal_reason, s.witness_name, s.witness_relation] for s in rows if s.refused]
    print(json.dumps({"changes": changes, "answers": answers, "photos": photos, "signatures": signatures,
                      "refusals": refusals,
                      "status": db.session.get(Inspection, inspection_id).status,
                      "field_actions": db.session.scalar(select(func.count()).select_from(FieldAction))}))
"""


def run_script(live_server, script: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO_ROOT, env=live_server.env,
                            capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"script exited with {result.returncode}\n{result.stdout}\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def facts(live_server, inspection_id: int, record_id: int = 0) -> dict:
    return run_script(live_server, FACTS_SCRIPT, json.dumps({"inspection": inspection_id, "record": record_id}))


def check_items(page: Page, count: int) -> list[int]:
    """The first ``count`` check (not measured) items of the checklist on the page."""
    ids = page.evaluate("() => [...document.querySelectorAll('#checklist li.item:not([data-min])')]"
                        ".filter(li => li.querySelector('button[value=pass]')).map(li => Number(li.dataset.item))")
    return ids[:count]


def tap_queued(page: Page, item_id: int, outcome: str) -> None:
    """Tap an answer; it shows at once (as waiting, or saved) whether or not there is a network."""
    open_category_of(page, item_id)
    li = item(page, item_id)
    scroll_to_middle(li)
    li.locator(f"button[name=outcome][value={outcome}]").click()
    expect(li).to_have_class(has_class(f"item--{outcome}"))


def outbox_size(page: Page) -> int:
    return page.evaluate("async () => window.PortalOutbox ? (await window.PortalOutbox.all()).length : -1")


def expect_all_saved(page: Page, timeout: float = 60_000) -> None:
    """Nothing waits on the phone, and the indicator says so. The outbox first: a tap shows on its
    item at once, before its action is in the outbox, while the indicator still shows the state
    of before the tap."""
    wait_until(page, "async () => !!window.PortalOutbox && (await window.PortalOutbox.all()).length === 0",
               timeout / 1000)
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "saved", timeout=timeout)
    expect(page.locator(f"{INDICATOR} [data-sync-text]")).to_have_text(ALL_SAVED)
    assert outbox_size(page) == 0


def persistent_context(playwright, user_data_dir, browser_type_launch_args, browser_context_args,
                       offline: bool = False):
    """A browser whose IndexedDB, caches and service worker survive closing it (like a phone's).

    ``offline``: the browser knows from its first moment that it has no signal (the signal
    itself is lost with ``no_signal`` beforehand); told afterwards, the page opened at start-up
    would begin sending its outbox first.
    """
    context_args = {k: v for k, v in browser_context_args.items() if k != "default_browser_type"}
    return playwright.chromium.launch_persistent_context(str(user_data_dir), **browser_type_launch_args,
                                                         **context_args, offline=offline)


def prepare(page: Page, inspection_id: int) -> None:
    """"Prepare offline" on today's list for one inspection; returns when it says ready."""
    page.goto("/inspections/today")
    row = page.locator("li.list-item", has=page.locator(f"a[href='/inspections/{inspection_id}']"))
    row.locator("[data-prepare-button]").click()
    expect(row.locator("[data-ready-mark]")).to_have_text(re.compile(r"可离线使用"))


# --- 1. a whole inspection without signal -----------------------------------------------------------

def test_a_whole_inspection_without_signal_arrives_exactly_once(playwright, live_server, tmp_path,
                                                                  browser_type_launch_args, browser_context_args):
    data = make_inspection(live_server, "T26120601", own_project=True)
    inspection_id, codes = data["id"], data["items"]
    measured = codes["carpentry.wood_moisture"]  # ≤ 12 %: 20 fails
    finished = run_script(live_server, FINISHED_SCRIPT, "T26120602")["id"]
    photos = []
    for n in range(3):
        photos.append(tmp_path / f"crack-{n}.jpg")
        photos[-1].write_bytes(photo_jpeg())
    profile = tmp_path / "phone"

    context = persistent_context(playwright, profile, browser_type_launch_args, browser_context_args)
    page = context.pages[0] if context.pages else context.new_page()
    login(page, "inspector")
    wait_for_control(page)
    prepare(page, inspection_id)
    prepare(page, finished)

    no_signal(context, live_server)
    page.locator(f"a[href='/inspections/{inspection_id}']").first.click()
    expect(page.locator("#checklist")).to_be_visible()
    ids = check_items(page, 19)
    for item_id in ids:
        tap_queued(page, item_id, "pass")
    # A measured value over its limit: failed on the phone, with a note and three photos.
    open_category_of(page, measured)
    li = item(page, measured)
    scroll_to_middle(li)
    li.locator("input.value").fill("20")
    li.locator("button.tap-ok").click()
    expect(li).to_have_class(has_class("item--fail"))
    li.locator("details.note > summary").click()
    li.locator("textarea[name=note]").fill("含水率 20%，超过 12%")
    li.locator(".note-form button").click()
    li.locator(".photo-upload input.photo-input").set_input_files([str(p) for p in photos])
    expect(li.locator(".upload-queue li.upload")).to_have_count(3)
    expect(li.locator(".upload-queue li.upload.photo--waiting")).to_have_count(3, timeout=20_000)
    photo_uuids = [li.locator(".upload-queue li.upload").nth(i).get_attribute("data-uuid") for i in range(3)]
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "offline")
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 24")  # 20 answers, note, 3 photos
    expect(page.locator(f"{INDICATOR} [data-sync-text]")).to_contain_text("24")

    # Two reloads without signal: everything is still marked as waiting, photos included.
    for _ in range(2):
        page.reload()
        expect(page.locator("#checklist")).to_be_visible()
        for item_id in ids[:3] + [measured]:
            expect(item(page, item_id)).to_have_class(re.compile(r"item--(pending|retrying)"))
        expect(item(page, measured)).to_have_class(has_class("item--fail"))
        expect(item(page, measured).locator(".upload-queue li.upload.photo--waiting")).to_have_count(3)
        assert outbox_size(page) == 24

    # The signature of the inspection finished earlier today, on its kept page.
    page.goto(f"/signatures/inspection/{finished}")
    form = sign_form(page, "inspector")
    mouse_stroke(page, form, zigzag(0.4))
    mouse_stroke(page, form, zigzag(0.7))
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-sig-waiting]")).to_be_visible()
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 25")

    # The browser is closed (a phone restart) and opened again, still without signal.
    context.close()
    context = persistent_context(playwright, profile, browser_type_launch_args, browser_context_args, offline=True)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"/inspections/{inspection_id}")
        expect(page.locator("#checklist")).to_be_visible()
        expect(item(page, measured)).to_have_class(has_class("item--fail"))
        assert outbox_size(page) == 25  # nothing was lost, nothing was confirmed
        # Nothing reached the server while there was no signal.
        assert facts(live_server, inspection_id)["changes"] == {}

        # Signal again: everything goes by itself.
        started = time.monotonic()
        signal_back(context, live_server)
        expect_all_saved(page)
        print(f"\n[outbox] 20 answers, a note, 3 photos and a signature synced in {time.monotonic() - started:.1f} s")
    finally:
        context.close()

    found = facts(live_server, inspection_id, finished)
    assert found["status"] == "in_progress"
    for item_id in ids:
        assert found["answers"][str(item_id)][0] == "pass"
        assert found["changes"][f"{item_id}:outcome"] == 1
    assert found["answers"][str(measured)][:3] == ["fail", "20", "含水率 20%，超过 12%"]
    assert {key: n for key, n in found["changes"].items() if key.startswith(f"{measured}:")} == {
        f"{measured}:value": 1, f"{measured}:outcome": 1, f"{measured}:note": 1}
    assert sum(found["changes"].values()) == 19 + 3
    assert sorted(found["photos"]) == sorted([uuid, measured] for uuid in photo_uuids)
    assert found["signatures"] == [["inspector", "王建国"]]


# --- 2. the network drops in the middle -------------------------------------------------------------

@WITHOUT_WORKER
def test_network_drops_mid_upload_and_mid_sync_without_duplicates(page: Page, live_server, tmp_path):
    data = make_inspection(live_server, "T26120603", own_project=True)
    inspection_id = data["id"]
    photo = tmp_path / "crack.jpg"
    photo.write_bytes(photo_jpeg())
    login(page, "inspector")
    open_checklist(page, inspection_id)
    ids = check_items(page, 3)
    lost = {"answers": 0, "photos": 0}

    # The server gets the first copy of each and carries it out, but its answer never arrives.
    def answer_lost(route, kind):
        if route.request.method == "POST" and lost[kind] < 1:
            lost[kind] += 1
            route.fetch()
            route.abort("connectionreset")
            return
        route.continue_()

    page.route(PHOTO_POSTS, lambda route: answer_lost(route, "photos"))
    page.route(ITEM_POSTS, lambda route: answer_lost(route, "answers")
               if not route.request.url.endswith("/photos") else route.fallback())
    for item_id in ids:
        tap_queued(page, item_id, "fail")
    li = item(page, ids[0])
    li.locator(".photo-upload input.photo-input").set_input_files(str(photo))
    expect(li.locator(".photo-grid li.photo")).to_have_count(1, timeout=30_000)
    expect_all_saved(page)
    assert lost == {"answers": 1, "photos": 1}

    found = facts(live_server, inspection_id)
    assert all(found["changes"][f"{item_id}:outcome"] == 1 for item_id in ids), found["changes"]
    assert len(found["photos"]) == 1
    page.reload()
    expect(item(page, ids[0]).locator(".photo-grid li.photo")).to_have_count(1)


# --- 3. two devices change the same item ----------------------------------------------------------------

def conflict_on_an_item(page: Page, live_server, browser, browser_context_args, number: str):
    """The inspector fails an item without signal while his tablet, in signal, passes it; when the
    phone's signal returns its change comes back as a conflict. Returns (inspection, item, its li)."""
    data = make_inspection(live_server, number, own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    item_id = check_items(page, 1)[0]

    no_signal(page.context, live_server)
    tap_queued(page, item_id, "fail")  # in the basement

    # Meanwhile the item is answered again on another device (the inspector's tablet, in signal:
    # only the inspector may answer his checklist).
    other = browser.new_context(**{**browser_context_args, "base_url": live_server.direct_url})
    try:
        desk = other.new_page()
        login(desk, "inspector")
        open_checklist(desk, inspection_id)
        tap_queued(desk, item_id, "pass")
        expect_all_saved(desk)  # the desk's change has reached the server before its tab closes
    finally:
        other.close()
    assert facts(live_server, inspection_id)["answers"][str(item_id)][0] == "pass"

    signal_back(page.context, live_server)
    li = item(page, item_id)
    expect(li).to_have_class(has_class("item--conflict"), timeout=30_000)
    conflict = li.locator("[data-conflict]")
    expect(conflict.locator("[data-theirs]")).to_contain_text("合格")
    expect(conflict.locator("[data-mine]")).to_contain_text("不合格")
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "error")
    assert outbox_size(page) == 1  # kept, not dropped
    assert facts(live_server, inspection_id)["answers"][str(item_id)][0] == "pass"
    return inspection_id, item_id, li


def test_a_change_on_another_device_comes_back_as_a_conflict_not_a_loss(page: Page, live_server, browser,
                                                                        browser_context_args):
    inspection_id, item_id, li = conflict_on_an_item(page, live_server, browser, browser_context_args, "T26120604")
    li.locator("[data-conflict] [data-conflict-keep]").click()  # the inspector saw it on site: his stays
    expect(li).not_to_have_class(has_class("item--conflict"), timeout=20_000)
    expect_all_saved(page)
    found = facts(live_server, inspection_id)
    assert found["answers"][str(item_id)][0] == "fail"
    assert found["changes"][f"{item_id}:outcome"] == 2  # both changes are in the history


def test_taking_theirs_leaves_the_other_devices_answer(page: Page, live_server, browser, browser_context_args):
    inspection_id, item_id, li = conflict_on_an_item(page, live_server, browser, browser_context_args, "T26120624")
    with page.expect_navigation():  # the checklist as the server has it now
        li.locator("[data-conflict] [data-conflict-drop]").click()
    li = item(page, item_id)
    expect(li).to_have_class(has_class("item--pass"))
    expect(li).not_to_have_class(re.compile(r"item--(conflict|pending|retrying)"))
    expect(li.locator("button[name=outcome][value=pass]")).to_have_attribute("aria-pressed", "true")
    expect_all_saved(page)
    found = facts(live_server, inspection_id)
    assert found["answers"][str(item_id)][0] == "pass"
    assert found["changes"][f"{item_id}:outcome"] == 1  # the phone's change was never applied


# --- 4. the server fails for a while ------------------------------------------------------------

@WITHOUT_WORKER
def test_sync_rides_out_a_server_answering_503(page: Page, live_server):
    data = make_inspection(live_server, "T26120605", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    ids = check_items(page, 5)
    failures = []

    def unavailable(route):
        if route.request.method == "POST" and len(failures) < 4:
            failures.append(route.request.url)
            route.fulfill(status=503, body="<p>维护中</p>", content_type="text/html")
            return
        route.continue_()

    page.route(ITEM_POSTS, unavailable)
    for item_id in ids:
        tap_queued(page, item_id, "na")
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "waiting")
    expect(item(page, ids[0])).to_have_class(has_class("item--retrying"))
    expect_all_saved(page)
    assert len(failures) == 4
    found = facts(live_server, inspection_id)
    assert all(found["answers"][str(item_id)][0] == "na" and found["changes"][f"{item_id}:outcome"] == 1
               for item_id in ids), found
    page.reload()
    for item_id in ids:
        expect(item(page, item_id)).to_have_class(has_class("item--na"))


# --- 5. starting without signal, and a finish the server refuses ---------------------------------------

def test_start_without_signal_then_answers_then_the_server_checklist(page: Page, live_server):
    data = make_inspection(live_server, "T26120606", start=False, own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    wait_for_control(page)
    prepare(page, inspection_id)

    no_signal(page.context, live_server)
    page.locator(f"a[href='/inspections/{inspection_id}']").first.click()
    form = page.locator("#start-form")
    expect(form).to_be_visible()
    expect(page.locator("#checklist")).to_have_count(0)
    for name in ("foreman_present", "project_manager_present", "handbook_present"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("#equipment_ids li", has_text="JC-HS-003").locator("input").check()
    form.locator("button[type=submit]").click()
    # The start waits on the phone, and the checklist the page carries is there to answer.
    expect(page.locator("#checklist")).to_be_visible()
    expect(page.locator("[data-start-waiting]")).to_be_visible()
    ids = check_items(page, 2)
    tap_queued(page, ids[0], "pass")
    tap_queued(page, ids[1], "fail")
    page.reload()  # the phone's copy of the start page: the start and the answers still wait
    expect(page.locator("#checklist")).to_be_visible()
    expect(item(page, ids[1])).to_have_class(has_class("item--fail"))
    assert outbox_size(page) == 3

    signal_back(page.context, live_server)
    page.wait_for_url(re.compile(rf"/inspections/{inspection_id}$"), timeout=30_000)
    expect(page.locator("details.start-info")).to_be_visible(timeout=30_000)  # the server's checklist now
    expect(item(page, ids[1])).to_have_class(has_class("item--fail"))
    assert outbox_size(page) == 0
    found = facts(live_server, inspection_id)
    assert found["status"] == "in_progress"
    assert found["answers"][str(ids[0])][0] == "pass" and found["answers"][str(ids[1])][0] == "fail"


def test_a_finish_refused_by_the_server_comes_back_as_a_message(page: Page, live_server):
    data = make_inspection(live_server, "T26120607", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    page.goto(f"/inspections/{inspection_id}/summary")
    expect(page.locator("#summary")).to_be_visible()
    finish_form = page.locator("#summary form[action$='/finish']")
    # Offline the page cannot know what is missing: the button is enabled as if nothing were.
    finish_form.locator("button[type=submit]").evaluate("b => b.disabled = false")
    no_signal(page.context, live_server)
    finish_form.locator("button[type=submit]").click()
    box = page.locator("[data-finish-waiting]")
    expect(box).to_be_visible()
    signal_back(page.context, live_server)
    expect(box).to_have_class(re.compile(r"flash-error"), timeout=30_000)
    expect(box).to_contain_text("服务器未完成本次验收")
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "error")
    page.reload()  # still there until it is read
    expect(box).to_be_visible()
    box.locator("[data-finish-dismiss]").click()
    expect(box).to_be_hidden()
    expect_all_saved(page)
    assert facts(live_server, inspection_id)["status"] == "in_progress"


# --- 6. a new version of the app while the outbox holds data ------------------------------------------

def test_a_new_worker_waits_while_the_outbox_holds_answers_and_photos(page: Page, live_server, tmp_path):
    data = make_inspection(live_server, "T26120608", own_project=True)
    inspection_id = data["id"]
    photo = tmp_path / "crack.jpg"
    photo.write_bytes(photo_jpeg())
    login(page, "inspector")
    wait_for_control(page)
    open_checklist(page, inspection_id)
    ids = check_items(page, 2)

    # When the signal is back the server stays out of reach for answers. Routed before the taps:
    # an answer held up while offline (the browser may hold a request while its service worker
    # starts) is turned away too when it goes on.
    page.route(ITEM_POSTS, lambda route: route.abort())
    no_signal(page.context, live_server)
    tap_queued(page, ids[0], "pass")
    tap_queued(page, ids[1], "fail")
    li = item(page, ids[1])
    li.locator(".photo-upload input.photo-input").set_input_files(str(photo))
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 3")
    signal_back(page.context, live_server)

    # A new deployment's worker arrives and waits: the old one still answers.
    page.evaluate("navigator.serviceWorker.register('/sw.js?deployment=3', {scope: '/'}).then(() => true)")
    wait_until(page, HAS_WAITING_WORKER_JS)
    expect(page.locator("#update-notice")).to_be_visible()
    page.locator(f"{INDICATOR} [data-sync-now]").click()  # tries, fails: the outbox is still whole
    expect(item(page, ids[0])).to_have_class(has_class("item--retrying"))
    page.wait_for_timeout(1000)
    assert page.evaluate(CONTROLLER_URL_JS).endswith("/sw.js")
    assert outbox_size(page) == 3

    page.unroute(ITEM_POSTS)
    page.locator(f"{INDICATOR} [data-sync-now]").click()
    expect_all_saved(page)
    wait_until(page, f"async () => !(await ({HAS_WAITING_WORKER_JS})()) && ({CONTROLLER_URL_JS})().endsWith('=3')")
    found = facts(live_server, inspection_id)
    assert found["answers"][str(ids[0])][0] == "pass" and found["answers"][str(ids[1])][0] == "fail"
    assert len(found["photos"]) == 1


# --- 7. a phone shared by two users ---------------------------------------------------------------------

@WITHOUT_WORKER
def test_waiting_answers_are_sent_only_by_the_user_who_gave_them(page: Page, live_server):
    data = make_inspection(live_server, "T26120609", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    item_id = check_items(page, 1)[0]
    page.route(ITEM_POSTS, lambda route: route.abort())
    tap_queued(page, item_id, "fail")
    expect(item(page, item_id)).to_have_class(has_class("item--retrying"))
    page.once("dialog", lambda dialog: dialog.accept())  # "not sent yet — log out anyway?"
    logout(page)
    page.unroute(ITEM_POSTS)

    login(page, "office")  # somebody else on the same phone: the inspector's answer stays put
    page.locator(f"{INDICATOR} [data-sync-now]").click()
    page.wait_for_timeout(1500)
    assert outbox_size(page) == 1
    assert facts(live_server, inspection_id)["changes"] == {}
    logout(page)

    login(page, "inspector")  # his again: it goes
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "saved", timeout=30_000)
    assert outbox_size(page) == 0
    assert facts(live_server, inspection_id)["answers"][str(item_id)][0] == "fail"


def test_own_changes_of_one_item_offline_never_conflict_with_each_other(page: Page, live_server):
    data = make_inspection(live_server, "T26120610", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    item_id = check_items(page, 1)[0]
    no_signal(page.context, live_server)
    for outcome in ("fail", "pass", "na"):  # all based on the version the page was loaded with
        tap_queued(page, item_id, outcome)
    assert outbox_size(page) == 3
    signal_back(page.context, live_server)
    expect_all_saved(page)
    expect(item(page, item_id)).to_have_class(has_class("item--na"))
    found = facts(live_server, inspection_id)
    assert found["answers"][str(item_id)][0] == "na" and found["answers"][str(item_id)][3] == 3
    assert found["changes"][f"{item_id}:outcome"] == 3


def failed_item_ready_for_a_photo(page: Page, live_server, contract_no: str, photo: Path) -> tuple[int, int]:
    """A new inspection of the inspector's with its checklist open and its first item failed and
    saved (the server's item, with its photo form, is in place before a photo), and ``photo`` written."""
    inspection_id = make_inspection(live_server, contract_no, own_project=True)["id"]
    photo.write_bytes(photo_jpeg())
    login(page, "inspector")
    open_checklist(page, inspection_id)
    item_id = check_items(page, 1)[0]
    tap_queued(page, item_id, "fail")
    expect_all_saved(page)
    return inspection_id, item_id


def test_a_photo_deleted_without_signal_is_deleted_on_the_server_when_it_returns(page: Page, live_server, tmp_path):
    photo = tmp_path / "wrong.jpg"
    inspection_id, item_id = failed_item_ready_for_a_photo(page, live_server, "T26120611", photo)
    li = item(page, item_id)
    li.locator(".photo-upload input.photo-input").set_input_files(str(photo))
    expect(li.locator(".photo-grid li.photo")).to_have_count(1, timeout=30_000)
    expect_all_saved(page)
    assert len(facts(live_server, inspection_id)["photos"]) == 1
    page.reload()  # the page as the server renders it, with the photo's delete button
    li = item(page, item_id)

    no_signal(page.context, live_server)
    thumb = li.locator(".photo-grid li.photo")
    thumb.locator("details.photo-delete > summary").click()
    thumb.locator("input[name=reason]").fill("拍错了房间")
    thumb.locator("button.danger").click()
    expect(li.locator(".photo-grid li.photo:visible")).to_have_count(0)
    page.reload()  # still hidden: its deletion waits
    expect(item(page, item_id).locator(".photo-grid li.photo.photo--deleting")).to_have_count(1)
    expect(item(page, item_id).locator(".photo-grid li.photo:visible")).to_have_count(0)
    assert facts(live_server, inspection_id)["photos"] != []

    signal_back(page.context, live_server)
    expect_all_saved(page)
    assert facts(live_server, inspection_id)["photos"] == []


# --- 8. start on a weak signal, finishing without signal ------------------------------------------------

# The "started" and "finished" events of an inspection, and its status.
EVENTS_SCRIPT = r"""
import json, sys
from collections import Counter
from sqlalchemy import select
from portal import create_app
from portal.extensions import db
from portal.inspections.models import Inspection, InspectionEvent

inspection_id = int(sys.argv[1])
app = create_app()
with app.app_context():
    kinds = Counter(db.session.scalars(select(InspectionEvent.kind).where(InspectionEvent.inspection_id == inspection_id)))
    print(json.dumps({"events": kinds, "status": db.session.get(Inspection, inspection_id).status}))
"""

# Every item of a started inspection answered (pass, or a value in limits) but ``argv[2]`` (default
# two) check items, whose ids are printed.
ALL_BUT_TWO_SCRIPT = r"""
import json, sys
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.inspections.services import load_answers, save_answer

app = create_app()
with app.app_context():
    inspection = db.session.get(Inspection, int(sys.argv[1]))
    keep = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    left = []
    for answer in load_answers(inspection):
        item = answer.item
        if item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        elif len(left) < keep:
            left.append(item.id)
        else:
            save_answer(answer, inspector, outcome="pass")
    db.session.commit()
    print(json.dumps({"left": left}))
"""


@WITHOUT_WORKER
def test_a_start_whose_answer_is_lost_on_a_weak_signal_is_queued_and_done_once(page: Page, live_server):
    data = make_inspection(live_server, "T26120612", start=False, own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    page.goto(f"/inspections/{inspection_id}")
    form = page.locator("#start-form")
    expect(form).to_be_visible()
    posts = []

    def answer_lost(route):
        posts.append(route.request.post_data)
        if len(posts) == 1:  # the server carries it out, the answer never reaches the phone
            route.fetch()
            route.abort("connectionreset")
            return
        route.continue_()

    page.route(f"**/inspections/{inspection_id}/start", answer_lost)
    assert page.evaluate("() => navigator.onLine")  # "online" all along
    for name in ("foreman_present", "project_manager_present", "handbook_present"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("#equipment_ids li", has_text="JC-HS-003").locator("input").check()
    form.locator("button[type=submit]").click()
    # Sent again from the outbox with the same client id: the server answers with what it did.
    page.wait_for_url(re.compile(rf"/inspections/{inspection_id}$"), timeout=30_000)
    expect(page.locator("details.start-info")).to_be_visible(timeout=30_000)  # the server's checklist
    assert len(posts) == 2
    ids = [re.search(r"client_id=([0-9a-f-]+)", body).group(1) for body in posts]
    assert ids[0] == ids[1]
    found = run_script(live_server, EVENTS_SCRIPT, str(inspection_id))
    assert found["status"] == "in_progress" and found["events"]["started"] == 1
    expect_all_saved(page)


def test_a_start_refused_on_a_good_signal_shows_the_servers_message_at_once(page: Page, live_server):
    data = make_inspection(live_server, "T26120613", start=False, own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    page.goto(f"/inspections/{inspection_id}")
    form = page.locator("#start-form")
    for name in ("foreman_present", "project_manager_present", "handbook_present"):
        form.locator(f"input[name={name}][value=yes]").check()
    form.locator("#equipment_ids li", has_text=EXPIRED_SERIAL).locator("input").check()
    form.locator("button[type=submit]").click()  # an instrument out of calibration: refused (422)
    expect(page.locator("#start-form .error[role=alert]")).to_contain_text(EXPIRED_SERIAL)
    expect(page.locator("#checklist")).to_have_count(0)
    assert outbox_size(page) == 0
    assert run_script(live_server, EVENTS_SCRIPT, str(inspection_id))["status"] != "in_progress"


def test_the_remaining_answers_and_the_finish_given_offline_finish_the_inspection(page: Page, live_server):
    data = make_inspection(live_server, "T26120614", own_project=True)
    inspection_id = data["id"]
    left = run_script(live_server, ALL_BUT_TWO_SCRIPT, str(inspection_id))["left"]
    login(page, "inspector")
    wait_for_control(page)
    summary_url = f"/inspections/{inspection_id}/summary"
    page.goto(summary_url)  # kept on the phone: two items missing, the button disabled
    finish_button = page.locator("#summary form[action$='/finish'] button[type=submit]")
    expect(finish_button).to_be_disabled()
    open_checklist(page, inspection_id)

    no_signal(page.context, live_server)
    tap_queued(page, left[0], "pass")
    tap_queued(page, left[1], "pass")
    page.goto(summary_url)  # the phone's copy of the summary
    expect(page.locator("[data-finish-phone]")).to_be_visible()
    expect(finish_button).to_be_enabled()
    finish_button.click()
    expect(page.locator("[data-finish-waiting]")).to_be_visible()
    assert outbox_size(page) == 3

    signal_back(page.context, live_server)
    expect(page.locator("#summary form[action$='/finish']")).to_have_count(0, timeout=30_000)
    expect_all_saved(page)
    found = run_script(live_server, EVENTS_SCRIPT, str(inspection_id))
    assert found["status"] == "completed" and found["events"]["finished"] == 1


@WITHOUT_WORKER
def test_a_finish_answered_by_a_5xx_on_a_weak_signal_is_queued_and_done_once(page: Page, live_server):
    data = make_inspection(live_server, "T26120615", own_project=True)
    inspection_id = data["id"]
    run_script(live_server, ALL_BUT_TWO_SCRIPT, str(inspection_id), "0")
    login(page, "inspector")
    page.goto(f"/inspections/{inspection_id}/summary")
    posts = []

    def gateway_timeout(route):
        posts.append(route.request.post_data)
        if len(posts) == 1:  # a proxy on the way gives up: nothing reached the portal
            route.fulfill(status=504, body="<p>网关超时</p>", content_type="text/html")
            return
        route.continue_()

    page.route(f"**/inspections/{inspection_id}/finish", gateway_timeout)
    finish_button = page.locator("#summary form[action$='/finish'] button[type=submit]")
    expect(finish_button).to_be_enabled()
    finish_button.click()
    expect(page.locator("#summary form[action$='/finish']")).to_have_count(0, timeout=30_000)
    expect_all_saved(page)
    assert len(posts) == 2
    ids = [re.search(r"client_id=([0-9a-f-]+)", body).group(1) for body in posts]
    assert ids[0] == ids[1]
    found = run_script(live_server, EVENTS_SCRIPT, str(inspection_id))
    assert found["status"] == "completed" and found["events"]["finished"] == 1


# --- 9. the phone's storage ---------------------------------------------------------------------------

STORAGE_WARNING = "本手机存储空间不足或可能被浏览器清除：有信号后请尽快发送等待的内容。"
MB = 1024 * 1024


def fake_storage(page: Page, *, persistent: bool, quota: int = 2048 * MB, usage: int = 100 * MB) -> None:
    """``navigator.storage`` as a phone may answer it: persistence granted or refused, and the space
    ``estimate()`` reports (changed later through ``window.__storage``)."""
    state = json.dumps({"persistent": persistent, "quota": quota, "usage": usage})
    page.add_init_script(f"""(() => {{
        window.__storage = {state};
        window.__storageAsked = 0;
        const fake = {{
            persisted: () => Promise.resolve(window.__storage.persistent),
            persist: () => Promise.resolve(window.__storage.persistent),
            estimate: () => {{
                window.__storageAsked += 1;
                return Promise.resolve({{quota: window.__storage.quota, usage: window.__storage.usage}});
            }},
        }};
        Object.defineProperty(Navigator.prototype, "storage", {{configurable: true, get: () => fake}});
    }})()""")


def storage_note(page: Page):
    return page.locator(f"{INDICATOR} [data-sync-storage]")


def test_storage_that_may_be_cleared_is_told_while_something_waits(page: Page, live_server):
    data = make_inspection(live_server, "T26120616", own_project=True)
    fake_storage(page, persistent=False)
    login(page, "inspector")
    open_checklist(page, data["id"])
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "saved")
    expect(storage_note(page)).to_be_hidden()  # nothing waits: nothing to lose yet

    no_signal(page.context, live_server)
    item_id = check_items(page, 1)[0]
    tap_queued(page, item_id, "fail")
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "offline")
    expect(storage_note(page)).to_be_visible()
    expect(storage_note(page)).to_have_text(STORAGE_WARNING)

    signal_back(page.context, live_server)
    expect_all_saved(page)
    expect(storage_note(page)).to_be_hidden()
    assert facts(live_server, data["id"])["answers"][str(item_id)][0] == "fail"


def test_low_storage_is_told_even_when_nothing_waits(page: Page, live_server):
    data = make_inspection(live_server, "T26120617", own_project=True)
    fake_storage(page, persistent=True, quota=1024 * MB, usage=1000 * MB)  # 24 MB left
    login(page, "inspector")
    open_checklist(page, data["id"])
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "saved")
    expect(storage_note(page)).to_be_visible()
    expect(storage_note(page)).to_have_text(STORAGE_WARNING)


def test_storage_is_checked_again_after_a_photo_is_queued(page: Page, live_server, tmp_path):
    data = make_inspection(live_server, "T26120618", own_project=True)
    photo = tmp_path / "crack.jpg"
    photo.write_bytes(photo_jpeg())
    fake_storage(page, persistent=True)
    login(page, "inspector")
    open_checklist(page, data["id"])
    ids = check_items(page, 2)
    tap_queued(page, ids[0], "fail")
    expect_all_saved(page)  # the server's item, with its photo form
    expect(storage_note(page)).to_be_hidden()

    no_signal(page.context, live_server)
    page.evaluate(f"() => {{ window.__storage.usage = window.__storage.quota - {20 * MB}; }}")  # the phone fills up
    asked = page.evaluate("() => window.__storageAsked")
    tap_queued(page, ids[1], "pass")  # an answer takes no room worth asking about
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 1")
    assert page.evaluate("() => window.__storageAsked") == asked
    expect(storage_note(page)).to_be_hidden()

    li = item(page, ids[0])
    li.locator(".photo-upload input.photo-input").set_input_files(str(photo))
    expect(li.locator(".upload-queue li.upload.photo--waiting")).to_have_count(1, timeout=20_000)
    expect(storage_note(page)).to_be_visible()
    expect(storage_note(page)).to_have_text(STORAGE_WARNING)
    assert page.evaluate("() => window.__storageAsked") > asked

    signal_back(page.context, live_server)
    expect_all_saved(page)
    assert len(facts(live_server, data["id"])["photos"]) == 1


# --- 10. a refusal with a witness, without signal -------------------------------------------------------

def test_a_refusal_signed_by_a_witness_without_signal_arrives_once(page: Page, live_server):
    finished = run_script(live_server, FINISHED_SCRIPT, "T26120619")["id"]
    login(page, "inspector")
    wait_for_control(page)
    prepare(page, finished)
    page.goto(f"/signatures/inspection/{finished}")
    form = sign_form(page, "foreman")
    expect(form).to_be_visible()

    no_signal(page.context, live_server)  # in the basement: the foreman refuses, the property manager witnesses
    form.locator("input[name=signer_name]").fill("李工长")
    form.locator("details.refusal > summary").click()
    form.locator("textarea[name=refusal_reason]").fill("不同意扣分")
    form.locator("input[name=witness_name]").fill("王见证")
    form.locator("input[name=witness_relation]").fill("物业管家")
    mouse_stroke(page, form, zigzag(0.5))
    form.locator("button[type=submit]").click()
    expect(form.locator("[data-sig-waiting]")).to_be_visible()
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 1")
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "offline")

    page.reload()  # the phone's copy of the panel: the refusal still waits, its pad closed
    expect(sign_form(page, "foreman").locator("[data-sig-waiting]")).to_be_visible()
    assert outbox_size(page) == 1
    assert facts(live_server, finished, finished)["signatures"] == []

    signal_back(page.context, live_server)
    # Once confirmed, the panel loads again as the server has it: the refusal and its witness.
    expect(page.locator("ul.sig-slots")).to_contain_text("王见证", timeout=30_000)
    expect_all_saved(page)
    found = facts(live_server, finished, finished)
    assert found["signatures"] == [["foreman", "李工长"]]
    assert found["refusals"] == [["foreman", "不同意扣分", "王见证", "物业管家"]]


# --- 11. the connection drops again in the middle of the sync -------------------------------------------

@WITHOUT_WORKER
def test_the_connection_dropping_again_mid_sync_loses_and_doubles_nothing(page: Page, live_server):
    data = make_inspection(live_server, "T26120620", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    ids = check_items(page, 12)
    posts = []
    armed = []  # counting starts when the signal is back

    # The 5th answer reaches the server, then the signal is gone before its answer comes back.
    def drop_on_the_fifth(route):
        if not armed or route.request.method != "POST" or len(posts) >= 5:
            route.continue_()
            return
        posts.append(route.request.url)
        if len(posts) < 5:
            route.continue_()
            return
        route.fetch()
        no_signal(page.context, live_server)
        route.abort("internetdisconnected")

    # Routed before the taps: an answer held up while offline is counted when it goes on.
    page.route(ITEM_POSTS, drop_on_the_fifth)
    no_signal(page.context, live_server)
    for item_id in ids:
        tap_queued(page, item_id, "pass")
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 12")
    armed.append(True)
    signal_back(page.context, live_server)
    expect(page.locator(INDICATOR)).to_have_attribute("data-state", "offline", timeout=30_000)
    wait_until(page, "async () => (await window.PortalOutbox.all()).length === 8", 30)  # 4 confirmed, the 5th not
    assert len(posts) == 5
    found = facts(live_server, inspection_id)
    assert sum(found["changes"].values()) == 5  # the 5th is done on the server, unknown to the phone
    for item_id in ids[:4]:
        expect(item(page, item_id)).not_to_have_class(re.compile(r"item--(pending|retrying)"))
    for item_id in ids[5:]:
        expect(item(page, item_id)).to_have_class(re.compile(r"item--(pending|retrying)"))

    signal_back(page.context, live_server)
    expect_all_saved(page)
    found = facts(live_server, inspection_id)
    for item_id in ids:
        assert found["answers"][str(item_id)][0] == "pass"
        assert found["changes"][f"{item_id}:outcome"] == 1
    assert sum(found["changes"].values()) == 12


@WITHOUT_WORKER
def test_a_photo_upload_cut_off_on_the_way_is_sent_again_and_arrives_once(page: Page, live_server, tmp_path):
    photo = tmp_path / "crack.jpg"
    inspection_id, item_id = failed_item_ready_for_a_photo(page, live_server, "T26120621", photo)
    cut = []

    def cut_off(route):
        if route.request.method == "POST" and not cut:  # the body never reaches the server
            cut.append(route.request.url)
            route.abort("connectionreset")
            return
        route.continue_()

    page.route(PHOTO_POSTS, cut_off)
    li = item(page, item_id)
    li.locator(".photo-upload input.photo-input").set_input_files(str(photo))
    expect(li.locator(".photo-grid li.photo")).to_have_count(1, timeout=30_000)
    expect_all_saved(page)
    assert len(cut) == 1
    found = facts(live_server, inspection_id)
    assert len(found["photos"]) == 1 and found["photos"][0][1] == item_id
    page.reload()
    expect(item(page, item_id).locator(".photo-grid li.photo")).to_have_count(1)


# --- 13. answers left in the earlier outbox (localStorage) by an older release -----------------------

def test_answers_left_in_the_earlier_outbox_are_moved_and_sent_once(page: Page, live_server):
    data = make_inspection(live_server, "T26120625", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    open_checklist(page, inspection_id)
    passed, noted = check_items(page, 2)
    # What the release before the IndexedDB outbox kept on this phone: one entry per item request.
    page.evaluate("""([inspection, passed, noted]) => localStorage.setItem('portal:outbox:' + inspection, JSON.stringify({
        [`/inspections/${inspection}/items/${passed}`]: {params: {outcome: 'pass'}, item: passed, target: `#item-${passed}`},
        [`/inspections/${inspection}/items/${noted}/note`]: {params: {note: '踢脚线缝隙 3 mm'}, item: noted,
                                                            target: `#item-${noted}`},
    }))""", [inspection_id, passed, noted])

    page.reload()  # the new release's page moves them to its outbox and sends them
    expect_all_saved(page)
    assert page.evaluate(f"localStorage.getItem('portal:outbox:{inspection_id}')") is None
    page.reload()
    expect_all_saved(page)  # sent once: nothing is moved again
    found = facts(live_server, inspection_id)
    assert found["answers"][str(passed)][0] == "pass"
    assert found["answers"][str(noted)][2] == "踢脚线缝隙 3 mm"
    assert found["changes"] == {f"{passed}:outcome": 1, f"{noted}:note": 1}
