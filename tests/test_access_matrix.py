"""Role × URL access matrix over every route of the portal, including other people's projects.

A route added without a row here fails ``test_every_route_is_in_the_matrix``.
"""
from __future__ import annotations

import pytest

from portal.auth.roles import Role
from portal.extensions import db
from tests.factories import make_inspection, make_project, make_user

ANON = "anonymous"
ALL_ROLES = [ANON, *Role]
EVERYONE = set(Role)
OK, DENIED, HIDDEN, LOGIN = 200, 403, 404, "login"


def expect(allowed: set, denied=DENIED, anon=LOGIN, ok=OK) -> dict:
    """Expected answer per role: ``ok`` for allowed roles, ``denied`` for the others."""
    return {role: (anon if role == ANON else ok if role in allowed else denied) for role in ALL_ROLES}


DESK = {Role.OFFICE, Role.ENGINEERING, Role.INSPECTOR, Role.FINANCE, Role.ADMIN}

# (method, url, endpoint, expected per role). {own} is a project of the logged-in foreman/PM
# (and visible to everybody else), {other} belongs to somebody else, {user} is some account.
MATRIX = [
    ("GET", "/login", "auth.login", {r: OK if r == ANON else 302 for r in ALL_ROLES}),
    ("POST", "/login", "auth.login", {r: 422 if r == ANON else 302 for r in ALL_ROLES}),
    ("POST", "/logout", "auth.logout", expect(EVERYONE, ok=302)),
    ("POST", "/language", "auth.set_language", {r: 302 for r in ALL_ROLES}),
    ("GET", "/", "home.index", expect(EVERYONE, ok=302)),
    ("GET", "/healthz", "health.healthz", {r: OK for r in ALL_ROLES}),
    ("GET", "/healthz/live", "health.live", {r: OK for r in ALL_ROLES}),
    ("GET", "/favicon.ico", "favicon", {r: 302 for r in ALL_ROLES}),
    ("GET", "/manifest.webmanifest", "offline.manifest", {r: OK for r in ALL_ROLES}),
    ("GET", "/sw.js", "offline.worker", {r: OK for r in ALL_ROLES}),
    ("GET", "/offline", "offline.offline_page", {r: OK for r in ALL_ROLES}),
    ("GET", "/projects/", "projects.index", expect(EVERYONE)),
    ("GET", "/projects/new", "projects.create", expect({Role.OFFICE, Role.ENGINEERING})),
    ("POST", "/projects/new", "projects.create", expect({Role.OFFICE, Role.ENGINEERING}, ok=422)),
    ("GET", "/projects/{own}", "projects.detail", expect(EVERYONE)),
    ("GET", "/projects/{other}", "projects.detail", expect(DESK, denied=HIDDEN)),
    ("GET", "/projects/{own}/edit", "projects.edit", expect({Role.OFFICE, Role.ENGINEERING})),
    ("GET", "/projects/{other}/edit", "projects.edit",
     {**expect({Role.OFFICE, Role.ENGINEERING}), Role.FOREMAN: HIDDEN, Role.PROJECT_MANAGER: HIDDEN}),
    ("POST", "/projects/{other}/edit", "projects.edit",
     {**expect({Role.OFFICE, Role.ENGINEERING}, ok=422), Role.FOREMAN: HIDDEN, Role.PROJECT_MANAGER: HIDDEN}),
    ("GET", "/projects/999999", "projects.detail", expect(set(), denied=HIDDEN)),
    ("GET", "/inspections/today", "inspections.today", expect({Role.INSPECTOR, Role.OFFICE})),
    ("GET", "/notices/mine", "rectification.my_notices", expect({Role.FOREMAN, Role.PROJECT_MANAGER})),
    ("GET", "/dashboard/", "dashboard.index", expect({Role.OFFICE})),
    ("GET", "/schedule/submissions", "schedule.submissions", expect({Role.ENGINEERING, Role.OFFICE})),
    ("GET", "/finance/", "finance.lookup", expect({Role.FINANCE, Role.OFFICE})),
    ("GET", "/admin/users", "admin.users", expect({Role.ADMIN})),
    ("GET", "/admin/users/new", "admin.new_user", expect({Role.ADMIN})),
    ("POST", "/admin/users/new", "admin.new_user", expect({Role.ADMIN}, ok=422)),
    ("GET", "/admin/users/{user}", "admin.edit_user", expect({Role.ADMIN})),
    ("POST", "/admin/users/{user}", "admin.edit_user", expect({Role.ADMIN}, ok=302)),
    ("POST", "/admin/users/{user}/password", "admin.reset_user_password", expect({Role.ADMIN}, ok=422)),
    ("GET", "/admin/users/999999", "admin.edit_user", expect({Role.ADMIN}, ok=HIDDEN)),
]


