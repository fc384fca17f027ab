"""The portal under gunicorn, as in production, for the fault tests that kill workers or load it.

``start_gunicorn`` builds a fresh database the documented way (``flask db upgrade`` then
``flask seed-demo``, each in its own process): a new SQLite file by default, or — when
TEST_DATABASE_URL points at PostgreSQL — a separate database on that server, dropped and
created here, so the shared ``test`` database is never touched. It then serves ``wsgi:app``
with gunicorn and knows the master's worker pids (the master replaces a killed worker).

``Client`` is a small HTTP client on http.client (the venv has no ``requests``): one
connection per request, the session cookie kept, the CSRF token read from the page the way
htmx gets it (the ``hx-headers`` attribute of the base layout).
"""
from __future__ import annotations

import html
import http.client
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import TEST_SECRET
from tests.live import REPO_ROOT, free_port, postgres_urls, recreate_postgres_database, run_checked, server_env

DEMO_PASSWORD = "demo1234"
START_TIMEOUT = 60.0


# --- the server -----------------------------------------------------------------------------

@dataclass
class GunicornServer:
    """A running ``gunicorn wsgi:app``: its address, environment, database and master process."""

    url: str
    port: int
    env: dict[str, str]
    upload_dir: Path
    master: subprocess.Popen
    workers: int
    log_path: Path

    def worker_pids(self) -> set[int]:
        """The master's current children (its workers)."""
        pids: set[int] = set()
        for children in Path(f"/proc/{self.master.pid}/task").glob("*/children"):
            try:
                pids.update(int(pid) for pid in children.read_text().split())
            except OSError:
                pass  # the thread ended while we looked
        return pids

    def wait_ready(self, timeout: float = START_TIMEOUT, gone: int | None = None) -> set[int]:
        """Wait until all workers run (``gone`` no longer among them) and /healthz answers; their pids."""
        deadline = time.monotonic() + timeout
        while True:
            if self.master.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.master.returncode}:\n{self.log()}", pytrace=False)
            pids = self.worker_pids()
            if len(pids) == self.workers and gone not in pids and _healthy(self.port):
                return pids
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn not ready within {timeout:.0f}s (workers {pids}):\n{self.log()}",
                            pytrace=False)
            time.sleep(0.05)

    def log(self) -> str:
        """What gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """``flask --app wsgi <args>`` against this server's database and store."""
        return run_checked(self.env, [sys.executable, "-m", "flask", "--app", "wsgi", *args])

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a read-only SQL query, straight from the database (``?`` placeholders)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=10)) as conn:
                return conn.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()


def _healthy(port: int) -> bool:
    try:
        return Client(f"http://127.0.0.1:{port}").get("/healthz", timeout=2).status == 200
    except (OSError, http.client.HTTPException):
        return False


def call_in_app(env: dict[str, str], function: str, *args) -> object:
    """Run ``module:function(*args)`` inside the app in a separate process (like ``flask shell``),
    commit, and return its result (JSON in, JSON out)."""
    module, name = function.split(":")
    code = ("import json, sys\nfrom portal import create_app\nfrom portal.extensions import db\n"
            f"from {module} import {name} as function\n"
            "app = create_app()\nwith app.app_context():\n"
            "    result = function(*json.loads(sys.argv[1]))\n    db.session.commit()\n"
            "print(json.dumps(result))\n")
    output = run_checked(env, [sys.executable, "-c", code, json.dumps(list(args))]).stdout
    return json.loads(output.strip().splitlines()[-1])


@contextmanager
def start_gunicorn(tmp: Path, database: str, workers: int, prepare=None):
    """Serve a freshly seeded portal with ``workers`` sync workers; yields the GunicornServer.

    ``database`` names the PostgreSQL database (under TEST_DATABASE_URL) or the SQLite file;
    ``prepare(env)`` runs after seeding, before the server starts (e.g. to add users).
    """
    port = free_port()
    postgres = postgres_urls(database)
    if postgres:
        recreate_postgres_database(postgres[0], database)
    database_url = postgres[1] if postgres else f"sqlite:///{tmp / (database + '.db')}"
    env = server_env(tmp, database_url, f"http://127.0.0.1:{port}", "production")
    try:
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        run_checked(env, [*flask, "db", "upgrade"])
        run_checked({**env, "PORTAL_ENV": "development"}, [*flask, "seed-demo"])  # refused in production
        if prepare is not None:
            prepare(env)
        with serve(env, port, workers, tmp / "gunicorn.log") as server:
            yield server
    finally:
        if postgres:
            recreate_postgres_database(postgres[0], database, drop_only=True)


