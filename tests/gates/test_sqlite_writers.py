"""The embedded SQLite database holds a small crew of writers.

A portal on its own SQLite file (migrated, demo data), a busy timeout of one second, office
clients in threads adding instruments, and another connection that now and then holds the
write lock longer than the timeout (a long request, a backup). Every write either succeeds
and is in the database, or answers 503 with Retry-After and left nothing — never a 500, and a
request that meets the lock waits for it once, not again in its error page.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from datetime import timedelta

import pytest

from portal.errors import RETRY_AFTER_SECONDS
from portal.timeutil import local_today
from tests.gates.crawl import client_for, seeded_app

BUSY_MS = 1000

pytestmark = [
    pytest.mark.gates,
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the embedded SQLite database only"),
]


@pytest.fixture(scope="module")
def crew(tmp_path_factory):
    """(app, path of its SQLite file)."""
    tmp = tmp_path_factory.mktemp("sqlite_crew")
    path = tmp / "crew.db"
    app = seeded_app(tmp, f"sqlite:///{path}", {"SQLITE_BUSY_TIMEOUT_MS": BUSY_MS, "PROPAGATE_EXCEPTIONS": False})
    return app, path


def add_instrument(client, serial: str):
    """POST the new-instrument form."""
    today = local_today()
    return client.post("/equipment/new", data={
        "name": "激光水平仪", "serial_no": serial, "calibrated_on": (today - timedelta(days=10)).isoformat(),
        "valid_until": (today + timedelta(days=300)).isoformat(), "notes": ""})


def serials_in(path) -> set[str]:
    """Serial numbers of the instruments in the database file."""
    with closing(sqlite3.connect(path, timeout=30)) as conn:
        return {row[0] for row in conn.execute("SELECT serial_no FROM equipment")}


@contextmanager
def write_lock_held(path, seconds: float):
    """Another connection holds the write lock for ``seconds`` (from when the block starts)."""
    taken = threading.Event()

    def hold():
        with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            taken.set()
            time.sleep(seconds)
            conn.execute("ROLLBACK")

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        holder.join()


def test_settings_of_the_connection(crew):
    app, path = crew
    with app.app_context():
        with app.extensions["sqlalchemy"].engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_MS


def test_a_write_that_meets_the_lock_waits_once_and_answers_503_without_the_database(crew):
    app, path = crew
    client = client_for(app, "office")
    with client.session_transaction() as sess:
        sess["lang"] = "en"  # the error page takes the language from the session, not from the user's row
    with write_lock_held(path, 3 * BUSY_MS / 1000):
        began = time.monotonic()
        response = add_instrument(client, "LOCK-1")
        waited = time.monotonic() - began
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Temporarily unavailable" in response.text and "Nothing was saved" in response.text
    assert 'class="menu"' not in response.text  # the menu would need the user from the database
    # One wait for the lock; the error page did not wait for it a second time.
    assert BUSY_MS / 1000 <= waited < 1.8 * BUSY_MS / 1000, waited
    assert "LOCK-1" not in serials_in(path)

    assert add_instrument(client, "LOCK-1").status_code == 302  # sent again once the lock is free
    assert "LOCK-1" in serials_in(path)


def test_concurrent_writers_get_no_500_and_lose_nothing(crew):
    app, path = crew
    results: list[tuple[str, int, str | None]] = []
    errors: list[BaseException] = []

    clients = [client_for(app, "office") for _ in range(4)]

    def writer(n: int) -> None:
        client = clients[n]
        try:
            for i in range(8):
                response = add_instrument(client, f"CREW-{n}-{i}")
                results.append((f"CREW-{n}-{i}", response.status_code, response.headers.get("Retry-After")))
        except BaseException as error:  # noqa: BLE001 — reported below, in the test's thread
            errors.append(error)

    def lock_now_and_then() -> None:
        for _ in range(2):
            time.sleep(0.3)
            with write_lock_held(path, 1.5 * BUSY_MS / 1000):
                pass

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)] + [threading.Thread(target=lock_now_and_then)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 32
    statuses = {status for _, status, _ in results}
    assert statuses <= {302, 503}, sorted(results, key=lambda r: r[1])[-3:]
    assert all(retry == str(RETRY_AFTER_SECONDS) for _, status, retry in results if status == 503)
    saved = {serial for serial, status, _ in results if status == 302}
    refused = {serial for serial, status, _ in results if status == 503}
    in_database = {serial for serial in serials_in(path) if serial.startswith("CREW-")}
    assert saved and in_database == saved and not refused & in_database
