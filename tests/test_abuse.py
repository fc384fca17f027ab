"""Abuse: hostile inputs against every form, every page's query string and the JSON API.

Every POST route of the access matrix (``tests/test_access_matrix.py`` with the feature rows)
is posted by a role allowed to use it, with every field of its form (found by GETting the page
the form lives on, plus a generic set) filled with one hostile value at a time. The portal must
answer with a 4xx and a message or save correctly, never with a 500, and a script payload must
never come back unescaped (neither in the answer nor on the page it redirects to). Every GET
route gets hostile query strings; the accounting API gets hostile contract numbers and hostile
Authorization headers.

With ``TESTING`` on, Flask lets unexpected exceptions through instead of answering 500: such an
exception is counted as a 500 here, with the last line of its traceback (``tests/hostile.py``, shared
with the property-based battery in ``tests/battery``).
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from portal.auth.roles import Role
from portal.extensions import db
from tests.conftest import log_in_client
from tests.factories import make_project, make_user
from tests.hostile import HOSTILE, IMG, SCRIPT
from tests.hostile import call as _call
from tests.hostile import label as _label
from tests.test_access_matrix import ANON, LOGIN, MATRIX, _inspection_ids, feature_ids

pytestmark = pytest.mark.fault

RAW_MARKUP = (SCRIPT, "<img src=x onerror=alert(1)>")
GENERIC_FIELDS = [
    "name", "reason", "note", "text", "value", "raw_value", "outcome", "q", "deadline", "amount", "reference",
    "paid_on", "contract_no", "address", "username", "password", "display_name", "email", "phone", "role",
    "roles", "language", "next", "number", "project_id", "template_id", "scheduled_for", "date", "day",
    "week_start", "inspector_id", "slot", "signer_name", "strokes", "image", "month", "version", "title",
    "description", "serial", "valid_from", "valid_until", "kind", "fixes", "position", "direction",
]
FIELD_RE = re.compile(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"', re.I)
ALLOWED_STATUSES = (403, 404, LOGIN)


def _allowed_role(expected: dict):
    """The first logged-in role the matrix lets use the route (None: nobody but anonymous)."""
    for role, status in expected.items():
        if role != ANON and status not in ALLOWED_STATUSES:
            return role
    return ANON if expected.get(ANON) not in ALLOWED_STATUSES else None


def _dedupe(rows):
    seen, out = set(), []
    for method, url, endpoint, expected in rows:
        if (method, url) not in seen:
            seen.add((method, url))
            out.append((method, url, endpoint, expected))
    return out


POST_ROWS = [(url, endpoint, _allowed_role(exp)) for method, url, endpoint, exp in _dedupe(MATRIX)
             if method == "POST" and _allowed_role(exp) is not None]
GET_ROWS = [(url, endpoint, _allowed_role(exp)) for method, url, endpoint, exp in _dedupe(MATRIX)
            if method == "GET" and _allowed_role(exp) is not None and not url.startswith("/api/")]


def _params(method, rows):
    return [pytest.param(url, endpoint, role, id=f"{method} {url} as {role}") for url, endpoint, role in rows]


def _setup(role, url: str):
    """The matrix's objects for ``role``: (user or None, ids for the placeholders of ``url``)."""
    user = None if role in (None, ANON) else make_user(role)
    own = make_project(foreman=user if role == Role.FOREMAN else None,
                       project_manager=user if role == Role.PROJECT_MANAGER else None)
    other = make_project()
    someone = make_user(Role.INSPECTOR)
    ids = {"own": own.id, "other": other.id, "user": someone.id}
    ids.update(_inspection_ids(user if role == Role.INSPECTOR else None))
    ids.update(feature_ids(url, user))
    db.session.commit()
    return user, ids


def _login(client, user):
    """(Re)log the client in as ``user`` (a hostile post may have logged him out)."""
    if user is None:
        return
    log_in_client(client, user)


def _is_html(response) -> bool:
    return (response.mimetype or "").startswith("text/html")


def _unescaped(response) -> str | None:
    if response is None or not _is_html(response):
        return None
    body = response.get_data(as_text=True)
    return next((raw for raw in RAW_MARKUP if raw in body), None)


def _form_fields(client, url: str) -> list[str]:
    """Field names of the form behind ``url``: from the page itself, else from its parent pages."""
    candidates = [url]
    parts = url.rstrip("/").split("/")
    for cut in range(1, min(len(parts) - 1, 4)):
        candidates.append("/".join(parts[:-cut]) or "/")
    names: list[str] = []
    for candidate in candidates:
        response, _error = _call(client, candidate, method="GET")
        if response is not None and response.status_code == 200 and _is_html(response):
            names = FIELD_RE.findall(response.get_data(as_text=True))
            if names:
                break
    return [n for n in dict.fromkeys(names + GENERIC_FIELDS) if n != "csrf_token"]