# Placeholders a feature's rows file fills in itself: {"prefix": function(logged-in user or None) -> ids}
# (its ``PLACEHOLDERS``); used for the rows whose URL contains "{prefix".
FEATURE_PLACEHOLDERS: dict = {}


def _feature_rows() -> list:
    """Rows that feature packages keep next to their tests, in ``tests/<feature>/access_rows.py``."""
    import importlib
    import pathlib

    rows = []
    for path in sorted(pathlib.Path(__file__).parent.glob("*/access_rows.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.access_rows")
        rows.extend(module.ROWS)
        FEATURE_PLACEHOLDERS.update(getattr(module, "PLACEHOLDERS", {}))
    return rows


MATRIX.extend(_feature_rows())


def feature_ids(url: str, user) -> dict:
    """The ids of the feature placeholders in ``url`` (see ``FEATURE_PLACEHOLDERS``), made for ``user``."""
    ids = {}
    for prefix, make_ids in FEATURE_PLACEHOLDERS.items():
        if "{" + prefix in url:
            ids.update(make_ids(user))
    return ids


def test_every_route_is_in_the_matrix(app):
    covered = {(endpoint, method) for method, _url, endpoint, _exp in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("failing."):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without access-matrix rows:\n" + "\n".join(sorted(missing))


def _inspection_ids(inspector) -> dict:
    """{insp_own}: the logged-in inspector's (else anybody's) started inspection; {item}: one of its items;
    {insp_other}: another inspector's; {insp_done}: a finished one of the logged-in inspector (or anybody)."""
    from portal.inspections.services import answers_version, finish, load_answers, save_answer

    own = make_inspection(inspector=inspector)
    other = make_inspection()
    done = make_inspection(inspector=inspector)
    for row in load_answers(done):
        save_answer(row, done.inspector, **({"raw_value": "5"} if row.item.is_measured else {"outcome": "pass"}))
    finish(done, done.inspector, answers_version(done))
    return {"insp_own": own.id, "insp_other": other.id, "insp_done": done.id, "item": load_answers(own)[0].item_id}


CASES = [(method, url, role, expected[role]) for method, url, _endpoint, expected in MATRIX for role in ALL_ROLES]


@pytest.mark.parametrize("method, url, role, expected", CASES,
                         ids=[f"{m} {u} as {r}" for m, u, r, _e in CASES])
def test_access(client, login_as, method, url, role, expected):
    user = None if role == ANON else make_user(role)
    own = make_project(foreman=user if role == Role.FOREMAN else None,
                       project_manager=user if role == Role.PROJECT_MANAGER else None)
    other = make_project()
    someone = make_user(Role.INSPECTOR)
    ids = {"own": own.id, "other": other.id, "user": someone.id}
    if "{insp" in url or "{item}" in url:
        ids.update(_inspection_ids(user if role == Role.INSPECTOR else None))
    ids.update(feature_ids(url, user))
    db.session.commit()
    if user is not None:
        login_as(user)
    target = url.format(**ids)
    response = client.open(target, method=method, data={})
    if expected == LOGIN:
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.text[:300]
