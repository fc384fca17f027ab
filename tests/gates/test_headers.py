"""Every GET route of the URL map, as every role and anonymously: the security headers on every
response, and nothing personal left in a cache (HTML and JSON ``no-store``; files at most ``private``)."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from portal.security import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY
from tests.gates.crawl import ANONYMOUS, ROLES, client_for

pytestmark = pytest.mark.gates

# A value for each URL argument: the demo's first objects, or something that does not exist.
ARGUMENTS = {"contract_no": "A26101201", "number": "PA-0000-0000", "token": "no-such-token", "type_name": "concealed",
             "photo_uuid": "00000000-0000-0000-0000-000000000000", "variant": "thumb", "kind": "weekly",
             "family": "default", "filename": "css/portal.css"}

# Answers that are the same for everybody (checked below), so any cache may keep them: the app
# shell the service worker and the browser fetch for every user alike.
SAME_FOR_EVERYBODY = ("/favicon.ico", "/sw.js", "/manifest.webmanifest", "/offline")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def get_urls(app) -> list[str]:
    """One URL per GET route."""
    urls = []
    adapter = app.url_map.bind("portal.test")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()):
            continue
        urls.append(adapter.build(rule.endpoint, {name: _argument(rule, name) for name in rule.arguments}))
    return urls


def _argument(rule: Rule, name: str):
    converter = rule._converters[name]
    return 1 if type(converter).__name__ in ("IntegerConverter", "IdConverter") else ARGUMENTS[name]


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_every_route_carries_the_security_headers_and_personal_answers_are_not_cached(demo_portal, role):
    client = client_for(demo_portal, role)
    anonymous = client_for(demo_portal, ANONYMOUS)
    problems = []
    for url in get_urls(demo_portal):
        response = client.get(url)
        response.close()  # streamed files
        for name, value in SECURITY_HEADERS.items():
            if response.headers.get(name) != value:
                problems.append(f"{url} ({response.status_code}): {name} is {response.headers.get(name)!r}")
        cache = response.headers.get("Cache-Control", "")
        if url.startswith("/static/"):
            continue
        if url in SAME_FOR_EVERYBODY:
            if role != ANONYMOUS and response.get_data() != anonymous.get(url).get_data():
                problems.append(f"{url}: differs from what an anonymous visitor gets, so it must not be shared")
            continue
        personal = role != ANONYMOUS or response.mimetype == "application/json"
        if personal and response.mimetype in ("text/html", "application/json") and "no-store" not in cache:
            problems.append(f"{url} ({response.status_code}, {response.mimetype}): Cache-Control {cache!r}")
        elif role != ANONYMOUS and "no-store" not in cache and "private" not in cache:
            problems.append(f"{url} ({response.status_code}, {response.mimetype}): shared caches may keep it: {cache!r}")
    assert not problems, "\n".join(problems)


def test_the_url_map_is_covered(demo_portal):
    urls = get_urls(demo_portal)
    assert len(urls) >= 40 and "/dashboard/" in urls and "/api/v1/settlement/A26101201" in urls
