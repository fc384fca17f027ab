"""The crawl of the gates: every page a role reaches by GET links, fetched with the test client.

``crawl_app`` builds a portal of its own on a fresh SQLite file (or, under TEST_DATABASE_URL,
a separate PostgreSQL database), with the schema from the migrations and the demo data from
``seed_demo`` — what ``make run`` serves. ``crawl`` starts at a role's landing page, follows
every ``<a href>`` and ``hx-get`` on the site (redirects too), and records for each URL the
status, the links it shows, where it redirects, and the HTML of full pages for the checkers
(:mod:`tests.gates.checkers`).

Query strings would make the crawl endless (next week, next page, every filter): a URL is
fetched only while its endpoint has been seen with fewer than ``PER_SHAPE`` URLs of the same
query parameter names.
"""
from __future__ import annotations

import time
import urllib.parse
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask, url_for
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal import create_app
from portal.auth.models import User
from portal.checklists.models import ChecklistTemplate
from portal.demo import DEMO_USERS, seed_demo
from portal.equipment.models import Equipment
from portal.extensions import db
from portal.inspections.models import Inspection
from portal.projects.models import Project
from tests.conftest import TEST_SECRET, PortalClient, log_in_client
from tests.live import postgres_urls, recreate_postgres_database

CRAWL_DB_NAME = "portal_crawl"
PER_SHAPE = 2  # URLs per (endpoint, query parameter names)
MAX_PAGES = 400  # per role: a crawl that reaches more is a bug in the bound above
ANONYMOUS = "anonymous"
ROLES = [username for username, *_ in DEMO_USERS]


@dataclass
class Fetched:
    """One URL as one role got it."""

    url: str
    status: int
    mimetype: str
    html: str | None = None  # full HTML documents only (not fragments, files or redirects)
    links: list[str] = field(default_factory=list)  # the site's GET targets on the page
    location: str | None = None  # where a redirect leads


@dataclass
class Crawl:
    """What one role reached."""

    role: str
    pages: dict[str, Fetched] = field(default_factory=dict)
    seconds: float = 0.0

    def documents(self) -> dict[str, str]:
        """URL → HTML of every full page the role was shown."""
        return {url: page.html for url, page in self.pages.items() if page.html is not None}

    def samples(self, app: Flask) -> dict[str, str]:
        """One full page per endpoint and status (the pages of five projects share one template)."""
        seen, chosen = set(), {}
        for url, html in self.documents().items():
            key = (shape(app, url)[0], self.pages[url].status)
            if key not in seen:
                seen.add(key)
                chosen[url] = html
        return chosen

    def final_status(self, url: str) -> int | None:
        """The status ``url`` ends with after its redirects; None when the crawl did not fetch it."""
        for _ in range(10):
            page = self.pages.get(url)
            if page is None or page.location is None:
                return page.status if page else None
            url = page.location
        return None

    def dead_links(self) -> list[str]:
        """Links shown on the role's pages that answer the role 403 or 404."""
        return [f"{source} → {target} ({self.final_status(target)})"
                for source, page in self.pages.items() for target in page.links
                if self.final_status(target) in (403, 404)]


def seeded_app(tmp: Path, database_url: str, config: dict | None = None) -> Flask:
    """A portal on the empty database ``database_url``: migrated, seeded with the demo data."""
    env = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "BASE_URL": "https://portal.test",
        "COMPANY_NAME": "测试装饰工程有限公司",
        "LANGUAGE": "zh_CN",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    app = create_app(env, {"TESTING": True, **(config or {})})
    app.test_client_class = PortalClient
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
    return app


def crawl_app(tmp: Path) -> Flask:
    """The crawl's portal: a fresh SQLite file, or its own database under TEST_DATABASE_URL."""
    postgres = postgres_urls(CRAWL_DB_NAME)
    if postgres:
        recreate_postgres_database(postgres[0], CRAWL_DB_NAME)
    return seeded_app(tmp, postgres[1] if postgres else f"sqlite:///{tmp / 'crawl.db'}")


def drop_crawl_database() -> None:
    """Drop the PostgreSQL database of :func:`crawl_app` (nothing to do on SQLite)."""
    postgres = postgres_urls(CRAWL_DB_NAME)
    if postgres:
        recreate_postgres_database(postgres[0], CRAWL_DB_NAME, drop_only=True)


