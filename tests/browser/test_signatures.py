"""Signatures on a phone: the pad (finger and mouse), empty pads, undo/clear, the single-use
signing link for a signer who is not on site, and a rotation that keeps the drawing.

The live server is shared by the whole session. Every test here works on one finished
inspection of the demo project A26101502 (no other browser test uses it), made once by
``FINISH_SCRIPT``; each test signs a different slot (inspector, owner, foreman), so they do
not depend on each other's order.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

CONTRACT_NO = "A26101502"
INSPECTOR_NAME = "王建国"
OWNER_NAME = "周志强"
SLOTS = ("inspector", "foreman", "project_manager", "owner")  # the panel lists them in this order
FINGER_SPEED_MS = 20  # between two touch / mouse moves, about a finger's pace

# A FINISHED inspection of a demo project for the demo inspector: started with a calibrated
# instrument, every measured item at a value within its limit, every check item passed.
FINISH_SCRIPT = r"""
import json, sys
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import (answers_version, create_inspection, finish, load_answers, record_start,
                                         save_answer)
from portal.projects.models import Project
from portal.timeutil import local_today

contract_no = sys.argv[1]
app = create_app()
with app.app_context():
    inspector = db.session.scalar(select(User).where(User.username == "inspector"))
    office = db.session.scalar(select(User).where(User.username == "office"))
    project = db.session.scalar(select(Project).where(Project.contract_no == contract_no))
    inspection = create_inspection(project, local_today(), inspector, office)
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-KC-001")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    for answer in load_answers(inspection):
        item = answer.item
        if item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            assert limit.accepts(value), (item.code, limit)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))
    db.session.commit()
    print(json.dumps({"id": inspection.id, "completed": inspection.is_completed, "passed": inspection.passed,
                      "address": project.address}))
"""


@pytest.fixture(scope="module")
def finished(live_server) -> dict:
    """{id, address} of the finished inspection of CONTRACT_NO."""
    result = subprocess.run([sys.executable, "-c", FINISH_SCRIPT, CONTRACT_NO], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"finish script exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n"
                    f"--- stderr ---\n{result.stderr}", pytrace=False)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["completed"] and data["passed"], data
    return data


# --- page helpers -------------------------------------------------------------------------------

def panel_url(inspection_id: int) -> str:
    return f"/signatures/inspection/{inspection_id}"


def sign_form(page: Page, slot: str):
    """The pad form of one slot."""
    return page.locator(f"form[data-sign-form]:has(input[name=slot][value={slot}])")


def slot_row(page: Page, slot: str):
    """The slot's row in the list of signatures."""
    return page.locator("ul.sig-slots > li").nth(SLOTS.index(slot))


