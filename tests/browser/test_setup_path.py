"""The documented setup path (``make run``): db upgrade + seed-demo on an empty database, then serve.

Runs against the ``live_server`` of the browser tests, which was built exactly that way.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

from sqlalchemy import func, select

from portal import create_app
from portal.auth.models import User
from portal.extensions import db
from portal.projects.models import Project


def _counts(env: dict) -> tuple[int, int]:
    """(users, projects) in the live server's database, read through the app."""
    app = create_app(env)
    with app.app_context():
        try:
            return (db.session.scalar(select(func.count(User.id))),
                    db.session.scalar(select(func.count(Project.id))))
        finally:
            db.session.remove()
            db.engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _CsrfParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.token = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf_token" and self.token is None:
            self.token = attrs.get("value")


def _open(opener, url, data=None):
    """(status, headers, body) without following redirects."""
    try:
        with opener.open(url, data=data, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode()


def test_setup_ran_on_an_empty_database(live_server):
    assert "demo data loaded" in live_server.setup_output["seed-demo"]
    if os.environ.get("TEST_DATABASE_URL"):  # its own database, never the shared test database
        assert live_server.env["DATABASE_URL"].endswith("/portal_browser")
    else:
        assert live_server.env["DATABASE_URL"].startswith("sqlite:///")


def test_healthz(live_server):
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=10) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "application/json"
        assert json.loads(response.read()) == {"status": "ok", "database": "ok"}


def test_setup_commands_are_idempotent(live_server):
    users, projects = _counts(live_server.env)
    # The seed made one user per role and five projects; other browser tests may add more.
    assert users >= 7 and projects >= 5

    second = live_server.flask("seed-demo")
    assert "nothing changed" in second.stdout
    live_server.flask("db", "upgrade")

    assert _counts(live_server.env) == (users, projects)


def test_demo_login_over_http(live_server):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)

    status, _headers, body = _open(opener, f"{live_server.url}/login")
    assert status == 200
    parser = _CsrfParser()
    parser.feed(body)
    assert parser.token, "no csrf_token input on /login"

    form = urllib.parse.urlencode({"username": "engineering", "password": "demo1234", "csrf_token": parser.token})
    status, headers, _body = _open(opener, f"{live_server.url}/login", data=form.encode())
    assert status == 302, _body
    assert urllib.parse.urlsplit(headers["Location"]).path == "/"

    status, headers, _body = _open(opener, f"{live_server.url}/")
    assert status == 302
    assert urllib.parse.urlsplit(headers["Location"]).path == "/schedule/submissions"

    status, _headers, body = _open(opener, f"{live_server.url}/schedule/submissions")
    assert status == 200
    assert "下周预验收名单" in body
