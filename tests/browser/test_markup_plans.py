"""Photo markup and floor-plan pins on a Pixel 7, found again in the printed notice.

A small script (run with the live server's environment) makes a project of its own
(M26120601, no other browser test uses it) with a floor plan, and a finished round 1 where
two carpet items fail (the category falls below 85 %), the first with a plain sage-green
"before" photo, so the notice exists. Then the demo inspector, on his phone, opens the notice, taps
"Mark up" on the photo and draws a blue circle with his finger (touch events), saves; opens
the checklist, taps "Pin on the floor plan" on the failed item, zooms in with two fingers,
taps the middle of the plan and saves the pin. The notice page shows the numbered pin, and
the notice PDF, rasterised by pdftoppm, shows the blue circle on the photo and the red pin
on the plan, each where it was drawn: the photo and the plan have background colours found
nowhere else on the page, so their printed rectangles are found and the shapes' fractions
give the expected places.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from babel.support import Translations
from PIL import Image, ImageChops
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, no_signal, signal_back
from tests.browser.test_offline import wait_for_control
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

CONTRACT_NO = "M26120601"
BLUE = (30, 136, 229)       # the markup colour chosen
PIN_RED = (213, 0, 0)       # portal.plans.imaging.PIN_RED
PHOTO_GREEN = (110, 150, 110)  # the "before" photo's flat colour (SETUP_SCRIPT)
PLAN_AMBER = (255, 235, 170)   # the plan's background colour (SETUP_SCRIPT)

_CATALOGUE = Translations.load(str(REPO_ROOT / "portal" / "translations"), ["zh_Hans_CN"])


def zh(msgid: str) -> str:
    """A text as the Chinese pages show it."""
    return _CATALOGUE.gettext(msgid)


SETUP_SCRIPT = r"""
import io, json, sys, uuid
from decimal import Decimal
from PIL import Image, ImageDraw
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import (answers_version, create_inspection, finish, load_answers, record_start,
                                         save_answer, save_note)
from portal.photos.services import PhotoTarget, store_photo
from portal.plans.services import store_plan
from portal.projects.models import Project
from portal.rectification.models import RectificationNotice
from portal.storage import FileSystemStorage
from portal.timeutil import local_today

contract_no = sys.argv[1]


def jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def plan_png():
    image = Image.new("RGB", (1200, 900), (255, 235, 170))  # a tint nothing else on the notice has
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, 1160, 860], outline="black", width=12)      # outer walls
    draw.line([(600, 40), (600, 860)], fill="black", width=8)          # a partition
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


app = create_app()
with app.app_context():
    today = local_today()
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(["inspector", "office", "foreman"])))}
    inspector = users["inspector"]
    project = Project(contract_no=contract_no, address="西安市雁塔区标注测试路1号", owner_name="标注业主",
                      owner_phone="13700000016", design_studio="M 测试设计室", designer="测试",
                      contract_amount=Decimal("120000.00"), start_date=today, planned_completion=today,
                      foreman=users["foreman"])
    db.session.add(project)
    db.session.flush()
    storage = FileSystemStorage(app.config["UPLOAD_DIR"])
    plan, _keys = store_plan(project, "一层", plan_png(), users["office"], storage)
    inspection = create_inspection(project, today, inspector, users["office"])
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-KC-001")).all()
    record_start(inspection, inspector, foreman_present=True, project_manager_present=True, others_present="",
                 handbook_present=True, equipment=list(equipment))
    failed = None
    for answer in load_answers(inspection):
        item = answer.item
        if item.code in ("carpets.laid_flat", "carpets.seams_pattern"):  # 1 of 3 carpet items: the round fails
            save_answer(answer, inspector, outcome="fail")
            save_note(answer, inspector, "地毯起鼓 (浏览器测试)")
            if failed is None or item.photo_required_on_fail:
                photo, _created, _keys = store_photo(
                    PhotoTarget(project, inspection_id=inspection.id, item_id=item.id,
                                location=item.display_text[:100]),
                    str(uuid.uuid4()), jpeg(Image.new("RGB", (1600, 1200), (110, 150, 110))), inspector, storage)
                failed = failed or (item.id, photo.uuid)
        elif item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(answer, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(answer, inspector, outcome="pass")
    finish(inspection, inspector, answers_version(inspection))
    db.session.commit()
    notice = db.session.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection.id))
    print(json.dumps({"inspection_id": inspection.id, "item_id": failed[0], "photo_uuid": failed[1],
                      "notice_id": notice.id if notice else None, "plan_id": plan.id,
                      "position": next((i.position for i in notice.items if i.item_id == failed[0]), None)
                      if notice else None}))
