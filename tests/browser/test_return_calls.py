"""Office's quarterly return calls on a phone (Pixel 7): from the after-sales page to this quarter's
list, the owner tapped to call, the call recorded on his row.

The demo hands over a project whose warranty reached a new quarter long ago and tried its owner
once this quarter (not reached): he is on the list.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import login
from tests.browser.test_layout import check_page


def test_office_records_a_return_call_on_the_phone(page: Page):
    login(page, "office")
    page.goto("/repairs/")
    page.get_by_role("link", name="保修期回访").click()
    expect(page.locator("h1")).to_contain_text("保修期回访")
    assert check_page(page, "return calls", overflow=False) == []  # tap targets
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    row = page.locator("#return-calls li.list-item").filter(has_not=page.locator(".badge-ok")).first
    expect(row.locator("a[href^='tel:']")).to_be_visible()
    expect(row).to_contain_text("无人接听")  # the demo's attempt earlier this quarter
    row_id = row.get_attribute("id")

    row.locator("details.call-form > summary").click()
    row.get_by_text("已接通，满意").click()
    row.locator("textarea").fill("卫生间无渗漏，门窗正常，业主满意。")
    with page.expect_navigation():
        row.get_by_role("button", name="保存回访").click()

    expect(page.locator("#flash")).to_contain_text("已记录对")
    done = page.locator(f"#{row_id}")
    expect(done.locator(".badge-ok")).to_have_text("本季度已回访")
    expect(done).to_contain_text("卫生间无渗漏，门窗正常，业主满意。")
    expect(done.locator("form")).to_have_count(0)
    expect(page.locator("#return-call-counts")).to_contain_text(re.compile(r"已回访 [1-9]\d* / "))
