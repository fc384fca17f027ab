"""The office dashboard in a real browser: at 1280 px (desktop) and at 360 px (phone) the page
fits the screen (no sideways scrolling), the SVG charts are visible and the tables hold the
numbers; the period filter answers in place (htmx) and shows a bad period as a form error;
office confirms last month's excellent site and its foreman finds it under "My awards".

History is added first by a small script run with the live server's environment: five new
projects of the new studio "D 看板测试设计室", each with its own foreman and project manager
and one new inspector (so no other browser test sees them), inspected on the demo checklist
with the 2 m straightedge JC-KC-001. Carpets and soft wall panels are N/A; failing items get a
note and a "before" photo. Relative to the first day of last month (LM) and today:

    D1  passes the first time, LM + 4 days (100 %)                 → last month's award
    D2  fails wallpaper seams LM + 1, passes LM + 9                 (round 2)
    D3  fails painting LM − 25 and LM − 15, passes LM + 12          (round 3)
    D4  fails wallpaper seams and painting two days ago: its notice is open, deadline passed
    D5  passes today with the wiring drawing missing (one failed item, still excellent)

So last month 3 projects passed → award_count(3) = 1 site: D1 (best score, round 1).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from portal.params import latest_report_day
from tests.browser.conftest import DEMO_PASSWORD, login
from tests.live import COMMAND_TIMEOUT, REPO_ROOT
from tests.browser.test_layout import check_page

# The last day a period filter accepts (all of the seeded history lies before it).
LAST_DAY = latest_report_day().isoformat()

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
STUDIO = "D 看板测试设计室"
AWARD_FOREMAN = "dash_foreman1"

SETUP_SCRIPT = r"""
import io, json, sys, uuid
from datetime import datetime, time, timedelta, timezone
from PIL import Image
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import create_user
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.services import (answers_version, create_inspection, finish, load_answers, record_start,
                                         save_answer, save_note)
from portal.penalties.models import Penalty
from portal.photos.services import PhotoTarget, store_photo
from portal.projects.models import Project, ProjectStatus
from portal.rectification.models import RectificationNotice
from portal.rectification.services import schedule_reinspection
from portal.storage import FileSystemStorage
from portal.timeutil import COMPANY_TZ, local_today

studio, password = sys.argv[1], sys.argv[2]
NOT_APPLICABLE = ("carpets.", "soft_panels.")
WALLPAPER, PAINTING, DRAWING = "wallpaper.seams_invisible", "painting.no_defects", "electrical.wiring_drawing"


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 170, 150)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def utc(day, hour=10):
    return datetime.combine(day, time(hour), COMPANY_TZ).astimezone(timezone.utc).replace(tzinfo=None)


def answer(inspection, inspector, failing, storage):
    for row in load_answers(inspection):
        item = row.item
        if row.carried_from_id is not None:
            continue
        if item.code.startswith(NOT_APPLICABLE):
            save_answer(row, inspector, outcome="na")
        elif item.code in failing:
            save_answer(row, inspector, outcome="fail")
            save_note(row, inspector, "看板测试：需整改")
            if item.photo_required_on_fail:
                store_photo(PhotoTarget(inspection.project, inspection_id=inspection.id, item_id=item.id,
                                        location=item.display_text[:100]), str(uuid.uuid4()), jpeg(), inspector,
                            storage)
        elif item.is_measured:
            limit = item.limit
            value = next(v for v in (limit.nominal, limit.minimum, limit.maximum) if v is not None)
            save_answer(row, inspector, raw_value=format(value.normalize(), "f"))
        else:
            save_answer(row, inspector, outcome="pass")


def backdate(inspection, day):
    inspection.scheduled_date = day
    inspection.finished_at = utc(day)
    for penalty in db.session.scalars(select(Penalty).where(Penalty.inspection_id == inspection.id)):
        penalty.created_at = utc(day)
    for notice in db.session.scalars(select(RectificationNotice).where(
            RectificationNotice.inspection_id == inspection.id)):
        notice.created_at = utc(day)


