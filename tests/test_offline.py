"""The app shell: manifest, service worker script and its precache list, offline page, page owner header."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct

from flask import url_for

from portal.auth.roles import Role
from portal.offline.worker import DAY_PAGES, INSTALL_ONLY, OWNER_HEADER, PAGES_CACHE, WORKER_ONLY, rule_pattern
from portal.static_files import static_filenames


def worker_config(text: str) -> dict:
    """The JSON the worker script assigns to self.PORTAL_WORKER."""
    match = re.search(r"self\.PORTAL_WORKER = (\{.*?\});\nimportScripts", text, re.S)
    assert match, text[:300]
    return json.loads(match.group(1))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# --- manifest ---------------------------------------------------------------------------------

def test_manifest_describes_the_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "预验收" and manifest["short_name"] == "预验收"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["theme_color"] == "#0b4f8a"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])


def test_manifest_icons_are_real_pngs_of_their_size(client):
    for icon in json.loads(client.get("/manifest.webmanifest").data)["icons"]:
        response = client.get(icon["src"], buffered=True)
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "%dx%d" % png_size(response.data) == icon["sizes"]


def test_every_page_links_the_manifest_and_the_worker_registration(client, login_as):
    for html in (client.get("/login").text, (login_as(Role.INSPECTOR), client.get("/inspections/today").text)[1]):
        assert 'rel="manifest" href="/manifest.webmanifest"' in html
        assert re.search(r'src="/static/js/offline\.js\?v=\w+"[^>]*data-worker="/sw\.js"', html)
        assert f'data-pages-cache="{PAGES_CACHE}"' in html


# --- the worker script ------------------------------------------------------------------------

def test_worker_is_served_from_the_root_and_always_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.cache_control.no_cache and not response.cache_control.max_age
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_worker_loads_workbox_and_its_code_from_versioned_local_urls(app, client):
    text = client.get("/sw.js").text
    imported = re.search(r"importScripts\((.*)\);", text).group(1)
    urls = json.loads(f"[{imported}]")
    with app.test_request_context():
        assert urls == [url_for("static", filename=name) for name in WORKER_ONLY]
    assert all(re.fullmatch(r"/static/[\w/.-]+\?v=[0-9a-f]{10}", url) for url in urls), urls
    assert "http" not in imported  # never a CDN
    for url in urls:
        assert client.get(url, buffered=True).status_code == 200


def test_precache_lists_every_static_file_by_the_url_pages_use(app, client, login_as):
    config = worker_config(client.get("/sw.js").text)
    static = [entry["url"] for entry in config["precache"] if entry["url"].startswith("/static/")]
    with app.test_request_context():
        expected = [url_for("static", filename=name) for name in static_filenames()
                    if name not in WORKER_ONLY + INSTALL_ONLY]
    assert static == expected and len(static) >= 8
    assert all(entry["revision"] is None for entry in config["precache"] if entry["url"] in static)
    # The very URLs a page asks for are in the precache (so they come from it).
    login_as(Role.INSPECTOR)
    page_urls = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', client.get("/inspections/today").text))
    assert page_urls and page_urls <= set(static)


def test_precache_holds_the_offline_page_with_the_hash_of_its_html(client):
    config = worker_config(client.get("/sw.js").text)
    offline = [entry for entry in config["precache"] if entry["url"] == "/offline"]
    html = client.get("/offline").data
    assert offline == [{"url": "/offline", "revision": hashlib.sha256(html).hexdigest()[:10]}]
    assert config["offlineUrl"] == "/offline"


def test_a_changed_static_file_changes_the_worker_script(app, client, tmp_path, monkeypatch):
    deployed = tmp_path / "static"
    shutil.copytree(app.static_folder, deployed, symlinks=True)
    monkeypatch.setattr(app, "static_folder", str(deployed))
    before = client.get("/sw.js").text
    assert client.get("/sw.js").text == before  # the same deployment, the same bytes

    # The next deployment changes the worker's own code only.
    worker_code = deployed / "js" / "service-worker.js"
    worker_code.write_text(worker_code.read_text() + "\n// the next release\n")
    after = client.get("/sw.js").text
    assert after != before
    assert worker_config(after)["version"] != worker_config(before)["version"]
    assert worker_config(after)["precache"] == worker_config(before)["precache"]  # no other file changed
    code_url = re.compile(r'"/static/js/service-worker\.js\?v=([0-9a-f]+)"')
    assert code_url.search(after).group(1) != code_url.search(before).group(1)

    # The one after changes a page's stylesheet: its precache entry names the new version.
    stylesheet = deployed / "css" / "portal.css"
    stylesheet.write_text(stylesheet.read_text() + "\n/* the release after */\n")
    last = client.get("/sw.js").text
    assert worker_config(last)["version"] not in {worker_config(before)["version"], worker_config(after)["version"]}
    changed = {entry["url"] for entry in worker_config(last)["precache"]} - \
        {entry["url"] for entry in worker_config(after)["precache"]}
    assert [url.split("?")[0] for url in changed] == ["/static/css/portal.css"]


def test_day_pages_are_network_first_and_nothing_else(client):
    patterns = [re.compile(p) for p in worker_config(client.get("/sw.js").text)["pages"]]
    kept = ["/inspections/today", "/inspections/12", "/inspections/12/summary", "/projects/3/concealed",
            "/signatures/inspection/12", "/photos/0b1c/markup", "/inspections/12/items/4/pin", "/photos/0b1c/pin"]
    not_kept = ["/inspections/12/history", "/inspections/new", "/projects/3", "/dashboard/", "/login",
                "/inspections/12/items/4", "/projects/3/concealed/archive.zip", "/inspections/x",
                "/signatures/inspection/12/sign"]
    assert all(any(p.search(path) for p in patterns) for path in kept)
    assert not any(p.search(path) for p in patterns for path in not_kept)
    assert len(patterns) == len(DAY_PAGES)


def test_the_images_the_kept_editors_draw_on_are_kept_too(client):
    patterns = [re.compile(p) for p in worker_config(client.get("/sw.js").text)["images"]]
    assert all(any(p.search(path) for p in patterns) for path in ("/photos/0b1c/plain", "/plans/7/image"))
    assert not any(p.search(path) for p in patterns for path in ("/plans/7/original", "/projects/3/plans",
                                                                  "/inspections/12/items/4/photos"))


def test_rule_pattern_turns_converters_into_path_segments():
    assert rule_pattern("/inspections/<int:inspection_id>/summary") == r"^/inspections/\d+/summary$"
    assert rule_pattern("/files/<name>.zip") == r"^/files/[^/]+\.zip$"
    assert rule_pattern("/a/<string(length=2):code>") == r"^/a/[^/]+$"


# --- offline page and page owner --------------------------------------------------------------

def test_offline_page_is_chinese_first_and_shows_nothing_of_the_user(client, login_as):
    login_as(Role.INSPECTOR)
    response = client.get("/offline")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.text
    assert html.index("无网络连接") < html.index("No connection")
    assert "csrf" not in html.lower() and "<form" not in html and "<script>" not in html
    assert "inspector" not in html.lower()


def test_html_pages_name_their_user_for_the_worker(client, login_as):
    assert OWNER_HEADER not in client.get("/login").headers
    user = login_as(Role.INSPECTOR)
    response = client.get("/inspections/today")
    assert response.headers[OWNER_HEADER].split(":")[0] == str(user.id)
    assert OWNER_HEADER not in client.get("/static/js/portal.js", buffered=True).headers