@contextmanager
def serve(env: dict[str, str], port: int, workers: int, log_path: Path):
    """Run gunicorn on ``port`` with ``env`` (its database already migrated) until the block ends.

    Two of these on one database are two app servers of one company, as behind a load balancer.
    """
    with open(log_path, "w") as log:
        master = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = GunicornServer(url=f"http://127.0.0.1:{port}", port=port, env=env, upload_dir=Path(env["UPLOAD_DIR"]),
                            master=master, workers=workers, log_path=log_path)
    try:
        server.wait_ready()
        yield server
    finally:
        _stop(master)


def _stop(master: subprocess.Popen) -> None:
    """Shut gunicorn down (its master stops the workers)."""
    if master.poll() is None:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=15)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait(timeout=10)


def standalone_app(tmp_path_factory):
    """An app for the suite's autouse fixtures that never opens the shared test database.

    Modules that only talk to their own gunicorn server use it as their ``app`` (like the
    browser tests), so the suite's session app does not reset TEST_DATABASE_URL's database.
    """
    tmp = tmp_path_factory.mktemp("fault_app")
    return create_app({"PORTAL_ENV": "testing", "SECRET_KEY": TEST_SECRET,
                       "DATABASE_URL": f"sqlite:///{tmp / 'unused.db'}", "UPLOAD_DIR": str(tmp / "uploads"),
                       "BASE_URL": "https://portal.test", "LANGUAGE": "zh_CN",
                       "RATELIMIT_STORAGE_URI": "memory://"}, {"TESTING": True})


# --- the client -----------------------------------------------------------------------------

@dataclass
class Response:
    """Status, headers (lower-case names) and body of one answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")


CSRF_RE = re.compile(r"hx-headers='(\{[^']*X-CSRFToken[^']*\})'")
LOGIN_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Client:
    """One user's browser session against the server: cookies and CSRF token kept."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the server."""
        parsed = urllib.parse.urlsplit(self.base_url)
        return parsed.hostname, parsed.port

    def connection(self, timeout: float = 60) -> http.client.HTTPConnection:
        """A new connection to the server."""
        host, port = self.address
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def headers(self, extra: dict[str, str] | None = None, unsafe: bool = False) -> dict[str, str]:
        """Cookie header, the CSRF header for state changes, and ``extra``."""
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if unsafe and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        return headers

    def read(self, response: http.client.HTTPResponse) -> Response:
        """Read the whole answer and keep the cookies it sets."""
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 60) -> Response:
        """Send one request on a new connection and read the answer."""
        with closing(self.connection(timeout)) as conn:
            conn.request(method, path, body=body, headers=self.headers(headers, unsafe=method != "GET"))
            response = self.read(conn.getresponse())
        self.remember_csrf(response)
        return response

    def get(self, path: str, **kwargs) -> Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        """POST url-encoded ``fields``."""
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                 **(headers or {})})

    def remember_csrf(self, response: Response) -> None:
        """Take the CSRF token the page hands to htmx, when the page has one."""
        if "text/html" in response.headers.get("content-type", ""):
            found = CSRF_RE.search(response.text)
            if found:
                self.csrf = json.loads(html.unescape(found.group(1)))["X-CSRFToken"]

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Log in through the login form (once per user: failures are throttled per username)."""
        page = self.get("/login")
        token = LOGIN_CSRF_RE.search(page.text).group(1)
        answer = self.post_form("/login", {"csrf_token": token, "username": username, "password": password})
        assert answer.status == 302, f"login as {username}: {answer.status}"
        home = self.follow(answer)
        assert home.status == 200 and self.csrf, f"no CSRF token on {username}'s home page"

    def follow(self, response: Response, limit: int = 5) -> Response:
        """Follow redirects (same server) to the final page."""
        while response.status in (301, 302, 303) and limit:
            response, limit = self.get(urllib.parse.urlsplit(response.headers["location"]).path), limit - 1
        return response


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request, as a browser sends an upload."""
    boundary = f"----portal{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, mime, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
