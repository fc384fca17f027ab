"""Logging in as each demo role in a real browser, and the remembered language switch."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROLE_HOMES, login, logout


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


@pytest.mark.parametrize("username", list(ROLE_HOMES))
def test_each_role_lands_on_its_home_page(page: Page, live_server, username):
    path, heading_zh, _heading_en = ROLE_HOMES[username]

    login(page, username)

    assert _path(page) == path
    expect(page.locator("h1")).to_have_text(heading_zh)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("details.menu > summary")).to_be_visible()


def test_login_page_is_chinese_by_default(page: Page):
    page.goto("/login")

    expect(page.locator("h1")).to_have_text("登录")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_wrong_password_shows_error_and_stays_on_login(page: Page):
    login(page, "inspector", "wrong-password")

    assert _path(page).startswith("/login")
    expect(page.locator("main .error")).to_have_text("用户名或密码错误。")
    expect(page.locator("h1")).to_have_text("登录")
    expect(page.locator("input[name=username]")).to_have_value("inspector")
    expect(page.locator("input[name=password]")).to_have_value("")


def test_language_switch_on_login_page_without_account(page: Page):
    page.goto("/login")

    with page.expect_navigation():
        page.locator("footer button[name=language][value=en]").click()

    assert _path(page).startswith("/login")
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_english_is_remembered_per_user(page: Page):
    """finance switches to English; after logging out and in again he still gets English."""
    path, heading_zh, heading_en = ROLE_HOMES["finance"]
    login(page, "finance")
    expect(page.locator("h1")).to_have_text(heading_zh)
    try:
        page.locator("footer button[name=language][value=en]").click()
        # The POST answers with a redirect back home: wait for the page it lands on, not the first commit.
        page.wait_for_url(re.compile(rf"^[^?#]*{re.escape(path)}$"))
        assert _path(page) == path
        expect(page.locator("h1")).to_have_text(heading_en)
        expect(page.locator("html")).to_have_attribute("lang", "en")

        logout(page)
        expect(page.locator("h1")).to_have_text("登录")  # the session is gone, the default is back

        login(page, "finance")
        assert _path(page) == path
        expect(page.locator("h1")).to_have_text(heading_en)
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        # The live server is shared by the session: give finance his Chinese back.
        page.goto(path)
        if _path(page) != path:
            login(page, "finance")
        with page.expect_navigation():
            page.locator("footer button[name=language][value=zh_CN]").click()
    expect(page.locator("h1")).to_have_text(heading_zh)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
