"""The app shell in a real phone browser: the service worker installs and controls the pages,
static files come from its precache, the inspector's day pages open without a connection, any
other page shows the offline page, logging out forgets the kept pages, and a new version waits
while answers are still in the outbox.

Each test works on an inspection of its own project (T261124 5x) and in a fresh browser context,
so each installs the worker anew.
"""
from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import login, logout, no_signal, signal_back
from tests.browser.test_inspection import ITEM_POSTS, has_class, item, make_inspection, open_checklist

PAGES_CACHE = "portal-pages"
OFFLINE_HEADING = "无网络连接"

WORKER_VERSION_JS = """
() => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data.version);
  navigator.serviceWorker.controller.postMessage({type: 'VERSION'}, [channel.port2]);
})
"""

KEPT_PAGES_JS = f"""
async () => {{
  if (!(await caches.has('{PAGES_CACHE}'))) return [];
  const cache = await caches.open('{PAGES_CACHE}');
  return (await cache.keys()).map((r) => new URL(r.url).pathname);
}}
"""


CONTROLLER_URL_JS = "() => navigator.serviceWorker.controller.scriptURL"
HAS_WAITING_WORKER_JS = "async () => !!(await navigator.serviceWorker.getRegistration()).waiting"


def served_worker_version(page: Page, url: str) -> str:
    """The version written in the worker script the server gives for ``url``."""
    script = page.request.get(url).text()
    return json.loads(re.search(r"self\.PORTAL_WORKER = (\{.*?\});\n", script, re.S).group(1))["version"]


