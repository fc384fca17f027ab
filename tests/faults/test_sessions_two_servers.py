"""Two app servers on one database, as a company runs them behind a load balancer: a session
opened on one works on the other, and ending it on one ends it on both (no state in a process)."""
from __future__ import annotations

import pytest

from tests.faults.server import Client, call_in_app, serve, standalone_app, start_gunicorn
from tests.live import free_port

pytestmark = pytest.mark.fault


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The suite's autouse fixtures get an app that never touches the shared test database."""
    return standalone_app(tmp_path_factory)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(server A, server B): two gunicorn masters on one freshly seeded database."""
    tmp = tmp_path_factory.mktemp("two_servers")
    with start_gunicorn(tmp, "sessions_two_servers", workers=1) as first:
        with serve(first.env, free_port(), 1, tmp / "second.log") as second:
            yield first, second


def _copy(client: Client, base_url: str) -> Client:
    """The same cookies sent to another server (what the load balancer does between requests)."""
    return Client(base_url, cookies=dict(client.cookies), csrf=client.csrf)


def _logged_out(response) -> bool:
    return response.status == 302 and response.headers["location"].startswith("/login")


def test_a_session_from_one_server_works_on_the_other_and_logout_ends_it_on_both(servers):
    first, second = servers
    phone = Client(first.url)
    phone.login("office")
    saved = dict(phone.cookies)
    on_second = _copy(phone, second.url)
    assert on_second.get("/dashboard/").status == 200
    assert on_second.post_form("/logout", {}).status == 302
    for server in (first, second):
        replayed = Client(server.url, cookies=dict(saved))
        assert _logged_out(replayed.get("/dashboard/")), server.url


def test_a_password_reset_ends_sessions_on_every_server(servers):
    first, second = servers
    phone = Client(first.url)
    phone.login("foreman")
    assert phone.get("/notices/mine").status == 200
    call_in_app(first.env, "tests.faults.test_sessions_two_servers:reset_foreman_password")
    assert _logged_out(phone.get("/notices/mine"))
    assert _logged_out(_copy(phone, second.url).get("/notices/mine"))


def reset_foreman_password() -> None:
    """Inside the app (another process): the administrator's password reset of the demo foreman."""
    from portal.auth.services import find_user, reset_password

    reset_password(find_user("foreman"), "a-new-password-1")
