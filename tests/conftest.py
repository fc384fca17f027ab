"""Shared fixtures: one app per test session, each database test inside a rolled-back transaction.

A test gets the app and the transaction when it uses them: it asks for ``app`` (directly or
through a fixture such as ``client``), or its module works with rows (imports ``db`` or the
factories). Tests of pure rules need nothing special and run without the app.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import os
import re
import secrets

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from portal import create_app
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import start_session
from portal.auth.sessions import SESSION_TOKEN_KEY
from portal.extensions import db
from portal.storage import FileSystemStorage
from tests import factories
from tests.factories import make_user

TEST_SECRET = "test-secret-key-" + "x" * 32


def test_database_url(tmp_path_factory) -> str:
    """PostgreSQL from TEST_DATABASE_URL, else a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def reset_database(app) -> None:
    """Empty the test database and build the schema with the real migrations."""
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal, created once, on a schema built by the migrations."""
    env = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": test_database_url(tmp_path_factory),
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "BASE_URL": "https://portal.test",
        "COMPANY_NAME": "测试装饰工程有限公司",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    application = create_app(env, {"TESTING": True})
    application.test_client_class = PortalClient
    reset_database(application)
    yield application
    with application.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter exits


class ConnectionBoundSession(FlaskSession):
    """A session that always uses the test's connection (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, *args, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(*args, **kwargs)


def snapshot() -> dict:
    """The primary keys of every table's rows, and every counter's value."""
    from sqlalchemy import select

    from portal.numbering import NumberSequence

    rows = {table.name: {tuple(row) for row in db.session.execute(select(*table.primary_key.columns))}
            for table in db.metadata.sorted_tables}
    counters = dict(db.session.execute(select(NumberSequence.series, NumberSequence.last_value)).all())
    return {"rows": rows, "counters": counters}


def restore(before: dict) -> None:
    """Delete every row committed since ``before`` (dependents first) and set the counters back."""
    from sqlalchemy import delete, select, update

    from portal.numbering import NumberSequence

    for table in reversed(db.metadata.sorted_tables):
        columns = list(table.primary_key.columns)
        new = [tuple(row) for row in db.session.execute(select(*columns)) if tuple(row) not in before["rows"][table.name]]
        for key in sorted(new, reverse=True):  # newest first: a row may refer to an older one of its table
            db.session.execute(delete(table).where(*(column == value for column, value in zip(columns, key))))
    for series, value in before["counters"].items():
        db.session.execute(update(NumberSequence).where(NumberSequence.series == series).values(last_value=value))
    db.session.commit()


# Factories that only build bytes or text: a module that uses nothing else of them needs no database.
PLAIN_FACTORIES = {"make_image_bytes", "make_signature_png", "signature_data_url", "make_strokes", "fake_pdf"}


def uses_database(request) -> bool:
    """The test asks for the app, or its module works with rows (imports ``db`` or a factory of rows)."""
    if "app" in request.fixturenames:
        return True
    if request.module is None:
        return False
    return any(value is db or value is factories
               or (getattr(value, "__module__", None) == factories.__name__ and value.__name__ not in PLAIN_FACTORIES)
               for value in vars(request.module).values())


@pytest.fixture(autouse=True)
def _transaction(request):
    """Run each database test in a transaction that is rolled back; the app's commits become savepoints.

    Tests marked ``real_commits`` (concurrency on PostgreSQL) commit for real; what they leave
    is deleted afterwards, so later tests find the database as it was. Browser tests talk to
    a live server with its own database, and pure-rule tests use none.
    """
    if "live_server" in request.fixturenames or not uses_database(request):
        yield
        return
    app = request.getfixturevalue("app")
    if request.node.get_closest_marker("real_commits"):
        with app.app_context():
            before = snapshot()
            db.session.remove()
        yield
        with app.app_context():
            restore(before)
            db.session.remove()
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                              "class_": ConnectionBoundSession})
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _forget_figures():
    """Each test starts with an empty dashboard cache: the rolled-back rows of the test before
    took their data version with them, and a test may write rows behind the ORM's back."""
    from portal.dashboard import freshness

    freshness.forget()
    yield


@pytest.fixture(autouse=True)
def _reset_limits(request):
    """Each test that uses the app starts with empty rate-limit counters."""
    from portal.extensions import limiter

    if "live_server" not in request.fixturenames and uses_database(request):
        request.getfixturevalue("app")
        limiter.reset()
    yield


@pytest.fixture
def storage(app, tmp_path):
    """A fresh file store for this test, swapped into the app and restored afterwards."""
    previous = app.extensions.get("portal_storage")
    store = app.extensions["portal_storage"] = FileSystemStorage(tmp_path / "uploads")
    yield store
    app.extensions["portal_storage"] = previous


class PortalClient(FlaskClient):
    """Test client that sends a valid CSRF token with every state change, like the browser does."""

    def csrf_token(self) -> str:
        """A token valid for this client's session (what ``csrf_token()`` renders)."""
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        """Add the X-CSRFToken header to unsafe methods unless ``csrf=False``."""
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS") and not (args and not isinstance(args[0], str)):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        # A fresh app context per request, as in production: otherwise the request would
        # reuse the test's context and carry ``g`` (logged-in user, flags) between requests.
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app) -> PortalClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def login_as(client):
    """``login_as(Role.OFFICE)`` creates a user with that role and logs the client in as him."""

    def _login(role_or_user: Role | User | None = None, **kwargs) -> User:
        user = role_or_user if isinstance(role_or_user, User) else make_user(role_or_user, **kwargs)
        log_in_client(client, user)
        return user

    return _login


def log_in_client(client: FlaskClient, user: User) -> None:
    """Give ``client`` a recorded login of ``user`` (as the login form does, without the form)."""
    token = start_session(user, "127.0.0.1", "pytest")
    db.session.commit()
    with client.session_transaction() as sess:
        sess[SESSION_TOKEN_KEY] = token
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def form_errors(html: str) -> list[str]:
    """The inline error messages of a rendered form."""
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', html)
