"""Boundary walk: store data at the edges of what the forms accept, then GET every page and feed as every role.

The boundary world (``tests/battery/world.py``) holds dates on the first business day and the
last day a report or a plan may name, the longest texts the columns hold with emoji,
right-to-left text and bidi controls, zero and maximal amounts, and a notice with every item of
the default checklist. Every GET route of the URL map is then requested by the seven roles and
anonymously, with the real ids and strings of those objects in its path (an item with its own
checklist version, a record with its own signature type): pages, their htmx fragments, CSV
exports, PDFs, the photo variants, the calendar feed and the accounting API with a token. Routes
that read dates also get the edges of the window in their query string. Nothing may answer 5xx,
and every route must answer at least one of them below 400 (else the walk proved nothing).
"""
from __future__ import annotations

import pytest

from portal.params import EARLIEST_DAY, latest_report_day
from tests.battery.conftest import isolated
from tests.battery.probe import client_as
from tests.battery.routes import all_routes, url_map_app
from tests.battery.strategies import QUERY_CHOICES, Probe, fragment_targets, real_paths
from tests.battery.world import ROLES, World, edgy
from tests.hostile import call

pytestmark = pytest.mark.fault

GET_ROUTES = [route for route in all_routes(url_map_app()) if route.method == "GET"]


def _queries(route) -> list[dict]:
    """No query, and the edges of the window for the names the route reads (CSV exports included)."""
    first, last = EARLIEST_DAY.isoformat(), latest_report_day().isoformat()
    reads = route.reads
    queries: list[dict] = [{}]
    if {"from", "to"} & reads:
        queries += [{"from": first, "to": last}, {"from": last}, {"to": first}]
    if "start" in reads:
        queries += [{"start": first}, {"start": last}]
    if "start" in reads and "end" in reads:
        queries += [{"period": "custom", "start": first, "end": last}]
    if "day" in reads:
        queries += [{"day": first}, {"day": last}]
    if "month" in reads:
        queries += [{"month": first[:7]}, {"month": last[:7]}]
    if {"all", "annulled"} & reads:
        queries += [{"all": "1", "annulled": "1"}]
    if "q" in reads:
        queries += [{"q": edgy(100)}]
    if "format" in reads:
        tables = QUERY_CHOICES["table"] if "table" in reads else (None,)
        queries += [{"format": "csv", **({"table": t} if t else {}), **({"from": first, "to": last}
                                                                      if {"from", "to"} & reads else {})}
                    for t in tables]
    return queries


def _headers(route, world: World) -> list[dict]:
    """Plain, an htmx request (a boosted link), and htmx aimed at each fragment target where the view has some."""
    headers = [{}, {"HX-Request": "true"}]
    if route.fragments:
        headers += [{"HX-Request": "true", "HX-Target": target} for target in fragment_targets(world)]
    if route.rule.startswith("/api/"):
        headers = [{"Authorization": f"Bearer {world.api_token}"}, {}]
    return headers


@pytest.mark.parametrize("route", GET_ROUTES, ids=[route.id for route in GET_ROUTES])
def test_every_page_and_feed_shows_boundary_data(app, boundary_world, route):
    failures: dict[str, str] = {}
    successes = 0
    paths = real_paths(route, boundary_world)
    for path in paths[-1:] if route.heavy else paths:  # a PDF or archive of the newest (boundary) object
        for role in ROLES:
            probes = [Probe(path, query=query) for query in _queries(route)]
            if not route.heavy:  # a PDF or archive is the same for htmx
                probes += [Probe(path, headers=headers) for headers in _headers(route, boundary_world)[1:]]
            if route.rule.startswith("/api/"):
                probes = [Probe(path, headers=headers) for headers in _headers(route, boundary_world)]
            for probe in probes:
                with isolated():
                    response, error = call(client_as(app, boundary_world, str(role)), probe.path,
                                           query_string=probe.query, headers=probe.headers)
                if error or response.status_code >= 500:
                    problem = f"500 ({error})" if error else str(response.status_code)
                    failures.setdefault(problem.split(" at ")[0][:160], f"{problem} as {role}: {probe.describe()}")
                elif response.status_code < 400 and "/login" not in (response.location or ""):
                    successes += 1
    assert not failures, f"{route.id}:\n" + "\n".join(failures.values())
    assert successes, f"{route.id}: no role got an answer below 400 with the boundary data"
