"""The database goes away for a moment: clear 503s, /healthz says so, and the app recovers by itself.

A small TCP relay in front of PostgreSQL plays the network: closing it cuts every
connection (as a restarting database or a broken link would), opening it again brings the
database back. No restart of the app in between.
"""
from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = [
    pytest.mark.fault,
    pytest.mark.real_commits,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]


class Relay:
    """Forwards a local port to the database; ``cut()`` drops all connections and refuses new ones."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.sockets: list[socket.socket] = []
        self.server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self):
        """The database is unreachable: close live connections, refuse new ones."""
        self.open.clear()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.sockets.clear()

    def restore(self):
        """The database is back."""
        self.open.set()

    def close(self):
        self.cut()
        self.server.close()


@pytest.fixture
def outage_app(app):
    """A second portal whose database connections go through the relay."""
    from portal import create_app
    from tests.conftest import PortalClient

    url = urlsplit(os.environ["TEST_DATABASE_URL"])
    relay = Relay((url.hostname or "127.0.0.1", url.port or 5432))
    relayed = url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{relay.port}").geturl()
    env = {"PORTAL_ENV": "testing", "SECRET_KEY": app.secret_key, "BASE_URL": "https://portal.test",
           "DATABASE_URL": relayed, "UPLOAD_DIR": app.config["UPLOAD_DIR"]}
    portal = create_app(env, {"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}})
    portal.test_client_class = PortalClient
    yield portal, relay
    relay.close()
    import time

    time.sleep(0.2)  # let the relay threads close their sockets
    from portal.extensions import db

    with portal.app_context():
        db.engine.dispose()


def test_outage_gives_503_and_the_app_recovers_without_restart(outage_app):
    from portal.extensions import db

    portal, relay = outage_app
    saved = db.session
    db.session = db._make_scoped_session({})  # this app's own connections, not the suite's test transaction
    context = portal.app_context()
    context.push()
    try:
        client = portal.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/login").status_code == 200

        relay.cut()
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json["database"] == "unreachable"
        page = client.post("/login", data={"username": "nobody", "password": "x"})
        assert page.status_code == 503
        assert "暂时无法连接数据库" in page.text and "Traceback" not in page.text

        relay.restore()
        assert client.get("/healthz").status_code == 200
        assert client.post("/login", data={"username": "nobody", "password": "x"}).status_code == 401
    finally:
        db.session.remove()
        context.pop()
        db.session = saved
