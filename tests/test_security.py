"""CSRF on every state change (htmx included) and the security headers."""
from portal.auth.roles import Role
from portal.security import CONTENT_SECURITY_POLICY


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