"""


@pytest.fixture(scope="module")
def notice(live_server) -> dict:
    """The failed round 1 of CONTRACT_NO with its notice, photo and plan (see SETUP_SCRIPT)."""
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, CONTRACT_NO], cwd=REPO_ROOT, env=live_server.env,
                            capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"setup script exited with {result.returncode}\n{result.stdout}\n{result.stderr}", pytrace=False)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["notice_id"] is None:
        pytest.fail(f"round 1 issued no notice: {data}", pytrace=False)
    return data


def touch_drag(page: Page, points: list[tuple[float, float]]) -> None:
    """One finger down at the first point, moved through the others, lifted (CDP touch events)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def pinch(page: Page, centre: tuple[float, float], start: float, end: float) -> None:
    """Two fingers on either side of ``centre``, ``start`` px apart, spread to ``end`` px apart."""
    cdp = page.context.new_cdp_session(page)

    def fingers(gap):
        return [{"x": centre[0] - gap / 2, "y": centre[1], "id": 0}, {"x": centre[0] + gap / 2, "y": centre[1], "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(start)})
    for step in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(start + (end - start) * step / 10)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def colour_mask(image: Image.Image, colour, tolerance: int) -> Image.Image:
    """A mask ("L"): 255 where ``image`` is within ``tolerance`` of ``colour`` on every channel."""
    bands = [band.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0)
             for band, c in zip(image.split(), colour)]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])


