"""Static files: versioned URLs cached for a year, everything else revalidated; /favicon.ico.

Requests for files pass ``buffered=True``: the test client then reads and closes the file.
"""
import hashlib
import re
from datetime import timedelta

from flask import url_for

from portal.auth.roles import Role
from portal import static_files
from portal.static_files import ONE_YEAR
from portal.timeutil import clock_at, local_now


def version_of(app, filename: str) -> str:
    with open(f"{app.static_folder}/{filename}", "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:10]


def test_static_urls_carry_the_content_version(app):
    with app.test_request_context():
        url = url_for("static", filename="css/portal.css")
    assert url == f"/static/css/portal.css?v={version_of(app, 'css/portal.css')}"


def test_pages_link_versioned_assets(client, login_as):
    login_as(Role.INSPECTOR)
    html = client.get("/inspections/today").text
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert links and all(re.search(r"\?v=[0-9a-f]{10}$", link) for link in links), links


def test_current_version_is_cached_for_a_year(app, client):
    response = client.get(f"/static/js/portal.js?v={version_of(app, 'js/portal.js')}", buffered=True)
    assert response.status_code == 200
    assert response.cache_control.max_age == ONE_YEAR and response.cache_control.immutable
    assert response.cache_control.public and "Set-Cookie" not in response.headers
    assert "Cookie" not in response.vary  # a changed session cookie must not void the cache


def test_unversioned_or_old_version_is_revalidated(client):
    for url in ("/static/js/portal.js", "/static/js/portal.js?v=0000000000"):
        response = client.get(url, buffered=True)
        assert response.status_code == 200 and response.cache_control.no_cache
        assert not response.cache_control.max_age and "ETag" in response.headers
        revalidated = client.get(url, headers={"If-None-Match": response.headers["ETag"]}, buffered=True)
        assert revalidated.status_code == 304


def test_static_request_leaves_the_session_cookie_alone(client, login_as):
    login_as(Role.OFFICE)
    with clock_at(local_now() + timedelta(days=1)):
        assert "Set-Cookie" not in client.get("/static/css/portal.css", buffered=True).headers
        assert "Set-Cookie" in client.get("/dashboard/").headers  # a new day: pages refresh the session


def test_edited_file_gets_a_new_version(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    asset = tmp_path / "site.css"
    asset.write_text("body { color: #111; }")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
    asset.write_text("body { color: #222; margin: 0; }")
    with app.test_request_context():  # the next page after the edit (a release)
        second = url_for("static", filename="site.css")
    assert first != second and second.endswith(hashlib.sha256(asset.read_bytes()).hexdigest()[:10])


def test_a_page_looks_each_file_up_once(app, tmp_path, monkeypatch):
    """The checklist links the same script from dozens of forms: one stat per file and page."""
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "site.css").write_text("body { color: #111; }")
    looked_up = []
    real = static_files.asset_version
    monkeypatch.setattr(static_files, "asset_version", lambda name: looked_up.append(name) or real(name))
    with app.test_request_context():
        urls = {url_for("static", filename="site.css") for _ in range(5)}
    assert len(urls) == 1 and looked_up == ["site.css"]


def test_unknown_file_gets_no_version_and_404(app, client):
    with app.test_request_context():
        assert url_for("static", filename="nope.css") == "/static/nope.css"
    assert client.get("/static/nope.css", buffered=True).status_code == 404
    assert client.get("/static/../portal/config.py", buffered=True).status_code == 404


def test_favicon_ico_leads_to_the_svg_icon(app, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/static/favicon.svg?v={version_of(app, 'favicon.svg')}"
    icon = client.get(response.headers["Location"], buffered=True)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_base_layout_links_the_icon(client):
    assert re.search(r'<link rel="icon" href="/static/favicon.svg\?v=[0-9a-f]{10}" type="image/svg\+xml">',
                     client.get("/login").text)
