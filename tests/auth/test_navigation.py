"""The menu is derived from the permission table: every link shown answers 200, every page left out answers 403.

Also: no template tests roles by name; templates ask ``can``.
"""
from __future__ import annotations

import re
import pytest
from flask import url_for

from portal.auth.navigation import NAV
from portal.auth.roles import Role
from portal.config import PROJECT_ROOT
from portal.extensions import db
from portal.notifications.models import Notification

MENU_RE = re.compile(r'<nav class="menu-panel".*?</nav>', re.S)
LINK_RE = re.compile(r'<li><a href="([^"]+)">')


def menu_links(html: str) -> list[str]:
    return LINK_RE.findall(MENU_RE.search(html).group(0))


@pytest.fixture
def urls(app) -> dict[str, str]:
    """Menu entry endpoint → URL."""
    with app.test_request_context():
        return {entry.endpoint: url_for(entry.endpoint) for entry in NAV}


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_opens_and_every_missing_one_is_refused(client, login_as, urls, role):
    login_as(role)
    shown = menu_links(client.get("/notifications/").text)
    assert shown == [urls[e.endpoint] for e in NAV if urls[e.endpoint] in shown]  # menu order
    for entry in NAV:
        status = client.get(urls[entry.endpoint]).status_code
        assert status == (200 if urls[entry.endpoint] in shown else 403), (entry.endpoint, status)


def test_the_menu_keeps_its_labels_order_unread_count_and_logout(client, login_as):
    user = login_as(Role.OFFICE)
    db.session.add(Notification(user_id=user.id, kind="test", text="x"))
    db.session.commit()
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    menu = MENU_RE.search(client.get("/notifications/").text).group(0)
    labels = re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', menu)
    assert labels == ["Dashboard", "Monthly awards", "Inspections", "Checklist templates", "Equipment", "Weekly list",
                      "Week schedule", "Settlement lookup", "Rectification notices", "Penalties", "Projects",
                      "Notifications (1)", "Pass certificates", "After-sales"]
    assert 'action="/logout"' in menu and 'name="csrf_token"' in menu


ROLE_TEST = re.compile(r"current_user\.roles|has_role")
ROLE_NAMES = "|".join(str(role) for role in Role)
IF_WITH_ROLE = re.compile(r"\{%-?\s*(?:el)?if\b[^%]*?['\"](?:" + ROLE_NAMES + r")['\"][^%]*%\}")


def test_no_template_tests_roles_by_name():
    offenders = []
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (ROLE_TEST, IF_WITH_ROLE):
            offenders += [f"{path.relative_to(PROJECT_ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, "templates must ask can(...), not test roles:\n" + "\n".join(offenders)