def wait_until(page: Page, function_js: str, timeout: float = 20.0) -> None:
    """Until the (async) function is true (page.wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(function_js):
        assert time.monotonic() < deadline, f"still false after {timeout:.0f} s: {function_js}"
        page.wait_for_timeout(100)


REGISTRATION_JS = """async () => { const r = await navigator.serviceWorker.getRegistration();
  const state = (w) => w && w.state;
  return r ? {active: state(r.active), waiting: state(r.waiting), installing: state(r.installing),
              controller: state(navigator.serviceWorker.controller)} : null; }"""


def wait_for_control(page: Page) -> None:
    """Until the service worker is active and controls the page.

    A page whose navigation began while the worker was still installing (the login form sent
    during the install) may stay uncontrolled although the worker claims its clients: the next
    page is controlled, so the page is loaded again then.
    """
    try:
        wait_until(page, "async () => !!(await navigator.serviceWorker.getRegistration() || {}).active "
                         "&& (await navigator.serviceWorker.ready).active.state === 'activated'")
        if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
            page.reload()
        wait_until(page, "() => navigator.serviceWorker.controller !== null && "
                         "navigator.serviceWorker.controller.state === 'activated'")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; registration: {page.evaluate(REGISTRATION_JS)}") from None


def kept_pages(page: Page) -> list[str]:
    return page.evaluate(KEPT_PAGES_JS)


def test_worker_controls_the_pages_and_serves_static_files_from_its_precache(page: Page, live_server):
    started = time.monotonic()
    page.goto("/login")  # the worker installs on any page, the login page included
    wait_for_control(page)
    install_seconds = time.monotonic() - started
    login(page, "inspector")
    precached = page.evaluate("""async () => {
      const names = (await caches.keys()).filter((n) => n.includes('precache'));
      const cache = await caches.open(names[0]);
      return (await cache.keys()).map((r) => r.url.slice(location.origin.length));
    }""")
    assert "/offline" in " ".join(precached), precached
    # Every static file the page links is in the precache, by the same versioned URL.
    linked = page.evaluate("""() => [...document.querySelectorAll('link[rel=stylesheet], script[src]')]
                                 .map((e) => (e.href || e.src).slice(location.origin.length))""")
    assert linked and set(linked) <= set(precached), (linked, precached)

    static_responses = []
    page.on("response", lambda r: static_responses.append(r) if "/static/" in r.url else None)
    page.reload()
    expect(page.locator("h1")).to_have_text("今日预验收")
    page.wait_for_load_state("networkidle")
    assert static_responses and all(r.from_service_worker for r in static_responses), \
        [(r.url, r.from_service_worker) for r in static_responses]
    print(f"\n[offline] first page loaded and the worker installed and in control in {install_seconds:.2f} s")


def test_a_page_kept_from_an_earlier_release_gets_its_files_offline(page: Page, live_server):
    """After an update the kept pages still name the files' older versions (``?v=``), which the new
    precache does not hold under that name: without a connection they get the current files."""
    login(page, "inspector")
    wait_for_control(page)
    current = page.evaluate("""async () => {
      const link = [...document.querySelectorAll('script[src]')].map((e) => e.src).find((u) => u.includes('/static/js/'));
      return { url: link, text: await (await fetch(link)).text() };
    }""")
    plain = current["url"].split("?")[0]
    no_signal(page.context, live_server)
    try:
        answers = page.evaluate("""async (plain) => Promise.all(['0123456789', ''].map(async (v) => {
          const response = await fetch(v ? plain + '?v=' + v : plain);
          return { status: response.status, text: await response.text() };
        }))""", plain)
    finally:
        signal_back(page.context, live_server)
    assert [answer["status"] for answer in answers] == [200, 200]
    assert all(answer["text"] == current["text"] for answer in answers)


def test_kept_checklist_opens_offline_and_other_pages_show_the_offline_page(page: Page, live_server):
    data = make_inspection(live_server, "T26112451", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    wait_for_control(page)
    open_checklist(page, inspection_id)
    assert f"/inspections/{inspection_id}" in kept_pages(page)
    checklist_text = page.locator("#checklist").inner_text()

    no_signal(page.context, live_server)
    try:
        page.reload()
        expect(page.locator("#checklist")).to_be_visible()
        assert page.locator("#checklist").inner_text() == checklist_text

        page.goto(f"/inspections/{inspection_id}/history")  # never visited
        expect(page.locator("h1")).to_have_text(OFFLINE_HEADING)
        # The offline page offers the pages kept on the phone.
        kept = page.locator("[data-kept-pages] a")
        expect(kept.first).to_be_visible()
        expect(page.locator(f"[data-kept-pages] a[href$='/inspections/{inspection_id}']")).to_have_count(1)
        page.locator(f"[data-kept-pages] a[href$='/inspections/{inspection_id}']").click()
        expect(page.locator("#checklist")).to_be_visible()
    finally:
        signal_back(page.context, live_server)


def test_logging_out_forgets_the_kept_pages_and_warns_about_unsent_answers(page: Page, live_server):
    data = make_inspection(live_server, "T26112452", own_project=True)
    inspection_id, first = data["id"], data["items"]["structure.load_bearing"]
    login(page, "inspector")
    wait_for_control(page)
    open_checklist(page, inspection_id)
    assert f"/inspections/{inspection_id}" in kept_pages(page)

    # An answer that cannot be sent: logging out asks first; "cancel" stays logged in.
    page.route(ITEM_POSTS, lambda route: route.abort())
    item(page, first).locator("button[value=fail]").click()
    expect(item(page, first)).to_have_class(has_class("item--retrying"))
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.locator("details.menu > summary").click()
    page.locator("details.menu form[action$='/logout'] button").click()
    expect(page.locator("#checklist")).to_be_visible()
    assert len(dialogs) == 1 and "1" in dialogs[0] and "尚未发送" in dialogs[0], dialogs
    assert f"/inspections/{inspection_id}" in kept_pages(page)
    page.locator("details.menu > summary").click()  # close the menu again

    logout(page)  # accepted this time
    assert len(dialogs) == 2
    expect(page.locator("input[name=username]")).to_be_visible()
    assert kept_pages(page) == []

    # Without a connection, the checklist is no longer on the phone.
    no_signal(page.context, live_server)
    try:
        page.goto(f"/inspections/{inspection_id}")
        expect(page.locator("h1")).to_have_text(OFFLINE_HEADING)
        expect(page.locator("#checklist")).to_have_count(0)
    finally:
        signal_back(page.context, live_server)


def test_a_new_version_waits_for_the_outbox_to_empty(page: Page, live_server):
    data = make_inspection(live_server, "T26112453", own_project=True)
    inspection_id, first = data["id"], data["items"]["structure.load_bearing"]
    login(page, "inspector")
    wait_for_control(page)
    open_checklist(page, inspection_id)
    version = page.evaluate(WORKER_VERSION_JS)
    assert version == served_worker_version(page, "/sw.js")  # the running worker is this deployment's

    # An answer waits in the outbox.
    page.route(ITEM_POSTS, lambda route: route.abort())
    item(page, first).locator("button[value=pass]").click()
    expect(item(page, first)).to_have_class(has_class("item--retrying"))

    # A new version of the worker arrives (a script URL of its own counts as a new version,
    # as changed bytes do; the routes of a browser context do not reach the worker's own script).
    page.evaluate("navigator.serviceWorker.register('/sw.js?deployment=2', {scope: '/'}).then(() => true)")
    wait_until(page, HAS_WAITING_WORKER_JS)

    # It waits: the old worker still answers, and the page says a new version is ready.
    expect(page.locator("#update-notice")).to_be_visible()
    page.wait_for_timeout(1000)
    assert page.evaluate(CONTROLLER_URL_JS).endswith("/sw.js")

    # The answer goes through: the outbox empties and the new version takes over, without a reload.
    page.unroute(ITEM_POSTS)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(item(page, first)).to_have_class(has_class("item--pass"), timeout=20_000)
    wait_until(page, f"async () => !(await ({HAS_WAITING_WORKER_JS})()) && ({CONTROLLER_URL_JS})().endsWith('=2')")
    # The new worker answers, with the version of the script it was installed from (one deployment
    # here: the same; tests/test_offline.py shows that a new release's script has a new one).
    assert page.evaluate(WORKER_VERSION_JS) == served_worker_version(page, "/sw.js?deployment=2") == version
    expect(page.locator("#update-notice")).to_have_count(0)
    expect(page.locator("#checklist")).to_be_visible()
    assert re.search(rf"/inspections/{inspection_id}$", page.url)


# --- prepare before going in -----------------------------------------------------------------------

def test_prepared_inspection_opens_offline_without_a_visit(page: Page, live_server):
    data = make_inspection(live_server, "T26112454", own_project=True)
    inspection_id = data["id"]
    login(page, "inspector")
    wait_for_control(page)
    row = page.locator("li.list-item", has=page.locator(f"a[href='/inspections/{inspection_id}']"))
    mark = row.locator("[data-ready-mark]")
    expect(mark).to_be_hidden()

    row.locator("[data-prepare-button]").click()
    expect(mark).to_have_text(re.compile(r"可离线使用 · 保存于 \d{4}-\d\d-\d\d \d\d:\d\d"))
    assert {f"/inspections/{inspection_id}", f"/inspections/{inspection_id}/summary"} <= set(kept_pages(page))
    page.reload()  # the mark stays, with the time the pages were saved
    expect(row.locator("[data-ready-mark]")).to_have_text(re.compile(r"可离线使用 · 保存于 "))

    no_signal(page.context, live_server)
    try:
        row.locator(f"a[href='/inspections/{inspection_id}']").click()
        expect(page.locator("#checklist")).to_be_visible()  # never opened before, yet here
        page.goto(f"/inspections/{inspection_id}/summary")
        expect(page.locator("#summary")).to_be_visible()
    finally:
        signal_back(page.context, live_server)


def test_first_load_of_the_checklist_with_the_worker_stays_small(page: Page, live_server):
    """A phone that never opened the portal: login, today's list, the checklist. Counts the bytes
    that crossed the network (gzip, headers excluded), the worker's own downloads included."""
    data = make_inspection(live_server, "T26112455", own_project=True)
    transferred = []
    page.context.on("requestfinished", lambda request: transferred.append(request))
    login(page, "inspector")
    wait_for_control(page)
    open_checklist(page, data["id"])
    page.wait_for_timeout(500)

    def body_bytes(request) -> int:
        # Chromium reports a negative size for an answer from the HTTP cache: nothing crossed the network.
        return max(0, request.sizes()["responseBodySize"])

    by_worker = [r for r in transferred if r.service_worker is not None]
    by_page = [r for r in transferred if r.service_worker is None]
    precache = [r for r in by_worker if r.url.endswith("/offline") or "/static/" in r.url]
    total = sum(body_bytes(r) for r in transferred)
    precache_bytes = sum(body_bytes(r) for r in precache)
    checklist = [r for r in transferred if r.url.endswith(f"/inspections/{data['id']}")]
    print(f"\n[offline] first load (login, today, checklist): {len(transferred)} requests, {total / 1024:.0f} KB; "
          f"by the worker {len(by_worker)} requests ({len(precache)} precache/imports, {precache_bytes / 1024:.0f} KB); "
          f"by the page {len(by_page)} ({sum(body_bytes(r) for r in by_page) / 1024:.0f} KB); "
          f"checklist HTML {sum(body_bytes(r) for r in checklist) / 1024:.0f} KB")
    assert precache and all(r.response().ok for r in precache)
    assert total < 200 * 1024, total
