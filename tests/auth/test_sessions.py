"""Every login is a recorded session: logout, password reset, deactivation and a change of roles end it
on every device, and a copy of the cookie kept elsewhere is worthless afterwards."""
from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import UserSession
from portal.auth.roles import Role
from portal.auth.services import token_hash
from portal.auth.sessions import SESSION_TOKEN_KEY
from portal.extensions import db
from portal.timeutil import clock_at, local_now
from tests.conftest import log_in_client
from tests.factories import make_user

COOKIE = "portal_session"


def login(client, username):
    response = client.post("/login", data={"username": username, "password": "secret-pass-1"},
                           headers={"User-Agent": "Pixel 7 test"})
    assert response.status_code == 302
    return response


def replay(client, cookie: str):
    """Put a saved session cookie back, as an attacker who copied it would."""
    client.set_cookie(COOKIE, cookie)


def test_login_records_a_session_with_device_but_not_the_token(client):
    user = make_user(Role.OFFICE, username="rec")
    db.session.commit()
    login(client, "rec")
    with client.session_transaction() as sess:
        token = sess[SESSION_TOKEN_KEY]
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.token_hash == token_hash(token) != token and row.user_agent == "Pixel 7 test"
    assert row.ended_at is None and row.ip == "127.0.0.1"


def test_a_cookie_replayed_after_logout_is_logged_out(client):
    make_user(Role.OFFICE, username="replay")
    db.session.commit()
    login(client, "replay")
    saved = client.get_cookie(COOKIE).value
    assert client.get("/dashboard/").status_code == 200
    assert client.post("/logout").status_code == 302
    replay(client, saved)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    row = db.session.scalar(select(UserSession).order_by(UserSession.id.desc()))
    assert row.end_reason == "logout" and row.ended_at is not None


def test_logout_on_one_phone_keeps_the_other_logged_in(app, client):
    user = make_user(Role.INSPECTOR)
    log_in_client(client, user)
    other = app.test_client()
    log_in_client(other, user)
    client.post("/logout")
    assert other.get("/inspections/today").status_code == 200
    assert client.get("/inspections/today").status_code == 302


def _two_devices(app, user):
    phones = [app.test_client(), app.test_client()]
    for phone in phones:
        log_in_client(phone, user)
        assert phone.get("/").status_code == 302  # to the user's home: logged in
    return phones


def _logged_out(phone) -> bool:
    return phone.get("/projects/").headers.get("Location", "").startswith("/login")


def test_password_reset_ends_every_session(app, client, login_as):
    user = make_user(Role.INSPECTOR)
    phones = _two_devices(app, user)
    login_as(Role.ADMIN)
    assert client.post(f"/admin/users/{user.id}/password", data={"password": "another-pass-9",
                                                                 "confirm": "another-pass-9"}).status_code == 302
    assert all(_logged_out(phone) for phone in phones)
    reasons = set(db.session.scalars(select(UserSession.end_reason).where(UserSession.user_id == user.id)))
    assert reasons == {"password"}


def _edit(client, user, **overrides):
    data = {"display_name": user.display_name, "phone": "", "email": "", "roles": [str(r) for r in user.roles],
            "active": "y"}
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post(f"/admin/users/{user.id}", data=data)
    assert response.status_code == 302, response.text
    return response


def test_deactivation_ends_every_session(app, client, login_as):
    user = make_user(Role.INSPECTOR)
    phones = _two_devices(app, user)
    login_as(Role.ADMIN)
    _edit(client, user, active=None)
    assert all(_logged_out(phone) for phone in phones)


def test_a_change_of_roles_ends_every_session_and_a_new_name_does_not(app, client, login_as):
    user = make_user(Role.INSPECTOR)
    phones = _two_devices(app, user)
    login_as(Role.ADMIN)
    _edit(client, user, display_name="新名字")
    assert not any(_logged_out(phone) for phone in phones)
    _edit(client, user, roles=["inspector", "office"])
    assert all(_logged_out(phone) for phone in phones)


def test_a_cookie_without_a_session_record_is_not_a_login(client):
    user = make_user(Role.OFFICE)
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()  # a cookie signed by an old release, or forged with a leaked key
    assert client.get("/dashboard/").status_code == 302


def test_the_login_cookie_is_sent_again_once_a_day_not_on_every_response(client):
    make_user(Role.OFFICE, username="daily")
    db.session.commit()
    assert "Expires=" in login(client, "daily").headers["Set-Cookie"]
    client.get("/dashboard/")  # shows (and takes from the session) the welcome message
    assert "Set-Cookie" not in client.get("/dashboard/").headers  # the same day: no new cookie
    for days in (1, 13, 26):  # used every day or two, the 14-day login never runs out
        with clock_at(local_now() + timedelta(days=days)):
            first, second = client.get("/dashboard/"), client.get("/dashboard/")
        assert first.status_code == second.status_code == 200
        assert "Expires=" in first.headers["Set-Cookie"] and "Set-Cookie" not in second.headers


def test_a_changed_session_is_sent_at_once(client):
    make_user(Role.OFFICE, username="changed")
    db.session.commit()
    login(client, "changed")
    response = client.post("/logout")
    assert response.status_code == 302 and "Set-Cookie" in response.headers