app = create_app()
with app.app_context():
    today = local_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    office = db.session.scalar(select(User).where(User.username == "office"))
    equipment = db.session.scalars(select(Equipment).where(Equipment.serial_no == "JC-KC-001")).all()
    storage = FileSystemStorage(app.config["UPLOAD_DIR"])
    inspector = create_user("dash_inspector", "看板检查员", password, {Role.INSPECTOR}, None)
    plans = [
        [((), last_month + timedelta(days=4))],
        [((WALLPAPER,), last_month + timedelta(days=1)), ((), last_month + timedelta(days=9))],
        [((PAINTING,), last_month - timedelta(days=25)), ((PAINTING,), last_month - timedelta(days=15)),
         ((), last_month + timedelta(days=12))],
        [((WALLPAPER, PAINTING), today - timedelta(days=2))],
        [((DRAWING,), today)],
    ]
    result = {"projects": []}
    for n, plan in enumerate(plans, start=1):
        foreman = create_user(f"dash_foreman{n}", f"看板工长{n}", password, {Role.FOREMAN}, None)
        manager = create_user(f"dash_pm{n}", f"看板经理{n}", password, {Role.PROJECT_MANAGER}, None)
        project = Project(contract_no=f"D2601{n:02d}01", address=f"西安市看板测试路{n}号", owner_name=f"看板业主{n}",
                          owner_phone="13800000000", design_studio=studio, designer="看板设计师",
                          contract_amount=100000, start_date=last_month - timedelta(days=90),
                          planned_completion=last_month, status=ProjectStatus.WORK_COMPLETE.value,
                          foreman=foreman, project_manager=manager)
        db.session.add(project)
        db.session.flush()
        inspection = create_inspection(project, plan[0][1], inspector, office)
        for round_no, (failing, day) in enumerate(plan, start=1):
            if round_no > 1:
                notice = db.session.scalar(select(RectificationNotice).where(
                    RectificationNotice.inspection_id == inspection.id))
                inspection = schedule_reinspection(notice, today, inspector, office)
            record_start(inspection, inspector, foreman_present=True, project_manager_present=True,
                         others_present="", handbook_present=True, equipment=list(equipment))
            answer(inspection, inspector, set(failing), storage)
            finish(inspection, inspector, answers_version(inspection))
            backdate(inspection, day)
        notice = db.session.scalar(select(RectificationNotice).where(
            RectificationNotice.inspection_id == inspection.id))
        if notice is not None:
            notice.deadline = today - timedelta(days=1)  # D4: overdue
        result["projects"].append({"contract_no": project.contract_no, "passed": inspection.passed,
                                   "round": inspection.round, "grade": inspection.grade})
    db.session.commit()
    result["last_month"] = last_month.strftime("%Y-%m")
    print(json.dumps(result))
