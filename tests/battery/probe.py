"""Sending a probe as one role and judging the answer: never a 5xx, and a refusal changes nothing."""
from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import BigInteger, Integer, String, cast, func, literal, select, union_all

from portal.extensions import db
from portal.numbering import NumberSequence

from tests.battery.strategies import Probe
from tests.battery.world import ANON, World
from tests.conftest import snapshot
from tests.hostile import call


def client_as(app: Flask, world: World, role: str):
    """A fresh test client carrying ``role``'s login (none for anonymous): no state from earlier probes."""
    client = app.test_client()
    if role != ANON:
        client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), world.cookies[role])
    return client


def _form_data(form: dict) -> dict:
    """Form values as the test client takes them (files as fresh streams: each send reads them)."""
    return {name: (io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
            for name, value in form.items()}


def send(app: Flask, world: World, role: str, method: str, probe: Probe, baseline: dict | None = None) -> str | None:
    """Send ``probe`` as ``role``; what is wrong with the answer, or None.

    ``baseline`` (the database before the request): a refused request (≥ 400) must leave it as it was.
    """
    response, error = call(client_as(app, world, role), probe.path, method=method, query_string=probe.query,
                           data=_form_data(probe.form) if method != "GET" else None, headers=probe.headers)
    if error:
        return f"500 ({error})"
    if response.status_code >= 500:
        return f"{response.status_code}"
    if baseline is not None and response.status_code >= 400 and fingerprint() != baseline["fingerprint"]:
        return f"{response.status_code} but the database changed: {changes(baseline, snapshot())}"
    return None


def send_answer(app: Flask, world: World, role: str, method: str, probe: Probe):
    """(status or None when the app raised, login redirect?) of ``probe`` sent as ``role``."""
    response, _error = call(client_as(app, world, role), probe.path, method=method, query_string=probe.query,
                            data=_form_data(probe.form) if method != "GET" else None, headers=probe.headers)
    if response is None:
        return None, False
    return response.status_code, "/login" in (response.location or "")


def database_state() -> dict:
    """The database before the battery's requests: rows and counters, and their fingerprint."""
    return {**snapshot(), "fingerprint": fingerprint()}


def fingerprint() -> tuple:
    """Row count, sum and maximum of the first key column of every table, and the counters: one query.

    Cheap enough to take after every refused request; when it differs, :func:`changes` says what.
    """
    parts = []
    for table in db.metadata.sorted_tables:
        key = list(table.primary_key.columns)[0]
        total = func.sum(key if isinstance(key.type, Integer) else func.length(key))
        parts.append(select(literal(table.name), func.count(), cast(func.coalesce(total, 0), BigInteger),
                            cast(func.coalesce(cast(func.max(key), String), ""), String)).select_from(table))
    parts.append(select(NumberSequence.series, NumberSequence.last_value, cast(literal(0), BigInteger),
                        cast(literal(""), String)))
    return tuple(sorted(tuple(row) for row in db.session.execute(union_all(*parts))))


def changes(before: dict, after: dict) -> str:
    """Which tables gained or lost rows and which counters moved between two snapshots."""
    diffs = [f"{table} +{len(after['rows'][table] - rows)}/-{len(rows - after['rows'][table])}"
             for table, rows in before["rows"].items() if rows != after["rows"][table]]
    diffs += [f"counter {name}" for name, value in before["counters"].items() if after["counters"].get(name) != value]
    return ", ".join(diffs)
