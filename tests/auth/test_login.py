"""Login, logout, throttling, sessions."""
import pytest

from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from tests.conftest import form_errors
from tests.factories import make_user

HOMES = {
    Role.INSPECTOR: "/inspections/today",
    Role.FOREMAN: "/notices/mine",
    Role.PROJECT_MANAGER: "/notices/mine",
    Role.ENGINEERING: "/schedule/submissions",
    Role.OFFICE: "/dashboard/",
    Role.FINANCE: "/finance/",
    Role.ADMIN: "/admin/users",
}


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(client, role):
    make_user(role, username=f"home-{role}")
    db.session.commit()
    response = login(client, f"home-{role}", "secret-pass-1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200


def test_user_with_several_roles_lands_on_first_in_order(client):
    make_user(roles={Role.FINANCE, Role.OFFICE}, username="multi")
    db.session.commit()
    login(client, "multi", "secret-pass-1")
    assert client.get("/").headers["Location"] == "/dashboard/"


def test_password_is_hashed_with_scrypt():
    user = make_user(Role.OFFICE, password="another-pass")
    assert user.password_hash.startswith("scrypt:") and "another-pass" not in user.password_hash
    assert user.check_password("another-pass") and not user.check_password("wrong")


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    make_user(Role.OFFICE, username="known")
    db.session.commit()
    wrong_password = login(client, "known", "nope-nope")
    unknown_user = login(client, "nobody", "nope-nope")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert form_errors(wrong_password.text) == form_errors(unknown_user.text) == ["用户名或密码错误。"]


def test_username_is_case_insensitive(client):
    make_user(Role.OFFICE, username="casey")
    db.session.commit()
    assert login(client, "  CaSeY ", "secret-pass-1").status_code == 302


def test_deactivated_user_cannot_log_in(client):
    make_user(Role.OFFICE, username="gone", active=False)
    db.session.commit()
    assert login(client, "gone", "secret-pass-1").status_code == 401


def test_empty_form_is_an_inline_error(client):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 422
    assert len(form_errors(response.text)) == 2


def test_throttled_after_ten_failures_even_with_right_password(client):
    make_user(Role.OFFICE, username="target")
    db.session.commit()
    for _ in range(10):
        assert login(client, "target", "wrong-pass").status_code == 401
    refused = login(client, "target", "secret-pass-1")
    assert refused.status_code == 429
    assert "15 分钟" in refused.text
    # Other usernames are not affected.
    make_user(Role.OFFICE, username="bystander")
    db.session.commit()
    assert login(client, "bystander", "secret-pass-1").status_code == 302


def login_from(client, address, username, password):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_strangers_failures_do_not_lock_the_owner_out(client):
    make_user(Role.OFFICE, username="owner")
    db.session.commit()
    for _ in range(10):
        assert login_from(client, "203.0.113.9", "owner", "guess").status_code == 401
    assert login_from(client, "203.0.113.9", "owner", "secret-pass-1").status_code == 429
    assert login_from(client, "198.51.100.7", "owner", "secret-pass-1").status_code == 302


def test_one_address_cannot_try_many_usernames(client):
    make_user(Role.OFFICE, username="later")
    db.session.commit()
    for i in range(30):
        assert login_from(client, "203.0.113.10", f"nobody{i % 3}", "guess").status_code in (401, 429)
    assert login_from(client, "203.0.113.10", "later", "secret-pass-1").status_code == 429
    assert login_from(client, "198.51.100.8", "later", "secret-pass-1").status_code == 302


def test_guesses_spread_over_many_addresses_lock_the_account_later(client):
    make_user(Role.OFFICE, username="spread")
    db.session.commit()
    for i in range(50):
        assert login_from(client, f"203.0.113.{i}", "spread", "guess").status_code == 401
    assert login_from(client, "198.51.100.9", "spread", "secret-pass-1").status_code == 429


def test_successful_logins_do_not_count(client):
    make_user(Role.OFFICE, username="regular")
    db.session.commit()
    for _ in range(12):
        assert login(client, "regular", "secret-pass-1").status_code == 302
        client.post("/logout")


def test_throttle_counts_are_shared_through_redis(app):
    """Several app servers share the login counters when RATELIMIT_STORAGE_URI is Redis."""
    import redis

    from portal import create_app
    from tests.conftest import PortalClient

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    make_user(Role.OFFICE, username="shared")
    db.session.commit()
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.secret_key,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
           "BASE_URL": "https://portal.test", "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    servers = [create_app(env, {"TESTING": True}) for _ in range(2)]
    from portal.extensions import limiter

    redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
    try:
        for i in range(10):
            server = servers[i % 2]
            server.test_client_class = PortalClient
            with server.app_context():
                assert login(server.test_client(), "shared", "bad-pass").status_code == 401
        servers[0].test_client_class = PortalClient
        with servers[0].app_context():
            assert login(servers[0].test_client(), "shared", "secret-pass-1").status_code == 429
    finally:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
        limiter.init_app(app)


def test_logout_needs_post_with_csrf(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard/").status_code == 302  # back to login


def test_session_cookie_flags(app, client):
    make_user(Role.OFFICE, username="cookie")
    db.session.commit()
    response = login(client, "cookie", "secret-pass-1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = app.test_client().post("/login", data={"username": "cookie", "password": "secret-pass-1"},
                                   base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    assert https.status_code == 302, https.text
    assert "Secure" in https.headers["Set-Cookie"]


def test_password_reset_ends_existing_sessions(client, login_as):
    from portal.auth.services import reset_password

    user = login_as(Role.OFFICE)
    assert client.get("/dashboard/").status_code == 200
    reset_password(db.session.get(User, user.id), "brand-new-pass")
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_next_parameter_only_redirects_within_the_site(client):
    make_user(Role.OFFICE, username="nexty")
    db.session.commit()
    ok = client.post("/login?next=/projects/", data={"username": "nexty", "password": "secret-pass-1"})
    assert ok.headers["Location"] == "/projects/"
    client.post("/logout")
    evil = client.post("/login?next=//evil.example.com/x", data={"username": "nexty", "password": "secret-pass-1"})
    assert evil.headers["Location"] == "/"
