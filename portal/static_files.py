"""Static files: cache-busting URLs, a year of browser caching, and ``/favicon.ico``.

Every ``url_for('static', filename=...)`` carries ``?v=`` and the start of the file's SHA-256.
A request with the current version may be cached for a year without asking again: a
phone on a slow site network fetches the CSS and JavaScript once per release, and a
release changes the URL. A request without a version, or with an old one (a page kept
open across a deploy), gets the current file with ``no-cache`` and an ETag (Flask's default).
"""
from __future__ import annotations

import hashlib
import os
import stat
from functools import lru_cache

from flask import Flask, current_app, has_request_context, redirect, request, send_from_directory, url_for
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 60 * 60
VERSION_LENGTH = 10


@lru_cache(maxsize=256)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """The file's content hash; the key includes mtime and size so an edited file is hashed again."""
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:VERSION_LENGTH]


def asset_version(filename: str) -> str | None:
    """The version of static file ``filename``, or None when there is no such file."""
    path = safe_join(current_app.static_folder or "", filename)
    try:
        info = os.stat(path) if path else None
    except OSError:
        return None
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    return _digest(path, info.st_mtime_ns, info.st_size)


def static_filenames() -> list[str]:
    """Every file of the static folder by its name under it ("css/portal.css"), sorted; no hidden files.

    A linked folder counts like a real one (``static/vendor`` may be a link to a shared copy): the
    static view serves its files, so the service worker must precache them too.
    """
    root = current_app.static_folder or ""
    names = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        names += [os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
                  for name in files if not name.startswith(".")]
    return sorted(names)


def add_version(endpoint: str, values: dict) -> None:
    """URL default: ``url_for('static', filename=f)`` gets ``v=<version of f>``.

    Looked up once per file and request: the checklist links the same script from every failed
    item's photo form, and each lookup is a ``stat`` of the file.
    """
    if endpoint == "static" and "v" not in values:
        filename = values.get("filename", "")
        known = request.environ.setdefault("portal.asset_versions", {}) if has_request_context() else {}
        if filename not in known:
            known[filename] = asset_version(filename)
        if known[filename]:
            values["v"] = known[filename]


def serve_static(filename: str):
    """The static view: immutable for a year when the URL names the current version."""
    current = request.args.get("v") is not None and request.args["v"] == asset_version(filename)
    response = send_from_directory(current_app.static_folder or "", filename,
                                   max_age=ONE_YEAR if current else None)
    if current:
        response.cache_control.immutable = True
    return response


def favicon():
    """Browsers and bookmark tools ask for /favicon.ico whatever the page links: the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"))


def init_app(app: Flask) -> None:
    """Install the versioned URLs, the caching static view and the favicon route."""
    app.url_defaults(add_version)
    app.view_functions["static"] = serve_static
    app.add_url_rule("/favicon.ico", "favicon", favicon)