"""

# What an element sticking out of the screen or a scrolled document looks like.
FITS_JS = """
() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})
"""


@pytest.fixture(scope="module")
def history(live_server) -> dict:
    """The five projects of the module docstring (see SETUP_SCRIPT)."""
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, STUDIO, DEMO_PASSWORD], cwd=REPO_ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"setup script exited with {result.returncode}\n--- stdout ---\n{result.stdout}\n"
                    f"--- stderr ---\n{result.stderr}", pytrace=False)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    outcomes = [(p["passed"], p["round"]) for p in data["projects"]]
    if outcomes != [(True, 1), (True, 2), (True, 3), (False, 1), (True, 1)]:
        pytest.fail(f"unexpected history: {data}", pytrace=False)
    return data


def open_dashboard(page: Page, query: str = "") -> None:
    login(page, "office")
    response = page.goto(f"/dashboard/{query}")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("工作台")


def expect_charts_visible(page: Page, min_width: float) -> None:
    """The three charts are drawn, at least ``min_width`` px wide, with their text labels."""
    for chart in ("chart-trend", "chart-grades", "chart-items"):
        svg = page.locator(f"svg#{chart}")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] >= min_width and box["height"] > 40, (chart, box)
        assert svg.locator("text").count() >= 3, chart
    expect(page.locator("svg#chart-items text.chart-label").first).to_be_visible()


def expect_fits(page: Page, width: int) -> None:
    metrics = page.evaluate(FITS_JS)
    assert metrics["scrollWidth"] <= width and metrics["innerWidth"] == width, metrics


@pytest.mark.browser_context_args(viewport=DESKTOP, screen=DESKTOP, is_mobile=False, has_touch=False,
                                  device_scale_factor=1)
def test_dashboard_at_desktop_width(page: Page, history):
    open_dashboard(page, f"?period=custom&start=2000-01-01&end={LAST_DAY}&studio={STUDIO}")

    expect_charts_visible(page, min_width=400)
    expect_fits(page, DESKTOP["width"])
    foremen = page.locator("#table-foremen tbody")
    for n in range(1, 6):
        expect(foremen).to_contain_text(f"看板工长{n}")
    first_item = page.locator("#table-items tbody tr").first
    expect(first_item.locator("th")).to_contain_text("涂层无脱皮")  # painting: failed 3 times (D3 twice, D4)
    expect(first_item.locator("td").nth(1)).to_have_text("3")
    expect(page.locator(".stat-alert dd")).to_have_text("1")  # D4's overdue notice


@pytest.mark.browser_context_args(viewport=PHONE, screen=PHONE)
def test_dashboard_on_a_360px_phone(page: Page, history):
    open_dashboard(page)

    problems = check_page(page, "/dashboard/")
    assert not problems, "\n".join(problems)
    expect_charts_visible(page, min_width=300)
    expect_fits(page, PHONE["width"])
    # each number of a table row keeps its column name on a phone
    cell = page.locator("#table-quality tbody td").first
    assert page.evaluate("el => getComputedStyle(el, '::before').content", cell.element_handle()) != "none"


@pytest.mark.browser_context_args(viewport=PHONE, screen=PHONE)
def test_period_filter_answers_in_place_and_refuses_a_reversed_period(page: Page, history):
    open_dashboard(page)
    page.evaluate("window.__noReload = 'still here'")

    page.locator("details.dash-filters > summary").click()
    page.select_option("#period", "custom")
    page.fill("#start", "2026-11-10")
    page.fill("#end", "2026-11-01")
    page.locator("#dashboard-body form button[type=submit]").click()

    expect(page.locator("#end-error")).to_be_visible()
    expect(page.locator("svg#chart-trend")).to_have_count(0)
    page.wait_for_url(re.compile(r"/dashboard/\?period=custom&start=2026-11-10&end=2026-11-01"))
    assert page.evaluate("window.__noReload") == "still here", "the filter reloaded the page"
    assert not check_page(page, "/dashboard/ (error)")

    page.fill("#start", "2000-01-01")
    page.fill("#end", LAST_DAY)
    page.select_option("#studio", STUDIO)
    page.locator("#dashboard-body form button[type=submit]").click()
    expect(page.locator("#table-foremen")).to_contain_text("看板工长1")
    expect(page.locator("svg#chart-trend")).to_be_visible()
    expect(page.locator("details.dash-filters > summary")).to_contain_text(f"2000-01-01 – {LAST_DAY} · {STUDIO}")
    expect(page.locator("details.dash-filters")).not_to_have_attribute("open", "")


@pytest.mark.browser_context_args(viewport=PHONE, screen=PHONE)
def test_office_confirms_the_award_and_the_foreman_sees_it(page: Page, history, browser, browser_context_args):
    login(page, "office")
    page.goto(f"/dashboard/awards?month={history['last_month']}")
    chosen = page.locator("tr.award-chosen")
    expect(chosen).to_have_count(1)
    expect(chosen).to_contain_text("D26010101")
    assert not check_page(page, "/dashboard/awards")
    with page.expect_navigation():
        page.locator("form[method=post][action$='/dashboard/awards'] button[type=submit]").click()
    expect(page.locator("#flash .flash-success")).to_be_visible()
    expect(page.locator("ol.award-list")).to_contain_text("D26010101")

    context = browser.new_context(**browser_context_args)
    try:
        foreman = context.new_page()
        login(foreman, AWARD_FOREMAN)
        foreman.locator("details.menu > summary").click()
        with foreman.expect_navigation():
            foreman.locator("details.menu a[href$='/dashboard/awards/mine']").click()
        expect(foreman.locator("main .list-item")).to_contain_text("D26010101")
    finally:
        context.close()


@pytest.mark.browser_context_args(viewport=PHONE, screen=PHONE)
@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_reports_fit_a_phone(page: Page, history, kind):
    login(page, "office")
    response = page.goto(f"/dashboard/reports/{kind}")
    assert response is not None and response.status == 200
    expect(page.locator("svg#chart-trend")).to_be_visible()
    assert not check_page(page, f"/dashboard/reports/{kind}")
