"""What the service worker is told at each deployment: which files to precache, which pages to keep.

The worker script (``/sw.js``) is generated from these values, so a deployment that changes any
static file, the offline page or the list of pages changes the script's bytes, and browsers then
install the new worker (which waits until the page says its outbox is empty, see offline.js).
"""
from __future__ import annotations

import hashlib
import json
import re

from flask import current_app, render_template, url_for

from portal.static_files import static_filenames

# The pages of the inspector's day, kept network-first with a cached copy for when there is no
# signal: today's inspections, an inspection (start form or checklist), its summary, and the
# concealed-works record of a project, a record's signatures page (collected on site; the
# pad's signature waits in the field outbox), a photo's markup editor and the floor-plan pin pages
# of a failed item or a concealed-works photo (their saves wait in the field outbox too). Every
# other page needs the network (offline page).
DAY_PAGES = ("inspections.today", "inspections.detail", "inspections.summary", "photos.concealed", "signatures.panel",
             "photos.markup_editor", "inspections.item_pin", "plans.photo_pin")
# The images those pages draw on (a photo's versions, a floor plan), kept network-first in the
# same per-user cache, so an editor opened before the signal went still has its picture.
DAY_IMAGES = ("photos.serve", "plans.image")

# Loaded by the worker itself (importScripts), never by a page: not precached.
WORKBOX_MODULES = ("workbox-core", "workbox-routing", "workbox-strategies", "workbox-precaching")
WORKER_ONLY = tuple(f"vendor/workbox/{module}.prod.js" for module in WORKBOX_MODULES) + ("js/service-worker.js",)
# Read by the browser when the app is installed, never by a page: not precached (25 KB saved).
INSTALL_ONLY = ("icons/icon-512.png", "icons/icon-maskable-512.png")

# One Cache Storage cache holds the pages; it belongs to the user whose pages it holds. The
# server names the logged-in user on every HTML page in this header: a page answered for
# somebody else (or for nobody: the login page) empties the cache before anything is stored.
PAGES_CACHE = "portal-pages"
OWNER_HEADER = "X-Portal-User"
OWNER_KEY = "/offline/owner"  # the cache entry that names the owner (never a real page)
NETWORK_TIMEOUT_SECONDS = 3  # then the cached copy, if any (the network answer still updates it)

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


def rule_pattern(rule: str) -> str:
    """A JavaScript regular expression for the paths of a Flask rule: ``/inspections/<int:id>`` →
    ``^/inspections/\\d+$``."""
    parts, start = [], 0
    for match in _CONVERTER.finditer(rule):
        parts.append(re.escape(rule[start:match.start()]))
        parts.append(r"\d+" if match.group(1) == "int" else "[^/]+")
        start = match.end()
    parts.append(re.escape(rule[start:]))
    return "^" + "".join(parts) + "$"


def day_page_patterns(endpoints: tuple[str, ...] = DAY_PAGES) -> list[str]:
    """The path patterns of ``endpoints`` (the day's pages), from the application's URL map."""
    rules = current_app.url_map.iter_rules()
    return sorted({rule_pattern(rule.rule) for rule in rules if rule.endpoint in endpoints})


def precache_entries() -> list[dict]:
    """Every static file by the versioned URL the pages use (the version is the revision), and the
    offline page with the hash of its HTML as revision."""
    entries: list[dict] = [{"url": url_for("static", filename=name), "revision": None}
                           for name in static_filenames() if name not in WORKER_ONLY + INSTALL_ONLY]
    entries.append({"url": url_for("offline.offline_page"), "revision": _digest(offline_page_html())})
    return entries


def offline_page_html() -> str:
    """The offline page (the same bytes for everybody: it is stored once per phone)."""
    return render_template("offline.html", pages_cache=PAGES_CACHE, owner_key=OWNER_KEY)


def worker_config() -> dict:
    """Everything the worker script needs, as plain JSON values."""
    config = {
        "precache": precache_entries(),
        "pages": day_page_patterns(),
        "images": day_page_patterns(DAY_IMAGES),
        "pagesCache": PAGES_CACHE,
        "ownerHeader": OWNER_HEADER,
        "ownerKey": OWNER_KEY,
        "offlineUrl": url_for("offline.offline_page"),
        "networkTimeoutSeconds": NETWORK_TIMEOUT_SECONDS,
        # The worker's own code (versioned URLs): a release that changes only it is a new version too.
        "imports": [url_for("static", filename=name) for name in WORKER_ONLY],
    }
    config["version"] = _digest(json.dumps(config, sort_keys=True))
    return config


def worker_script() -> str:
    """The service worker: its configuration, then Workbox and the portal's worker code (versioned URLs)."""
    config = worker_config()
    return ("/* The portal's service worker, generated for this deployment (portal/offline/worker.py). */\n"
            f"self.PORTAL_WORKER = {json.dumps(config, ensure_ascii=False, indent=1)};\n"
            f"importScripts({', '.join(json.dumps(url) for url in config['imports'])});\n")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]
