"""Real-browser tests: Chromium (Pixel 7) against a live server set up like ``make run``.

The ``live_server`` fixture builds a fresh database with the documented setup path
(``flask db upgrade`` then ``flask seed-demo``, each in its own process) and serves it
with ``flask run``. On SQLite the database is a new file; when TEST_DATABASE_URL points
at PostgreSQL, a separate database ``portal_browser`` on the same server is dropped and
created, so the ``test`` database of the other tests is never touched.
"""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import TEST_SECRET
from tests.signal import Signal
from tests.live import REPO_ROOT, free_port, postgres_urls, recreate_postgres_database, run_checked, server_env

HERE = Path(__file__).resolve().parent
BROWSER_DB_NAME = "portal_browser"
SERVER_START_TIMEOUT = 30.0
DEMO_PASSWORD = "demo1234"

# Each demo user, the page he lands on after logging in and its heading in Chinese and English.
ROLE_HOMES = {
    "inspector": ("/inspections/today", "今日预验收", "Today's inspections"),
    "foreman": ("/notices/mine", "我的整改通知", "My rectification notices"),
    "pm": ("/notices/mine", "我的整改通知", "My rectification notices"),
    "engineering": ("/schedule/submissions", "下周预验收名单", "Next week's pre-acceptance list"),
    "office": ("/dashboard/", "工作台", "Dashboard"),
    "finance": ("/finance/", "结算查询", "Settlement lookup"),
    "admin": ("/admin/users", "用户", "Users"),
}


@dataclass
class LiveServer:
    """The running portal: its base ``url`` (through the phone's ``signal``) and the environment it
    was set up with."""

    url: str
    env: dict[str, str]
    signal: Signal
    direct_url: str = ""  # the server itself, for another device that has signal
    setup_output: dict[str, str] = field(default_factory=dict)

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``flask --app wsgi <args>`` against the live server's database."""
        return run_flask(self.env, *args)


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``python -m flask --app wsgi <args>`` in the repository root; fails the test on a non-zero exit."""
    return run_checked(env, [sys.executable, "-m", "flask", "--app", "wsgi", *args])


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return response.status


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """The portal served by ``flask run`` on a database built by ``db upgrade`` + ``seed-demo``."""
    tmp = tmp_path_factory.mktemp("live_server")
    port = free_port()
    signal = Signal(port)  # the browser reaches the server through it
    base_url = f"http://127.0.0.1:{signal.port}"

    postgres = postgres_urls(BROWSER_DB_NAME)
    if postgres:
        admin_url, database_url = postgres
        recreate_postgres_database(admin_url, BROWSER_DB_NAME)
    else:
        admin_url, database_url = None, f"sqlite:///{tmp / 'portal.db'}"
    env = server_env(tmp, database_url, base_url, "development")

    server = LiveServer(url=base_url, env=env, signal=signal, direct_url=f"http://127.0.0.1:{port}")
    server.setup_output["upgrade"] = run_flask(env, "db", "upgrade").stdout
    server.setup_output["seed-demo"] = run_flask(env, "seed-demo").stdout

    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"flask run exited with {proc.returncode}:\n{log_path.read_text()}", pytrace=False)
            try:
                if _get(f"http://127.0.0.1:{port}/healthz") == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer 200 within {SERVER_START_TIMEOUT:.0f}s; server output:\n"
                            f"{log_path.read_text()}", pytrace=False)
            time.sleep(0.2)
        yield server
    finally:
        signal.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if admin_url:
            recreate_postgres_database(admin_url, BROWSER_DB_NAME, drop_only=True)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """Override of the suite's ``app``: the browser tests talk to the live server only.

    The parent ``_transaction`` and ``_reset_limits`` stand aside for live-server tests; a
    browser test that still asks for an app gets this one, which never opens its database, so
    the shared test database (PostgreSQL ``test`` under TEST_DATABASE_URL) is not reset by a
    browser-only run.
    """
    tmp = tmp_path_factory.mktemp("browser_app")
    env = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp / 'unused.db'}",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "BASE_URL": "https://portal.test",
        "LANGUAGE": "zh_CN",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    return create_app(env, {"TESTING": True})


@pytest.fixture(autouse=True)
def _uses_live_server(live_server):
    """Every browser test depends on ``live_server`` (the parent ``_transaction`` then stands aside),
    and starts with the signal there, whatever the test before it left."""
    live_server.signal.restore()
    yield live_server
    live_server.signal.restore()


# For the tests that fault the server through ``page.route`` and need no service worker: a page
# under a worker can send a request past the page's routes (one that reaches the worker while it
# starts up). The worker never touches a POST, so these tests lose nothing by running without it.
WITHOUT_WORKER = pytest.mark.browser_context_args(service_workers="block")


def no_signal(context, live_server: LiveServer) -> None:
    """The phone loses its signal: nothing reaches the server (the relay resets every connection,
    the service worker's too), and the browser knows it is offline (``navigator.onLine``, the
    ``offline`` event)."""
    live_server.signal.lose()
    context.set_offline(True)


def signal_back(context, live_server: LiveServer) -> None:
    """The signal returns: the server can be reached, then the browser hears it is online."""
    live_server.signal.restore()
    context.set_offline(False)


def pytest_collection_modifyitems(items):
    """Mark every test of this folder ``browser``."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """The live server (replaces pytest-playwright's fallback ``base_url``, which is an instance
    method of a plugin class and raises PytestRemovedIn10Warning — an error under this suite's
    ``filterwarnings = error``)."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The Debian Chromium, headless, without background chatter."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright, live_server):
    """A Pixel 7 in Chinese, pointed at the live server."""
    return {
        **browser_context_args,
        **playwright.devices["Pixel 7"],
        "base_url": live_server.url,
        "locale": "zh-CN",
    }


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form; returns once the response page has loaded."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def logout(page) -> None:
    """Open the menu and press its logout button."""
    page.locator("details.menu > summary").click()
    with page.expect_navigation():
        page.locator("details.menu form[action$='/logout'] button").click()
