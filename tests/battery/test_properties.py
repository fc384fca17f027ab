"""Property-based battery: every GET and POST route of the URL map, every role, generated parameters.

For each route Hypothesis draws requests (``tests/battery/strategies.py``): real ids of the
stored world and ids no column holds, query strings and form fields named as the view reads
them, with dates across the whole calendar, huge and negative numbers, empty values, any
Unicode with control and bidi characters, very long texts, uploads, htmx and API headers.
Each request goes out as one of the seven roles or anonymously, in a savepoint of its own that
is rolled back, with the CSRF token a browser sends. Two properties hold:

- no answer is a 5xx (an exception escaping the app counts as one), and
- a refused request (≥ 400) leaves the database as it was (rows of every table, counters).

Every role first sends the route's plain request (real ids, no parameters). The roles the route
lets in (not refused as such: 401, 403 or the login page) are drawn three times as often for
the generated requests as the others, which are refused before any parameter is read.
The draws are derandomized, so CI sends the same requests every time; failures are collected
for the whole route (one line per kind of failure, with the request) rather than shrunk.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.battery.conftest import isolated
from tests.battery.probe import database_state, send, send_answer
from tests.battery.routes import all_routes, url_map_app
from tests.battery.strategies import Probe, fragment_targets, probes, real_paths
from tests.battery.world import ROLES

pytestmark = pytest.mark.fault

ROUTES = all_routes(url_map_app())
EXAMPLES = 20  # generated requests per route
HEAVY_EXAMPLES = 4  # PDFs and archives render for a while
ADMITTED_WEIGHT = 3


def _plain(route, world) -> Probe:
    return Probe(real_paths(route, world)[0] if route.arguments else route.rule)


def _admitted(app, world, route) -> list[str]:
    """The roles whose plain request the route does not refuse as such (401, 403, the login page)."""
    admitted = []
    for role in ROLES:
        with isolated():
            status, to_login = send_answer(app, world, str(role), route.method, _plain(route, world))
        if status not in (401, 403) and not to_login:
            admitted.append(str(role))
    return admitted


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_no_server_error_and_refusals_change_nothing(app, world, route):
    baseline = database_state()
    failures: dict[str, str] = {}

    def check_one(role: str, probe: Probe) -> None:
        with isolated():
            problem = send(app, world, role, route.method, probe, baseline)
        if problem:
            failures.setdefault(problem.split(" at ")[0][:160], f"{problem} as {role}: {probe.describe()}")

    for role in ROLES:
        check_one(str(role), _plain(route, world))
    roles = _admitted(app, world, route) * ADMITTED_WEIGHT + [str(role) for role in ROLES]

    @settings(max_examples=HEAVY_EXAMPLES if route.heavy else EXAMPLES, deadline=None, derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(st.sampled_from(roles), probes(route, world, fragment_targets(world)))
    def check(role, probe):
        check_one(role, probe)

    check()
    assert not failures, f"{route.id}:\n" + "\n".join(failures.values())


def test_every_route_is_probed(app):
    """The battery's route list is the app's URL map (static files aside)."""
    assert {route.id for route in all_routes(app)} == {route.id for route in ROUTES}
    assert len(ROUTES) > 100
