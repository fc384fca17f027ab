"""Engine settings that depend on the database backend."""
from __future__ import annotations

from functools import partial

from flask import Flask
from sqlalchemy import event

from portal.extensions import db


def configure_engine_events(app: Flask) -> None:
    """Give SQLite real transactions, savepoints and foreign keys, and let it hold a small crew.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's
    documented recipe takes it over so SQLite behaves like PostgreSQL for the portal. In WAL
    mode a writer does not block reads from other processes (backups, ``flask`` commands); a
    request waits up to ``SQLITE_BUSY_TIMEOUT_MS`` for another's write lock, once (the error
    page does not query the database again), and then answers 503 with Retry-After
    (:mod:`portal.errors`).
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if getattr(engine, "_portal_sqlite_events", False):
        return
    event.listen(engine, "connect", partial(_sqlite_connect, app.config["SQLITE_BUSY_TIMEOUT_MS"]))
    event.listen(engine, "begin", _sqlite_begin)
    engine._portal_sqlite_events = True  # type: ignore[attr-defined]


def _sqlite_connect(busy_timeout_ms: int, dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes the write lock up front: with a deferred BEGIN, two requests that read
    # and then write would fail at once with "database is locked" instead of waiting
    # (busy_timeout only helps when the lock is asked for at the start).
    conn.exec_driver_sql("BEGIN IMMEDIATE")