@pytest.mark.parametrize("url, endpoint, role", _params("POST", POST_ROWS))
def test_hostile_form_posts(client, url, endpoint, role):
    user, ids = _setup(role, url)
    target = url.format(**ids)
    _login(client, user)
    fields = _form_fields(client, target)
    failures = []
    for value in HOSTILE:
        _login(client, user)
        response, error = _call(client, target, method="POST", data={name: value for name in fields})
        if error or response.status_code >= 500:
            failures.append(f"POST {target} ({endpoint}) value={_label(value)} -> "
                            f"{error or response.status_code}")
            continue
        if value in (SCRIPT, IMG):
            leaked = _unescaped(response)
            if leaked is None and response.status_code in (301, 302, 303) and response.location:
                follow, error = _call(client, response.location, method="GET")
                if error or follow.status_code >= 500:
                    failures.append(f"GET {response.location} after POST {target} value={_label(value)} -> "
                                    f"{error or follow.status_code}")
                    continue
                leaked = _unescaped(follow)
            if leaked:
                failures.append(f"POST {target} ({endpoint}) value={_label(value)}: unescaped {leaked!r} in HTML")
    assert not failures, "\n".join(failures)


QUERY_KEYS = ["project", "q", "page", "from", "to", "month", "start", "end", "day", "period", "table", "kind", "annulled", "all"]


@pytest.mark.parametrize("url, endpoint, role", _params("GET", GET_ROWS))
def test_hostile_query_strings(client, url, endpoint, role):
    user, ids = _setup(role, url)
    target = url.format(**ids).split("?")[0]
    heavy = target.endswith(("/pdf", ".zip", ".ics")) or "/original" in target or "/thumb" in target
    values = [SCRIPT, "a" * 100_000, "-99999999999999999999", "\x00", "😀"] if heavy else HOSTILE
    failures = []
    for value in values:
        for extra in ({}, {"format": "csv"}):
            _login(client, user)
            query = urlencode({**{key: value for key in QUERY_KEYS}, **extra})
            response, error = _call(client, f"{target}?{query}", method="GET")
            if error or response.status_code >= 500:
                failures.append(f"GET {target} ({endpoint}) ?…={_label(value)} {extra} -> "
                                f"{error or response.status_code}")
            elif value in (SCRIPT, IMG) and _unescaped(response):
                failures.append(f"GET {target} ({endpoint}) ?…={_label(value)}: unescaped markup in HTML")
    assert not failures, "\n".join(failures)


def test_api_hostile_contract_numbers(client):
    from portal.api.tokens import create_token

    _row, token = create_token("abuse", make_user(Role.ADMIN))
    db.session.commit()
    failures = []
    for value in HOSTILE + ["A26101201' OR '1'='1", "A2610120%", "A26101201\n", "Z" * 5000]:
        path = "/api/v1/settlement/" + quote(value, safe="")
        response, error = _call(client, path, method="GET", headers={"Authorization": f"Bearer {token}"})
        if error or response.status_code >= 500:
            failures.append(f"GET {path[:80]} value={_label(value)} -> {error or response.status_code}")
        elif response.status_code not in (200, 404):
            failures.append(f"GET {path[:80]} value={_label(value)} -> unexpected {response.status_code}")
        elif "/" not in value and value and not response.is_json:
            failures.append(f"GET {path[:80]} value={_label(value)} -> {response.status_code} is not JSON")
    assert not failures, "\n".join(failures)


def _header(value: str) -> str:
    """What a WSGI server hands the app for a header sent as UTF-8 bytes (latin-1 text)."""
    return value.encode("utf-8").decode("latin-1")


def test_api_hostile_authorization_headers(client):
    from portal.api.tokens import create_token

    _row, token = create_token("abuse", make_user(Role.ADMIN))
    db.session.commit()
    headers = [f"Bearer {value}" for value in HOSTILE if "\x00" not in value] + [
        value for value in HOSTILE if value and "\x00" not in value] + [
        "Bearer", "Bearer  ", f"Basic {token}", f"Bearer {token}x", f"Bearer {token[:-1]}", f"Token {token}",
        f"Bearer {token.upper()}", "Bearer " + "a" * 100_000, f"Bearer {token} {token}", "bearer",
    ]
    failures = []
    for header in headers:
        response, error = _call(client, "/api/v1/settlement/A26101201", method="GET",
                                headers={"Authorization": _header(header)})
        if error or response.status_code != 401:
            failures.append(f"Authorization={_label(header)} -> {error or response.status_code}")
        elif not response.is_json:
            failures.append(f"Authorization={_label(header)} -> 401 is not JSON")
    assert not failures, "\n".join(failures)


HUGE_IDS = ["99999999999999999999", "9223372036854775808", "2147483648", "0"]
PATH_ROWS = [(method, url, role) for method, url, _endpoint, exp in _dedupe(MATRIX)
             if (role := _allowed_role(exp)) is not None and re.search(r"\{\w+\}|/\d+(/|$)", url)]


def test_huge_ids_in_paths(client):
    """Every route with an id in its path, the ids replaced by numbers no column can hold: 404, never 500."""
    users = {}
    failures = []
    for method, url, role in PATH_ROWS:
        if role not in users:
            users[role] = None if role == ANON else make_user(role)
            db.session.commit()
        for huge in HUGE_IDS:
            target = re.sub(r"/\d+(?=/|$|\?)", f"/{huge}", re.sub(r"\{\w+\}", huge, url))
            _login(client, users[role])
            response, error = _call(client, target, method=method, data={})
            if error or response.status_code >= 500:
                failures.append(f"{method} {target} -> {error or response.status_code}")
    assert not failures, "\n".join(failures)