def client_for(app: Flask, role: str):
    """A test client logged in as the demo user ``role`` (anonymous: not logged in)."""
    client = app.test_client()
    if role != ANONYMOUS:
        with app.app_context():
            log_in_client(client, db.session.scalar(select(User).where(User.username == role)))
    return client


class _Links(HTMLParser):
    """The GET targets of a page: ``<a href>`` and ``hx-get``."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and not values["href"].startswith("#"):  # not a place on the page
            self.targets.append(values["href"])
        if values.get("hx-get"):
            self.targets.append(values["hx-get"])


def links_of(html: str) -> list[str]:
    """The GET targets on ``html``, as written."""
    parser = _Links()
    parser.feed(html)
    return parser.targets


def local_url(base: str, href: str) -> str | None:
    """``href`` (seen on ``base``) as a path with query on this site, or None when it leaves the site
    or names a static file."""
    parts = urllib.parse.urlsplit(urllib.parse.urljoin("https://portal.test" + base, href))
    if parts.scheme not in ("http", "https") or parts.netloc != "portal.test":
        return None
    if parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(app: Flask, url: str) -> tuple[str, tuple[str, ...]]:
    """(endpoint, query parameter names) of ``url``: the crawl fetches few URLs of one shape."""
    parts = urllib.parse.urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind("portal.test").match(parts.path, method="GET")
    except HTTPException:
        endpoint = parts.path
    names = tuple(sorted({name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}))
    return endpoint, names


def crawl(app: Flask, role: str, start: list[str]) -> Crawl:
    """Fetch, as ``role``, ``start`` and everything reachable from it by GET links and redirects."""
    began = time.monotonic()
    client = client_for(app, role)
    result = Crawl(role)
    shapes: Counter = Counter()
    queue: deque[str] = deque(start)
    queued = set(start)
    while queue:
        url = queue.popleft()
        assert len(result.pages) < MAX_PAGES, f"{role}: more than {MAX_PAGES} pages; is a link endless?"
        response = client.get(url)
        text = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()  # a streamed file (PDF, archive) is not read
        page = result.pages[url] = Fetched(url, response.status_code, response.mimetype)
        targets: list[str | None] = []
        if response.status_code in (301, 302, 303, 307, 308):
            page.location = local_url(url, response.headers["Location"])
            targets = [page.location]
        elif response.mimetype == "text/html":
            if text.lstrip()[:15].lower() == "<!doctype html>":
                page.html = text
            page.links = [target for href in links_of(text) if (target := local_url(url, href))]
            targets = list(page.links)
        for target in targets:
            if target is None or target in queued:
                continue
            key = shape(app, target)
            if shapes[key] >= PER_SHAPE:
                continue
            shapes[key] += 1
            queued.add(target)
            queue.append(target)
    result.seconds = time.monotonic() - began
    return result


def object_pages(app: Flask) -> list[str]:
    """The pages of the demo's objects (projects, inspections, equipment, checklists, users): all of
    the few kinds, and of the year's many projects and inspections the oldest, the newest and one
    of each inspection state (the demo's year holds hundreds; the links from them reach the rest)."""
    with app.app_context(), app.test_request_context():
        urls = []
        for project_id in _sample(db.session.scalars(select(Project.id).order_by(Project.id)).all()):
            urls += [url_for("projects.detail", project_id=project_id), url_for("projects.edit", project_id=project_id),
                     url_for("photos.concealed", project_id=project_id)]
        inspections = db.session.execute(select(Inspection.id, Inspection.status, Inspection.passed, Inspection.round)
                                         .order_by(Inspection.id)).all()
        by_state = {(status, passed, round_ > 1): inspection_id for inspection_id, status, passed, round_ in inspections}
        for inspection_id in sorted(set(_sample([i for i, *_ in inspections])) | set(by_state.values())):
            urls += [url_for("inspections.detail", inspection_id=inspection_id),
                     url_for("inspections.summary", inspection_id=inspection_id),
                     url_for("inspections.inspection_history", inspection_id=inspection_id)]
        urls += [url_for("equipment.edit", equipment_id=i) for i in db.session.scalars(select(Equipment.id))]
        urls += [url_for("checklists.detail", template_id=i) for i in db.session.scalars(select(ChecklistTemplate.id))]
        urls += [url_for("admin.edit_user", user_id=i) for i in db.session.scalars(select(User.id))]
        return urls


def _sample(ids: list[int], ends: int = 6) -> list[int]:
    """The first and the last ``ends`` ids (all of them when there are few)."""
    return ids if len(ids) <= 2 * ends else ids[:ends] + ids[-ends:]
