"""Phone layout at 360 px: no sideways scrolling, tap targets at least 44 px high; htmx search."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROLE_HOMES, login

WIDTH, HEIGHT = 360, 740
MIN_TAP = 44

# A Pixel 7 (from browser_context_args) narrowed to a 360 px wide screen.
pytestmark = pytest.mark.browser_context_args(viewport={"width": WIDTH, "height": HEIGHT},
                                              screen={"width": WIDTH, "height": HEIGHT})

# The interactive elements of the given containers that are lower than the minimum.
# Skipped: zero-size or hidden elements (also those in a closed <details>), and links in
# running text (an inline link that is only part of its paragraph's or cell's text, e.g. a
# phone number after a name).
SMALL_TARGETS_JS = """
([minTap, containers]) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  const classes = el => typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const out = [];
  for (const el of document.querySelectorAll(
      selector.split(', ').flatMap(s => containers.map(c => c + ' ' + s)).join(', '))) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || !el.checkVisibility({visibilityProperty: true})) continue;
    if (el.tagName === 'A' && style.display === 'inline') {
      const block = el.parentElement.closest('p, dd, td, li');
      if (block && block.textContent.trim() !== el.textContent.trim()) continue;
    }
    if (box.height >= minTap) continue;
    // A check box or radio button inside a label: the whole label is what the finger taps.
    const label = (el.type === 'checkbox' || el.type === 'radio') ? el.closest('label') : null;
    if (label && label.getBoundingClientRect().height >= minTap) continue;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el)
      + (el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '')
      + (el.getAttribute('type') ? `[type=${el.getAttribute('type')}]` : '');
    out.push(`${name} "${text.slice(0, 40)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return out;
}
"""

# Horizontal overflow. With a mobile viewport Chromium zooms a too-wide page out, which
# makes window.innerWidth grow with the content; so the width is also checked against the
# device width, and the elements sticking out past it are named.
OVERFLOW_JS = """
(width) => {
  const classes = el => typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5) && el.checkVisibility()
        && !el.closest('.skip-link, .visually-hidden')) {
      wide.push(`${el.tagName.toLowerCase()}${classes(el)} left=${Math.round(box.left)} right=${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 10)};
}
"""


def check_page(page: Page, label: str, *, overflow: bool = True, containers=("header", "main")) -> list[str]:
    """The layout problems of the current page (empty when fine)."""
    problems = []
    problems += [f"{label}: tap target < {MIN_TAP}px: {small}"
                 for small in page.evaluate(SMALL_TARGETS_JS, [MIN_TAP, list(containers)])]
    if not overflow:
        return problems
    metrics = page.evaluate(OVERFLOW_JS, WIDTH)
    if metrics["scrollWidth"] > min(metrics["innerWidth"], WIDTH) or metrics["innerWidth"] != WIDTH:
        problems.append(f"{label}: horizontal scroll: scrollWidth {metrics['scrollWidth']}, innerWidth "
                        f"{metrics['innerWidth']}, screen {WIDTH}; too wide: {', '.join(metrics['wide']) or '?'}")
    return problems


def check_menu(page: Page, label: str) -> list[str]:
    """Open the menu and check the header (its panel) and the page width; close it again."""
    summary = page.locator("details.menu > summary")
    summary.click()
    expect(page.locator("details.menu nav")).to_be_visible()
    problems = check_page(page, f"{label} (menu open)", containers=("header",))
    summary.click()
    expect(page.locator("details.menu nav")).to_be_hidden()
    return problems


def _assert_no_problems(problems: list[str]) -> None:
    assert not problems, f"layout problems at {WIDTH}px:\n" + "\n".join(problems)


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_login_page_layout(page: Page):
    page.goto("/login")
    problems = check_page(page, "/login")

    # with the error message shown too
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "x")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("main .error")).to_be_visible()
    problems += check_page(page, "/login (error)")

    _assert_no_problems(problems)


@pytest.mark.parametrize("username", list(ROLE_HOMES))
def test_home_and_project_list_layout(page: Page, username):
    login(page, username)
    home = ROLE_HOMES[username][0]
    assert _path(page) == home

    problems = check_page(page, f"{username} {home}") + check_menu(page, f"{username} {home}")
    response = page.goto("/projects/")
    assert response is not None and response.status == 200, f"/projects/: HTTP {response and response.status}"
    problems += check_page(page, f"{username} /projects/")

    _assert_no_problems(problems)


@pytest.mark.parametrize("username", list(ROLE_HOMES))
def test_project_detail_fits_the_screen(page: Page, username):
    login(page, username)
    response = page.goto("/projects/1")
    assert response is not None and response.status == 200, f"/projects/1: HTTP {response and response.status}"
    expect(page.locator("h1")).to_have_text("A26101201")

    label = f"{username} /projects/1"
    problems = check_page(page, label, containers=("header",)) + check_menu(page, label)

    _assert_no_problems(problems)


@pytest.mark.parametrize("username", ["office", "foreman"])
def test_project_detail_tap_targets(page: Page, username):
    login(page, username)
    page.goto("/projects/1")
    expect(page.locator("h1")).to_have_text("A26101201")

    _assert_no_problems(check_page(page, f"{username} /projects/1", overflow=False, containers=("main",)))


def test_project_active_search(page: Page):
    login(page, "office")
    page.goto("/projects/")
    results = page.locator("#project-results .list-item")
    expect(results.first).to_be_visible()
    # The whole list (newest first; other tests add projects) holds projects the search will drop.
    assert any("A261" not in text for text in results.all_inner_texts())
    page.evaluate("window.__noReload = 'still here'")

    page.locator("#q").press_sequentially("A261", delay=50)

    page.wait_for_url(re.compile(r"/projects/\?q=A261$"))
    expect(results.first).to_contain_text("A261")
    for text in results.all_inner_texts():
        assert "A261" in text, text
    assert page.evaluate("window.__noReload") == "still here", "the search reloaded the page"
    expect(page.locator("#q")).to_have_value("A261")