def canvas_points(form, path: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``path`` given as fractions of the canvas box, as viewport coordinates."""
    canvas = form.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in path]


def zigzag(y: float, x0: float = 0.15, x1: float = 0.85, steps: int = 14, amplitude: float = 0.12):
    """A scribbled stroke across the box at height ``y`` (fractions of the box)."""
    return [(x0 + (x1 - x0) * i / steps, y + (amplitude if i % 2 else -amplitude)) for i in range(steps + 1)]


def touch_stroke(page: Page, cdp, form, path) -> None:
    """One finger stroke: touchStart, touchMoves, touchEnd through the DevTools protocol."""
    points = canvas_points(form, path)
    x, y = points[0]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in points[1:]:
        page.wait_for_timeout(FINGER_SPEED_MS)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    page.wait_for_timeout(FINGER_SPEED_MS)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def mouse_stroke(page: Page, form, path) -> None:
    """One stroke with the mouse: down, moves, up."""
    points = canvas_points(form, path)
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.wait_for_timeout(FINGER_SPEED_MS)
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def pad_strokes(form) -> list:
    """signature_pad's toData() of the form's pad (signature.js keeps the pad on [data-sigpad].sigpad)."""
    return form.locator("[data-sigpad]").evaluate("el => el.sigpad.toData()")


def ink_pixels(form) -> int:
    """Non-transparent pixels on the form's canvas."""
    return form.locator("canvas").evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
    }""")


def canvas_geometry(form) -> dict:
    return form.locator("canvas").evaluate("""c => ({
        width: c.width, height: c.height, cssWidth: c.offsetWidth, cssHeight: c.offsetHeight,
        formWidth: c.closest('form').clientWidth, ratio: window.devicePixelRatio,
        touchAction: getComputedStyle(c).touchAction})""")


def record_pointer_types(form) -> None:
    form.locator("canvas").evaluate(
        "c => { window.pointerTypes = [];"
        " c.addEventListener('pointerdown', e => window.pointerTypes.push(e.pointerType)); }")


def stored_png(page: Page, img) -> Image.Image:
    """The signature image as the server serves it."""
    response = page.request.get(img.get_attribute("src"))
    assert response.status == 200 and response.headers["content-type"] == "image/png", response.status
    image = Image.open(io.BytesIO(response.body()))
    image.load()
    return image


def expect_signed(page: Page, slot: str, name: str) -> None:
    """The slot shows the signer, a loaded signature image and the 'matches' badge; its pad is gone."""
    row = slot_row(page, slot)
    expect(row).to_contain_text(name)
    img = row.locator("img.sig-image")
    expect(img).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    expect(row.locator(".badge-ok")).to_be_visible()
    expect(row.locator(".badge-bad")).to_have_count(0)
    expect(sign_form(page, slot)).to_have_count(0)
    image = stored_png(page, img).convert("RGBA")
    assert image.getchannel("A").getbbox() is not None, "the stored signature has no ink"


# --- 1. the inspector signs with his finger ---------------------------------------------------------

def test_inspector_signs_with_finger(page: Page, live_server, finished):
    login(page, "inspector")
    page.goto(panel_url(finished["id"]))
    form = sign_form(page, "inspector")
    expect(form).to_be_visible()
    expect(form.locator("input[name=signer_name]")).to_have_value(INSPECTOR_NAME)  # his own slot

    # The pad fills the form's width, sharp on the 2.625x screen, and does not scroll the page.
    geometry = canvas_geometry(form)
    assert geometry["ratio"] > 2, geometry
    assert geometry["width"] == round(geometry["cssWidth"] * geometry["ratio"]), geometry
    assert geometry["height"] == round(geometry["cssHeight"] * geometry["ratio"]), geometry
    assert geometry["cssHeight"] == 200 and geometry["cssWidth"] >= geometry["formWidth"] * 0.8, geometry
    assert geometry["touchAction"] == "none", geometry

    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    # Empty pad: the form says so and nothing is sent.
    url = page.url
    form.locator("button[type=submit]").click()
    empty_text = form.locator("[data-sigpad]").get_attribute("data-msg-empty")
    assert empty_text and empty_text.strip()
    expect(form.locator(".sigpad-error")).to_have_text(empty_text)
    expect(form.locator(".sigpad-error")).to_be_visible()
    page.wait_for_timeout(300)
    assert posts == [], posts
    assert page.url == url

    # Two strokes with the finger; a third one is undone.
    record_pointer_types(form)
    cdp = page.context.new_cdp_session(page)
    touch_stroke(page, cdp, form, zigzag(0.35))
    expect(form.locator(".sigpad-error")).to_have_text("")  # drawing removes the message
    touch_stroke(page, cdp, form, zigzag(0.65, steps=10))
    touch_stroke(page, cdp, form, [(0.2, 0.9), (0.5, 0.85), (0.8, 0.9)])
    assert page.evaluate("window.pointerTypes") == ["touch"] * 3
    strokes = pad_strokes(form)
    assert len(strokes) == 3 and all(len(s["points"]) >= 2 for s in strokes[:2]), strokes
    form.locator("[data-sig-undo]").click()
    assert len(pad_strokes(form)) == 2
    assert ink_pixels(form) > 0

    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert posts and posts[-1].endswith(f"/signatures/inspection/{finished['id']}/sign"), posts
    assert page.url.endswith(panel_url(finished["id"]))
    expect(page.locator(".flash-success")).to_be_visible()
    expect_signed(page, "inspector", INSPECTOR_NAME)


# --- 2. a single-use link for the owner, who signs with a mouse -----------------------------------------

def test_owner_signs_by_single_use_link(page: Page, live_server, finished, browser, browser_context_args):
    login(page, "inspector")
    page.goto(panel_url(finished["id"]))
    link_form = page.locator("form[action$='/links']")
    link_form.locator("select[name=slot]").select_option("owner")
    link_form.locator("input[name=signer_name]").fill(OWNER_NAME)
    with page.expect_navigation():
        link_form.locator("button[type=submit]").click()
    link = page.locator(".link-url a")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url and url.startswith(f"{live_server.url}/sign/"), url
    expect(page.locator(".link-created")).to_contain_text(OWNER_NAME)
    expect(page.locator(".link-created .qr svg")).to_be_visible()

    # The owner's phone: no account, no session.
    owner = browser.new_context(**browser_context_args)
    try:
        phone = owner.new_page()
        response = phone.goto(url)
        assert response.status == 200
        summary = phone.locator(".record-summary")
        expect(summary).to_contain_text(CONTRACT_NO)
        expect(summary.locator("input, select, textarea, button")).to_have_count(0)  # read-only
        expect(phone.locator("form[data-sign-form]")).to_have_count(1)
        form = sign_form(phone, "owner")
        expect(form).to_contain_text(OWNER_NAME)  # the name is fixed by the link
        expect(form.locator("input[type=text][name=signer_name]")).to_have_count(0)
        expect(form.locator("details.refusal")).to_have_count(0)

        # Empty first: refused in the page, nothing sent.
        posts = []
        phone.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
        form.locator("button[type=submit]").click()
        empty_text = form.locator("[data-sigpad]").get_attribute("data-msg-empty")
        expect(form.locator(".sigpad-error")).to_have_text(empty_text)
        phone.wait_for_timeout(300)
        assert posts == []

        # Clear throws a stroke away; then he signs with the mouse.
        record_pointer_types(form)
        mouse_stroke(phone, form, zigzag(0.5))
        assert len(pad_strokes(form)) == 1
        form.locator("[data-sig-clear]").click()
        assert pad_strokes(form) == [] and ink_pixels(form) == 0
        mouse_stroke(phone, form, zigzag(0.4))
        mouse_stroke(phone, form, [(0.25, 0.75), (0.45, 0.7), (0.65, 0.8), (0.8, 0.7)])
        assert phone.evaluate("window.pointerTypes") == ["mouse"] * 3
        assert len(pad_strokes(form)) == 2

        with phone.expect_navigation() as navigation:
            form.locator("button[type=submit]").click()
        assert navigation.value.status == 200
        assert posts and posts[-1] == url, posts
        expect(phone.locator("main [role=status] h1")).to_contain_text(OWNER_NAME)
        expect(phone.locator("main")).not_to_contain_text(CONTRACT_NO)

        # The link is dead now: 410, the reason, and nothing of the record.
        response = phone.goto(url)
        assert response.status == 410
        expect(phone.locator(".error-box")).to_be_visible()
        body = phone.content()
        assert CONTRACT_NO not in body and finished["address"] not in body
        expect(phone.locator("canvas, form[data-sign-form]")).to_have_count(0)
    finally:
        owner.close()

    # The inspector sees the owner's signature, and the link used.
    page.goto(panel_url(finished["id"]))
    expect_signed(page, "owner", OWNER_NAME)


# --- 3. rotating the phone keeps the drawing ----------------------------------------------------------

def test_rotation_keeps_the_drawing(page: Page, live_server, finished):
    login(page, "inspector")
    page.goto(panel_url(finished["id"]))
    form = sign_form(page, "foreman")  # collected on the inspector's phone
    other = sign_form(page, "project_manager")
    expect(form).to_be_visible()
    form.locator("input[name=signer_name]").fill("李师傅")

    cdp = page.context.new_cdp_session(page)
    touch_stroke(page, cdp, form, zigzag(0.4, x1=0.9))
    touch_stroke(page, cdp, form, zigzag(0.7, x0=0.1, x1=0.6, steps=8))
    before = pad_strokes(form)
    portrait = canvas_geometry(form)
    assert len(before) == 2 and ink_pixels(form) > 0
    assert pad_strokes(other) == [] and ink_pixels(other) == 0  # pads are independent

    # Rotate to landscape: the canvas gets wider (and its backing store with it), the drawing stays.
    upright = page.viewport_size
    page.set_viewport_size({"width": upright["height"], "height": upright["width"]})
    canvas = form.locator("canvas").element_handle()
    page.wait_for_function(
        "([c, w]) => c.offsetWidth > w && c.width === Math.round(c.offsetWidth * devicePixelRatio)",
        arg=[canvas, portrait["cssWidth"]])
    landscape = canvas_geometry(form)
    assert landscape["width"] > portrait["width"], (portrait, landscape)
    assert pad_strokes(form) == before
    assert ink_pixels(form) > 0, "the drawing was lost on rotation"
    assert ink_pixels(other) == 0

    # And back again; the signature is still there and is accepted.
    page.set_viewport_size(upright)
    page.wait_for_function("([c, w]) => c.offsetWidth === w && c.width === Math.round(w * devicePixelRatio)",
                           arg=[canvas, portrait["cssWidth"]])
    assert ink_pixels(form) > 0
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect_signed(page, "foreman", "李师傅")
    expect(slot_row(page, "foreman")).to_contain_text(INSPECTOR_NAME)  # collected by him
