"""The floor of the answer-save budgets: the least a save can cost on this machine.

A WSGI app served by gunicorn exactly as the portal is (``gunicorn.conf.py``, the same workers
and threads) and driven by the same locust users (``benchmarks/bench_load.py``, phases
``floor-…``). Its save does only what no save of an answer can leave out: one ``UPDATE`` of the
answer row on the generated dataset, committed (durably, as every save) on PostgreSQL. No
session, CSRF, authorisation, audit row, action id, progress or fragment; no ORM. Its trivial
endpoint is the portal's: ``/healthz/live`` returns a constant.

What this app reaches against its own trivial endpoint bounds what any implementation of the
save can reach in the budgets that divide by the trivial endpoint (issue #19): the portal's save
does all of this and more.

Environment: ``FLOOR_DATABASE_URL`` (the dataset's database).
"""
from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, request

app = Flask(__name__)
_local = threading.local()
_UPDATE = ("UPDATE answers SET outcome = %s, version = version + 1, updated_at = now() "
           "WHERE inspection_id = %s AND item_id = %s")


def _connection() -> psycopg.Connection:
    """This thread's connection (one per gunicorn thread, as the portal's pool holds at most)."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = os.environ["FLOOR_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.conn = psycopg.connect(url)
    return conn


@app.get("/healthz")
@app.get("/healthz/live")
def live():
    """The trivial endpoint, as the portal's: a constant."""
    return "ok"


@app.post("/inspections/<int:inspection_id>/items/<int:item_id>")
def save(inspection_id: int, item_id: int):
    """One answer written and committed; a measured value counts as a pass."""
    outcome = request.form.get("outcome") or "pass"
    conn = _connection()
    with conn.cursor() as cursor:
        cursor.execute(_UPDATE, (outcome, inspection_id, item_id))
    conn.commit()
    return f'<li id="item-{item_id}">{outcome}</li>'
