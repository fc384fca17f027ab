"""The app shell's URLs: the web app manifest, the service worker script and the offline page.

All three answer without a login: the manifest and the worker are fetched by the browser on its
own, and the offline page is stored once by the worker for whoever uses the phone. None of them
shows anything of a user.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, session, url_for

from portal.offline.worker import OWNER_HEADER, PAGES_CACHE, offline_page_html, worker_script

bp = Blueprint("offline", __name__)

BRAND_BLUE = "#0b4f8a"


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: name, icons and colours of the installed app; it opens on the user's home."""
    icon = lambda name, size, purpose: {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size, "type": "image/png", "purpose": purpose}
    response = jsonify({
        "id": url_for("home.index"),
        "name": "预验收",
        "short_name": "预验收",
        "description": "装修工程预验收：检查表、照片、签字",
        "lang": "zh-CN",
        "start_url": url_for("home.index"),
        "scope": url_for("home.index"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": BRAND_BLUE,
        "icons": [icon("icon-192.png", "192x192", "any"), icon("icon-512.png", "512x512", "any"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    })
    response.mimetype = "application/manifest+json"
    response.cache_control.no_cache = True
    return response


@bp.get("/sw.js")
def worker():
    """The service worker, served from the site's root so that its scope is the whole site.

    ``no-cache``: the browser asks again on every update check, and a deployment (new static
    files, new offline page) changes the bytes, which installs the new worker.
    """
    response = make_response(worker_script())
    response.mimetype = "text/javascript"
    response.cache_control.no_cache = True
    response.headers["Service-Worker-Allowed"] = url_for("home.index")
    return response


@bp.get("/offline")
def offline_page():
    """What the worker shows for a page that needs the network when there is none."""
    response = make_response(offline_page_html())
    response.cache_control.no_cache = True
    return response


@bp.app_context_processor
def offline_names() -> dict:
    """The name of the kept pages' cache, which the page forgets on logging out (offline.js)."""
    return {"offline_pages_cache": PAGES_CACHE}


@bp.after_app_request
def name_page_owner(response):
    """Name the logged-in user on HTML pages, so that the worker never keeps one user's pages for another.

    The session's login marker (no database query), as for the ``no-store`` rule in portal/security.py.
    """
    owner = session.get("_user_id")
    if owner and response.mimetype == "text/html":
        response.headers[OWNER_HEADER] = owner
    return response
