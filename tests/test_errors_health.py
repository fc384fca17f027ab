"""Error pages (page or fragment), rollback on 500, and /healthz."""
import pytest
from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.auth.models import User
from portal.auth.roles import Role
from portal.errors import RETRY_AFTER_SECONDS
from portal.extensions import db
from tests.conftest import log_in_client
from tests.factories import make_user


def test_404_is_a_full_page(client, login_as):
    login_as(Role.OFFICE)
    response = client.get("/projects/999999")
    assert response.status_code == 404
    assert "<html" in response.text and "未找到" in response.text


def test_404_for_htmx_is_a_fragment(client, login_as):
    login_as(Role.OFFICE)
    response = client.get("/projects/999999", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text and "未找到" in response.text


def test_unknown_url_is_404(client):
    assert client.get("/no/such/page").status_code == 404


@pytest.fixture(scope="module")
def failing_app(app):
    """A second portal on the same database, with routes that fail on purpose."""
    from portal import create_app
    from tests.conftest import PortalClient

    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.secret_key, "BASE_URL": "https://portal.test",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    failing = create_app(env, {"TESTING": True})
    failing.test_client_class = PortalClient
    bp = Blueprint("failing", __name__)

    @bp.post("/_test/boom")
    def boom():
        db.session.add(make_user(Role.OFFICE, username="half-saved"))
        db.session.flush()
        raise RuntimeError("boom")

    @bp.get("/_test/db-down")
    def db_down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    failing.register_blueprint(bp)
    failing.config["PROPAGATE_EXCEPTIONS"] = False
    return failing


def failing_client(failing_app):
    """A client of ``failing_app`` logged in as an office user."""
    user = make_user(Role.OFFICE)
    db.session.commit()
    client = failing_app.test_client()
    log_in_client(client, user)
    return client


def test_500_rolls_back_and_shows_a_page(failing_app):
    response = failing_client(failing_app).post("/_test/boom")
    assert response.status_code == 500
    assert "本次操作未保存" in response.text
    assert db.session.scalar(select(User).where(User.username == "half-saved")) is None


def test_database_unavailable_is_a_clear_503(failing_app):
    response = failing_client(failing_app).get("/_test/db-down")
    assert response.status_code == 503
    assert "暂时无法连接数据库" in response.text
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)  # the phone's outbox sends again then
    assert 'class="menu"' not in response.text  # server error pages never load the user


def test_a_refusal_is_still_answered_when_its_page_cannot_reach_the_database(failing_app, monkeypatch):
    client = failing_client(failing_app)

    def unreachable(*_args):
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(failing_app.login_manager, "_user_callback", unreachable)
    response = client.get("/no-such-page")
    assert response.status_code == 404  # not a 500 from the menu's query, and still the refusal it was
    assert "页面不存在" in response.text and 'class="menu"' not in response.text


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_is_down(client, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


def test_healthz_503_with_an_unreachable_server(app):
    """A real unreachable database (closed port), not a mock."""
    from portal import create_app

    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.secret_key, "BASE_URL": "https://portal.test",
           "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    down = create_app(env, {"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    saved = db.session
    try:
        db.session = db._make_scoped_session({})  # the suite's session is bound to the test database
        with down.app_context():
            response = down.test_client().get("/healthz")
    finally:
        db.session = saved
    assert response.status_code == 503


def test_liveness_needs_no_database(client):
    assert client.get("/healthz/live").json == {"status": "ok"}
