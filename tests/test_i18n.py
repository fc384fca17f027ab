"""Chinese by default, English on request, remembered per user."""
from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from tests.conftest import log_in_client


def test_chinese_is_the_default(client):
    html = client.get("/login").text
    assert '<html lang="zh-CN">' in html and "<h1>登录</h1>" in html


def test_switch_to_english_before_login(client):
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    html = client.get("/login").text
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html


def test_choice_is_remembered_on_the_account(app, client, login_as):
    user = login_as(Role.OFFICE)
    client.post("/language", data={"language": "en"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    fresh = app.test_client()  # another phone, new session
    log_in_client(fresh, user)
    assert "<h1>Dashboard</h1>" in fresh.get("/dashboard/").text


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx"})
    assert '<html lang="zh-CN">' in client.get("/login").text


def test_language_switch_refuses_offsite_next(client):
    response = client.post("/language", data={"language": "en", "next": "https://evil.example.com/"})
    assert response.headers["Location"] == "/"


def test_every_catalog_entry_is_translated():
    """No empty or fuzzy zh_CN translations: a missing one would show English to Chinese users."""
    from babel.messages.pofile import read_po

    from portal.config import PROJECT_ROOT

    with open(PROJECT_ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not untranslated


def test_templates_follow_a_forced_locale_and_return_to_the_request_s(app):
    """Templates keep the request's translations once found, but a notification rendered in its
    recipient's language (force_locale) is translated in that language, and the page after it
    in the request's again."""
    from flask import render_template_string
    from flask_babel import force_locale

    template = "{{ _('Log in') }}|{{ ngettext('%(num)s day', '%(num)s days', 2) }}"
    with app.test_request_context("/"):
        first = render_template_string(template)
        with force_locale("en"):
            forced = render_template_string(template)
        after = render_template_string(template)
    assert first.startswith("登录") and after == first
    assert forced.startswith("Log in|")
