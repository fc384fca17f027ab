"""One commit per request, at the edge (portal/transaction.py).

A second portal on the test database gets routes that change rows and answer with a chosen
status, raise, or make the commit fail. The suite's per-test transaction turns the edge's
commit into the release of a savepoint, so "saved" here means: visible to the test after the
request, and "rolled back": gone.
"""
import pytest
from flask import Blueprint, Response, redirect, stream_with_context
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal import transaction
from portal.auth.models import User
from portal.extensions import db
from tests.factories import make_user


def _user(username: str) -> User:
    """An account added to the session, not flushed (the commit writes it)."""
    user = User(username=username, display_name=username, password_hash="x")
    db.session.add(user)
    return user


def saved(username: str) -> bool:
    """True when the account is in the database as the test sees it."""
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


@pytest.fixture(scope="module")
def edge_app(app):
    """A second portal on the same database, with routes that exercise the edge."""
    from portal import create_app
    from tests.conftest import PortalClient

    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.secret_key, "BASE_URL": "https://portal.test",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    edge = create_app(env, {"TESTING": True})
    edge.test_client_class = PortalClient
    bp = Blueprint("edge", __name__)

    @bp.post("/_edge/save/<name>/<int:status>")
    def save(name: str, status: int):
        _user(name)
        db.session.flush()
        return redirect("/") if status == 302 else ("", status)

    @bp.post("/_edge/raise/<name>")
    def boom(name: str):
        _user(name)
        db.session.flush()
        raise RuntimeError("boom")

    @bp.post("/_edge/clash/<name>/<taken>")
    def clash(name: str, taken: str):
        _user(name)
        _user(taken)  # the unique username clashes only when the edge commits
        return "saved", 200

    @bp.post("/_edge/database-gone/<name>")
    def database_gone(name: str):
        _user(name)

        def refuse(_session):
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

        event.listen(db.session(), "before_commit", refuse, once=True)
        return "saved", 200

    @bp.post("/_edge/commit-now/<first>/<second>")
    def commit_now(first: str, second: str):
        _user(first)
        transaction.commit_now("the first account must stay whatever follows")
        _user(second)
        db.session.flush()
        return "refused", 422

    @bp.post("/_edge/savepoint/<kept>/<refused>")
    def savepoint(kept: str, refused: str):
        _user(kept)
        try:
            with transaction.savepoint():
                _user(refused)
                db.session.flush()
                raise ValueError("refused")
        except ValueError:
            pass
        return "", 200

    @bp.get("/_edge/stream/<name>")
    def stream(name: str):
        user = db.session.scalar(select(User).where(User.username == name))

        def body():
            yield user.display_name  # read after the edge committed

        return Response(stream_with_context(body()))

    edge.register_blueprint(bp)
    edge.config["PROPAGATE_EXCEPTIONS"] = False
    return edge


@pytest.fixture
def client(edge_app):
    """A client of the edge portal."""
    return edge_app.test_client()


@pytest.mark.parametrize("status", [200, 201, 302])
def test_a_success_or_redirect_is_committed(client, status):
    assert client.post(f"/_edge/save/kept-{status}/{status}").status_code == status
    assert saved(f"kept-{status}")


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422, 503])
def test_a_refusal_or_error_status_is_rolled_back(client, status):
    assert client.post(f"/_edge/save/dropped-{status}/{status}").status_code == status
    assert not saved(f"dropped-{status}")


def test_an_exception_is_rolled_back(client):
    response = client.post("/_edge/raise/half-saved")
    assert response.status_code == 500
    assert not saved("half-saved")


def test_an_exception_that_propagates_is_rolled_back(edge_app, client, monkeypatch):
    monkeypatch.setitem(edge_app.config, "PROPAGATE_EXCEPTIONS", True)
    with pytest.raises(RuntimeError):
        client.post("/_edge/raise/propagated")
    assert not saved("propagated")


def test_a_failing_commit_is_not_a_success_and_saves_nothing(client):
    make_user(username="taken")
    db.session.commit()
    response = client.post("/_edge/clash/beside-the-clash/taken")
    assert response.status_code == 500 and "saved" not in response.text
    assert not saved("beside-the-clash")


def test_a_failing_commit_propagates_in_tests_like_a_failing_view(edge_app, client, monkeypatch):
    make_user(username="taken-too")
    db.session.commit()
    monkeypatch.setitem(edge_app.config, "PROPAGATE_EXCEPTIONS", True)
    with pytest.raises(IntegrityError):
        client.post("/_edge/clash/beside-another-clash/taken-too")
    assert not saved("beside-another-clash")


def test_a_database_gone_at_the_commit_is_the_503_page(client):
    response = client.post("/_edge/database-gone/never-saved")
    assert response.status_code == 503
    assert "暂时无法连接数据库" in response.text and "saved" not in response.text
    assert "Content-Security-Policy" in response.headers  # the later hooks saw the replaced response
    assert not saved("never-saved")


def test_commit_now_keeps_what_came_before_it(client):
    assert client.post("/_edge/commit-now/committed-early/after-the-commit").status_code == 422
    assert saved("committed-early")
    assert not saved("after-the-commit")


def test_commit_now_rolls_back_and_raises_when_the_commit_fails():
    make_user(username="taken-again")
    db.session.commit()
    _user("taken-again")
    with pytest.raises(IntegrityError):
        transaction.commit_now("the caller removes its files and re-raises")
    assert saved("taken-again")  # the session is usable again, the first account untouched


def test_a_savepoint_undoes_only_its_change(client):
    assert client.post("/_edge/savepoint/before-the-savepoint/inside-the-savepoint").status_code == 200
    assert saved("before-the-savepoint")
    assert not saved("inside-the-savepoint")


def test_a_unique_clash_in_a_savepoint_leaves_the_transaction_usable():
    make_user(username="first-owner")
    with pytest.raises(IntegrityError):
        with transaction.savepoint():
            _user("first-owner")
    assert saved("first-owner")


def test_a_streamed_body_reads_its_objects_after_the_commit(client):
    make_user(username="streamed", display_name="流式")
    db.session.commit()
    response = client.get("/_edge/stream/streamed")
    assert response.status_code == 200 and response.text == "流式"


def test_a_request_context_pushed_by_hand_leaves_the_session_alone(app):
    user = make_user(username="outside-requests")
    with pytest.raises(RuntimeError):
        with app.test_request_context():
            raise RuntimeError("not a request of the portal")
    assert db.session.get(User, user.id) is not None and saved("outside-requests")
