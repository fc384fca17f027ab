"""Engine settings that depend on the database backend."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from portal.extensions import db


def configure_engine_events(app: Flask) -> None:
    """Give SQLite real transactions, savepoints and foreign keys.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's
    documented recipe takes it over so SQLite behaves like PostgreSQL for the portal.
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if getattr(engine, "_portal_sqlite_events", False):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    engine._portal_sqlite_events = True  # type: ignore[attr-defined]


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # IMMEDIATE takes the write lock up front: with a deferred BEGIN, two requests that read
    # and then write would fail at once with "database is locked" instead of waiting
    # (busy_timeout only helps when the lock is asked for at the start).
    conn.exec_driver_sql("BEGIN IMMEDIATE")