def printed_rects(image: Image.Image, colour, tolerance: int = 20,
                  min_run: int = 60) -> list[tuple[int, int, int, int]]:
    """Where flat-coloured pictures are printed: (left, top, right, bottom) in page pixels, tallest first.

    Rows holding a run of at least ``min_run`` pixels of ``colour`` belong to a picture (stray
    anti-aliased pixels never make such runs); each block of consecutive such rows is one picture.
    """
    mask = colour_mask(image, colour, tolerance)
    data, width = mask.tobytes(), mask.width
    rows: dict[int, tuple[int, int]] = {}
    for y in range(mask.height):
        runs = [m.span() for m in re.finditer(rb"\xff{%d,}" % min_run, data[y * width:(y + 1) * width])]
        if runs:
            rows[y] = (runs[0][0], runs[-1][1])
    assert rows, f"no picture of colour {colour} on the page"
    blocks: list[list[int]] = []
    for y in sorted(rows):
        if blocks and y == blocks[-1][-1] + 1:
            blocks[-1].append(y)
        else:
            blocks.append([y])
    blocks = [block for block in sorted(blocks, key=len, reverse=True) if len(block) >= min_run // 2]
    return [(min(rows[y][0] for y in block), block[0], max(rows[y][1] for y in block), block[-1] + 1)
            for block in blocks]


def at(rect: tuple[int, int, int, int], fx: float, fy: float) -> tuple[float, float]:
    """The page pixel at the fraction (fx, fy) of a printed picture."""
    left, top, right, bottom = rect
    return left + fx * (right - left), top + fy * (bottom - top)


def pixels_near(mask: Image.Image, centre: tuple[float, float], half: float) -> list[tuple[int, int]]:
    """The masked pixels in the square of half-side ``half`` around ``centre``."""
    left, top = int(centre[0] - half), int(centre[1] - half)
    window = mask.crop((left, top, int(centre[0] + half) + 1, int(centre[1] + half) + 1))
    return [(left + i % window.width, top + i // window.width)
            for i, value in enumerate(window.tobytes()) if value]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_inspector_circles_the_defect_pins_it_and_finds_both_in_the_notice_pdf(page: Page, notice, tmp_path):
    login(page, "inspector")

    # The notice, as the inspector reads it on site; "Mark up" on the before photo.
    page.goto(f"/notices/{notice['notice_id']}")
    page.locator(f"#photo-{notice['photo_uuid']} a.photo-markup-link").click()
    stage = page.locator("#markup-stage")
    expect(stage).to_have_attribute("data-ready", "1")
    page.locator("button[data-colour='#1e88e5']").click()
    expect(page.locator("button[data-tool=ellipse]")).to_have_attribute("aria-pressed", "true")
    box = stage.bounding_box()
    # A circle around the middle of the photo: drag the finger from 30 %/30 % to 70 %/70 %.
    start = (box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    end = (box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7)
    touch_drag(page, [start] + [(start[0] + (end[0] - start[0]) * k / 8, start[1] + (end[1] - start[1]) * k / 8)
                                for k in range(1, 9)])
    expect(stage).to_have_attribute("data-shapes", "1")
    page.locator("form.markup-editor button[type=submit]").click()
    expect(page.locator(".markup-status")).to_have_text(zh("Saved (version {n}).").replace("{n}", "1"))
    shapes = json.loads(page.locator("textarea[name=markup]").input_value())["shapes"]
    assert [s["type"] for s in shapes] == ["ellipse"] and shapes[0]["color"] == "#1e88e5"
    assert shapes[0]["x"] == pytest.approx(0.3, abs=0.03) and shapes[0]["w"] == pytest.approx(0.4, abs=0.03)

    # The pin of the failed item, from the checklist: pinch to zoom in on the middle, tap it.
    page.goto(f"/inspections/{notice['inspection_id']}")
    category = page.locator("details.category", has=page.locator(f"#item-{notice['item_id']}"))
    if category.get_attribute("open") is None:
        category.locator("> summary").click()
    page.locator(f"#item-{notice['item_id']} a.item-pin").click()
    plan = page.locator("#plan-stage")
    expect(plan).to_have_attribute("data-ready", "1")
    box = plan.bounding_box()
    middle = (box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    pinch(page, middle, 40, 160)
    assert page.evaluate("() => window.portalPlanPinner.stage.scaleX()") > 2
    page.wait_for_function("() => Date.now() - window.portalPlanPinner.lastTap > 400")  # the fingers lifting is no tap
    page.touchscreen.tap(*middle)
    expect(plan).to_have_attribute("data-pin", re.compile(r"^0\.\d+,0\.\d+$"))
    x, y = (float(v) for v in plan.get_attribute("data-pin").split(","))
    assert x == pytest.approx(0.5, abs=0.01) and y == pytest.approx(0.5, abs=0.01)  # zoomed: finer
    page.locator("form.plan-pinner button[type=submit]").click()
    expect(page.locator(".plan-status")).to_have_text(zh("Pin saved."))
    page.locator("form.plan-pinner a", has_text=zh("Back")).click()
    expect(page.locator(f"#item-{notice['item_id']} a.item-pin")).to_have_text(zh("Pinned on the plan ✓"))

    # The notice page shows the pin numbered like the item; the PDF shows circle and pin.
    page.goto(f"/notices/{notice['notice_id']}")
    expect(page.locator(f"#pinned-plan-{notice['plan_id']} g.plan-pin")).to_have_attribute(
        "data-label", str(notice["position"]))
    response = page.request.get(f"/notices/{notice['notice_id']}/pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    (tmp_path / "notice.pdf").write_bytes(response.body())
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(tmp_path / "notice.pdf"),
                    str(tmp_path / "page")], check=True, timeout=COMMAND_TIMEOUT)
    printed = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    # The circle on the printed photo: on its outline where it was drawn, and not inside it.
    blue, shape = colour_mask(printed, BLUE, 45), shapes[0]
    left, top, right, _bottom = max(printed_rects(printed, PHOTO_GREEN),
                                    key=lambda rect: sum(blue.crop(rect).histogram()[255:]))
    photo = (left, top, right, top + (right - left) * 3 / 4)  # 4:3; the watermark band hides the green bottom
    reach = 0.05 * (photo[2] - photo[0])
    middle_x, middle_y = shape["x"] + shape["w"] / 2, shape["y"] + shape["h"] / 2
    outline = {"left": (shape["x"], middle_y), "right": (shape["x"] + shape["w"], middle_y),
               "top": (middle_x, shape["y"]), "bottom": (middle_x, shape["y"] + shape["h"])}
    for side, (fx, fy) in outline.items():
        assert len(pixels_near(blue, at(photo, fx, fy), reach)) >= 5, f"no blue on the circle's {side} side"
    assert not pixels_near(blue, at(photo, middle_x, middle_y), reach), "blue inside the circle"
    # The pin on the printed plan: a red disc centred where it was tapped (x, y of the pin).
    pieces = printed_rects(printed, PLAN_AMBER)  # the plan only, cut into pieces by its walls
    plan_rect = (min(r[0] for r in pieces), min(r[1] for r in pieces), max(r[2] for r in pieces),
                 max(r[3] for r in pieces))
    assert (plan_rect[3] - plan_rect[1]) / (plan_rect[2] - plan_rect[0]) == pytest.approx(0.75, abs=0.01)  # 1200×900
    expected = at(plan_rect, x, y)
    size = plan_rect[2] - plan_rect[0]
    reds = pixels_near(colour_mask(printed, PIN_RED, 30), expected, 0.04 * size)
    assert len(reds) >= 30, f"no red pin at {expected} on the printed plan {plan_rect}"
    centre = (sum(p[0] for p in reds) / len(reds), sum(p[1] for p in reds) / len(reds))
    assert abs(centre[0] - expected[0]) <= 0.01 * size and abs(centre[1] - expected[1]) <= 0.01 * size, \
        f"the pin is printed at {centre}, not at {expected}"


# --- without signal: the markup and the pin wait in the field outbox --------------------------------

MARKUP_FACTS_SCRIPT = r"""
import json, sys
from sqlalchemy import func, select
from portal import create_app
from portal.extensions import db
from portal.photos.models import Photo, PhotoMarkup
from portal.plans.models import PlanPin

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    photo = db.session.scalar(select(Photo).where(Photo.uuid == args["photo_uuid"]))
    rows = db.session.scalars(select(PhotoMarkup).where(PhotoMarkup.photo_id == photo.id)).all()
    pin = db.session.scalar(select(PlanPin).where(PlanPin.inspection_id == args["inspection_id"],
                                                  PlanPin.item_id == args["item_id"]).order_by(PlanPin.id.desc()))
    print(json.dumps({"client_ids": [r.client_id for r in rows], "versions": [r.version for r in rows],
                      "pin": [pin.x, pin.y] if pin else None}))
"""


def markup_facts(live_server, notice: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", MARKUP_FACTS_SCRIPT, json.dumps(notice)], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"facts script exited with {result.returncode}\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_markup_and_pin_drawn_without_signal_survive_a_reload_and_arrive_once(page: Page, live_server, notice):
    login(page, "inspector")
    wait_for_control(page)
    before = markup_facts(live_server, notice)
    # Opened once with signal: the worker keeps the editor, the pin page and their images.
    editor_url = f"/photos/{notice['photo_uuid']}/markup"
    pin_url = f"/inspections/{notice['inspection_id']}/items/{notice['item_id']}/pin"
    page.goto(pin_url)
    expect(page.locator("#plan-stage")).to_have_attribute("data-ready", "1")
    page.goto(editor_url)
    stage = page.locator("#markup-stage")
    expect(stage).to_have_attribute("data-ready", "1")
    shapes_before = int(stage.get_attribute("data-shapes"))

    no_signal(page.context, live_server)
    page.locator("button[data-tool=rect]").click()
    box = stage.bounding_box()
    start = (box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    touch_drag(page, [start] + [(start[0] + box["width"] * 0.05 * k, start[1] + box["height"] * 0.05 * k)
                                for k in range(1, 7)])
    expect(stage).to_have_attribute("data-shapes", str(shapes_before + 1))
    page.locator("form.markup-editor button[type=submit]").click()
    waiting = zh("Waiting to be saved: kept on this phone, sent when the signal is back.")
    expect(page.locator(".markup-status")).to_have_text(waiting)
    expect(page.locator("#sync-status")).to_have_attribute("data-count", "1")

    # The phone's copy of the editor, with the drawing that waits.
    page.reload()
    expect(stage).to_have_attribute("data-ready", "1")
    expect(stage).to_have_attribute("data-shapes", str(shapes_before + 1))
    expect(page.locator(".markup-status")).to_have_text(waiting)

    # The pin page too: tap the plan, save; it waits behind nothing of the markup's.
    page.goto(pin_url)
    plan = page.locator("#plan-stage")
    expect(plan).to_have_attribute("data-ready", "1")
    box = plan.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)
    expect(plan).to_have_attribute("data-pin", re.compile(r"^0\.2\d*,0\.7\d*$"))
    page.locator("form.plan-pinner button[type=submit]").click()
    expect(page.locator(".plan-status")).to_have_text(waiting)
    expect(page.locator("#sync-status")).to_have_attribute("data-count", "2")
    assert markup_facts(live_server, notice) == before  # nothing reached the server

    signal_back(page.context, live_server)
    expect(page.locator(".plan-status")).to_have_text(zh("Pin saved."), timeout=30_000)
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "saved", timeout=30_000)
    after = markup_facts(live_server, notice)
    assert len(after["client_ids"]) == len(before["client_ids"]) + 1  # the markup arrived once
    assert after["pin"][0] == pytest.approx(0.25, abs=0.01) and after["pin"][1] == pytest.approx(0.75, abs=0.01)
    page.goto(editor_url)
    expect(stage).to_have_attribute("data-shapes", str(shapes_before + 1))  # the server's version now
    expect(page.locator(".markup-status")).to_have_text("")
