"""The weekly schedule on phones: engineering lists a project for next week and submits the list,
the office gives it the demo inspector (王建国) at 10:30 on Thursday without leaving the week page
(htmx swaps the board), and the inspector finds it in "my week" and in his calendar feed.

The project S26112401 is made for this test by a small script (no other browser test uses it;
the live server is shared). Texts are compared with the Chinese catalogue, as the pages show them.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from babel.support import Translations
from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.live import COMMAND_TIMEOUT, REPO_ROOT

CONTRACT_NO = "S26112401"
INSPECTOR_NAME = "王建国"
_CATALOGUE = Translations.load(str(REPO_ROOT / "portal" / "translations"), ["zh_Hans_CN"])

SETUP_SCRIPT = r"""
import json, sys
from datetime import date
from decimal import Decimal
from sqlalchemy import select
from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project
from portal.schedule.rules import next_week_start
from portal.timeutil import local_today

contract_no = sys.argv[1]
app = create_app()
with app.app_context():
    project = db.session.scalar(select(Project).where(Project.contract_no == contract_no))
    if project is None:
        users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(["foreman", "pm"])))}
        project = Project(contract_no=contract_no, address="西安市雁塔区日程测试路1号2单元301室", owner_name="日程业主",
                          owner_phone="13709119999", design_studio="S 测试设计室", designer="测试", status="work_complete",
                          contract_amount=Decimal("88000.00"), start_date=date(2026, 9, 1),
                          planned_completion=date(2026, 11, 20), foreman=users["foreman"], project_manager=users["pm"])
        db.session.add(project)
        db.session.commit()
    print(json.dumps({"project_id": project.id, "week": next_week_start(local_today()).isoformat()}))
"""


def zh(msgid: str, **variables) -> str:
    """A text as the Chinese pages show it (the msgid itself while it has no translation)."""
    text = _CATALOGUE.gettext(msgid)
    return text % variables if variables else text


@pytest.fixture(scope="module")
def listed_project(live_server) -> dict:
    """The project id and next week's Monday, as the live server sees them."""
    result = subprocess.run([sys.executable, "-c", SETUP_SCRIPT, CONTRACT_NO], cwd=REPO_ROOT, env=live_server.env,
                            capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f"setup script exited with {result.returncode}\n{result.stdout}\n{result.stderr}", pytrace=False)
    return json.loads(result.stdout.strip().splitlines()[-1])


def new_phone(browser, browser_context_args):
    """Another person's phone: a fresh context (own cookies) with the same Pixel 7 settings."""
    context = browser.new_context(**browser_context_args)
    return context, context.new_page()


def test_list_schedule_and_see_it_in_my_week_and_calendar(page: Page, listed_project, browser, browser_context_args):
    week = listed_project["week"]
    thursday = (date.fromisoformat(week) + timedelta(days=3)).isoformat()

    # 1. Engineering lists the project for next week and submits the list.
    login(page, "engineering")
    page.wait_for_url("**/schedule/submissions")
    page.select_option("select[name=project_id]", str(listed_project["project_id"]))
    with page.expect_navigation():
        page.locator("form[action$='/schedule/submissions/entries'] button[type=submit]").click()
    expect(page.locator("#weekly-list")).to_contain_text(CONTRACT_NO)
    with page.expect_navigation():
        page.locator("form[action$='/schedule/submissions/submit'] button[type=submit]").click()
    expect(page.locator("#list-state .badge").first).to_have_text(
        re.compile(f"^({re.escape(zh('Submitted'))}|{re.escape(zh('Submitted late'))})$"))

    # 2. The office schedules it on Thursday 10:30 with the demo inspector; the board is swapped in place.
    office_context, office = new_phone(browser, browser_context_args)
    try:
        login(office, "office")
        office.goto(f"/schedule/week?start={week}")
        form = office.locator("form[id^=schedule-entry-]", has_text=CONTRACT_NO)
        expect(form.locator("input[type=date]")).to_have_value(thursday)
        form.locator("select[name$=inspector_id]").select_option(label=INSPECTOR_NAME)
        form.locator("select[name$=scheduled_time]").select_option("10:30")
        form.locator("button[type=submit]").click()
        row = office.locator("#week-board tr", has_text=CONTRACT_NO)
        expect(row).to_contain_text("10:30")
        expect(row).to_contain_text(INSPECTOR_NAME)
        expect(office.locator("#week-board .flash-success")).to_contain_text(CONTRACT_NO)
        assert office.url.endswith(f"/schedule/week?start={week}")  # no page load: htmx swapped the board
        expect(office.locator("form[id^=schedule-entry-]", has_text=CONTRACT_NO)).to_have_count(0)
    finally:
        office_context.close()

    # 3. The inspector sees it in his week and subscribes to his calendar feed.
    inspector_context, inspector = new_phone(browser, browser_context_args)
    try:
        login(inspector, "inspector")
        inspector.goto(f"/schedule/mine?start={week}")
        item = inspector.locator(f"#day-{thursday} ~ ul li", has_text=CONTRACT_NO)
        expect(item).to_contain_text("10:30")
        inspector.goto("/schedule/calendar")
        with inspector.expect_navigation():
            inspector.locator("form[action$='/schedule/calendar'] button[type=submit]").click()
        feed_url = inspector.locator("#feed-url").inner_text().strip()
        path = "/schedule/ics/" + feed_url.split("/schedule/ics/", 1)[1]
        response = inspector.request.get(path)
        assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
        assert CONTRACT_NO in response.text() and "BEGIN:VEVENT" in response.text()
    finally:
        inspector_context.close()
