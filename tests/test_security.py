"""CSRF on every state change (htmx included), the security headers, and clean text on input."""
from flask import request
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.projects.models import Project
from portal.security import CONTENT_SECURITY_POLICY, clean_text
from tests.projects.test_views import project_form


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script(client, login_as):
    login_as(Role.OFFICE)
    for url in ("/login", "/dashboard/", "/projects/"):
        html = client.get(url, follow_redirects=True).text
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), url


def test_post_without_csrf_token_is_refused(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/projects/new", data={"contract_no": "A25110301"}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.text


def test_htmx_post_with_token_in_header_is_accepted(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/language", data={"language": "en"}, headers={"HX-Request": "true"})
    assert response.status_code == 302


def test_base_layout_sends_the_token_as_htmx_header(client):
    html = client.get("/login").text
    assert "hx-headers='{\"X-CSRFToken\": \"" in html


def test_csrf_error_for_htmx_is_a_fragment(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/language", data={"language": "en"}, headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400
    assert "<html" not in response.text and 'role="alert"' in response.text


def test_nul_characters_in_input_are_refused_with_400(client, login_as):
    login_as(Role.OFFICE)
    assert client.get("/projects/?q=A%00B").status_code == 400
    assert client.post("/language", data={"language": "en\x00"}).status_code == 400


# --- clean text on input --------------------------------------------------------------------

def test_clean_text_drops_bidirectional_controls_and_normalises():
    assert clean_text("abc\u202egpj.exe") == "abcgpj.exe"
    assert clean_text("\u2066王\u2069建\u200f国") == "王建国"
    assert clean_text("Cafe\u0301") == "Café" and len(clean_text("Cafe\u0301")) == 4
    assert clean_text("西安市雁塔区") == "西安市雁塔区"


def test_form_text_is_stored_clean(client, login_as):
    login_as(Role.OFFICE)
    response = client.post("/projects/new", data=project_form(
        contract_no="A25110309", owner_name="abc\u202egpj.exe", address="西安市\u2067雁塔区科技路1号"))
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.contract_no == "A25110309"))
    assert project.owner_name == "abcgpj.exe" and project.address == "西安市雁塔区科技路1号"


def test_query_values_are_clean_and_passwords_untouched(app):
    with app.test_request_context("/projects/?q=A\u202e01", method="POST",
                                  data={"password": "pa\u202ess", "note": "e\u0301"}):
        assert request.args["q"] == "A01"
        assert request.form["password"] == "pa\u202ess"
        assert request.form["note"] == "é"


# --- headers --------------------------------------------------------------------------------

def test_personal_pages_are_never_cached_and_public_ones_may_be(client, login_as):
    anonymous = client.get("/login")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert anonymous.headers["Permissions-Policy"].startswith("camera=(self)")
    assert "microphone=()" in anonymous.headers["Permissions-Policy"]
    assert anonymous.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    login_as(Role.OFFICE)
    for url in ("/dashboard/", "/projects/", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    htmx = client.get("/projects/?q=A", headers={"HX-Request": "true", "HX-Target": "project-results"})
    assert htmx.headers["Cache-Control"] == "no-store"


def test_api_json_is_never_cached(client):
    response = client.get("/api/v1/settlement/A25110301")
    assert response.status_code == 401 and response.headers["Cache-Control"] == "no-store"


def test_hsts_on_https_with_subdomains_when_configured(app, client):
    assert client.get("/login", base_url="https://portal.test").headers["Strict-Transport-Security"] \
        == "max-age=31536000"
    app.config["HSTS_INCLUDE_SUBDOMAINS"] = True
    try:
        assert client.get("/login", base_url="https://portal.test").headers["Strict-Transport-Security"] \
            == "max-age=31536000; includeSubDomains"
    finally:
        app.config["HSTS_INCLUDE_SUBDOMAINS"] = False
    assert "Strict-Transport-Security" not in client.get("/login").headers
