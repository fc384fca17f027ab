"""The floors of the answer-save budgets: the least a save can cost on this machine.

A WSGI app served by gunicorn exactly as the portal is (``gunicorn.conf.py``, the same workers
and threads) and driven by the same locust users (``benchmarks/bench_load.py``, phases
``floor-…`` and ``sql-…``). Its trivial endpoint is the portal's: ``/healthz/live`` returns a
constant. Its save, by ``FLOOR_MODE``:

- ``write`` (default): only what no save of an answer can leave out — one ``UPDATE`` of the
  answer row on the generated dataset, committed (durably, as every save) on PostgreSQL;
- ``sql``: the portal's save's own SQL and nothing else — the same 8 statements with the same
  values (the session's user with his roles, the action id asked, the inspection and answer
  with its item, the answer updated, its change-log row, the progress counts, the item's photos,
  the action recorded) and the commit, every row fetched, through psycopg alone: no Flask-Login,
  CSRF, ORM objects, rules or templates.

Against its own trivial endpoint, ``write`` shows what a save costs that writes and does
nothing else; ``sql`` what the database work of the portal's save costs before any Python of
the portal runs.

Environment: ``FLOOR_DATABASE_URL`` (the dataset's database), ``FLOOR_MODE``.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone

import psycopg
from flask import Flask, request

app = Flask(__name__)
_local = threading.local()
MODE = os.environ.get("FLOOR_MODE", "write")

_WRITE = ("UPDATE answers SET outcome = %s, version = version + 1, updated_at = now() "
          "WHERE inspection_id = %s AND item_id = %s")
# The portal's save, statement by statement (benchmarks/plans/answer-save.txt), in its order.
_USER = ("SELECT users.id, users.username, users.display_name, users.phone, users.email, users.password_hash, "
         "users.active, users.locale, users.session_version, users.created_at, user_roles_1.user_id, "
         "user_roles_1.role FROM users JOIN user_sessions ON user_sessions.user_id = users.id "
         "LEFT OUTER JOIN user_roles AS user_roles_1 ON users.id = user_roles_1.user_id "
         "WHERE users.id = %s AND user_sessions.token_hash = %s AND user_sessions.ended_at IS NULL")
_DONE = ("SELECT id, user_id, client_id, endpoint, status, headers, body, captured_at, phone_clock_at, received_at, "
         "clock_offset_seconds FROM field_actions WHERE user_id = %s AND client_id = %s")
_ANSWER = ("SELECT answers.id, answers.outcome, answers.version, inspections.*, answers.*, checklist_items_1.* "
           "FROM answers "
           "JOIN inspections ON inspections.id = answers.inspection_id "
           "LEFT OUTER JOIN checklist_items AS checklist_items_1 ON checklist_items_1.id = answers.item_id "
           "WHERE answers.inspection_id = %s AND answers.item_id = %s")
_UPDATE = "UPDATE answers SET outcome = %s, updated_at = %s, version = %s WHERE answers.id = %s"
_CHANGE = ("INSERT INTO answer_changes (inspection_id, item_id, user_id, changed_at, captured_at, version, field, "
           "old_value, new_value) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING answer_changes.id")
_PROGRESS = ("SELECT checklist_items.category_id, checklist_categories.code, answers.outcome, count(*) FROM answers "
             "JOIN checklist_items ON answers.item_id = checklist_items.id JOIN checklist_categories "
             "ON checklist_categories.id = checklist_items.category_id WHERE answers.inspection_id = %s "
             "GROUP BY checklist_categories.position, checklist_items.category_id, checklist_categories.code, "
             "answers.outcome ORDER BY checklist_categories.position, checklist_items.category_id")
_PHOTOS = ("SELECT * FROM photos WHERE photos.inspection_id = %s AND photos.deleted_at IS NULL "
           "AND photos.item_id = ANY(%s) ORDER BY photos.id")
_RECORD = ("INSERT INTO field_actions (user_id, client_id, endpoint, status, headers, body, captured_at, "
           "phone_clock_at, received_at, clock_offset_seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
           "RETURNING field_actions.id")
_INSPECTOR = ("SELECT inspections.inspector_id, user_sessions.token_hash FROM inspections JOIN user_sessions "
              "ON user_sessions.user_id = inspections.inspector_id WHERE inspections.id = %s "
              "AND user_sessions.ended_at IS NULL ORDER BY user_sessions.id DESC LIMIT 1")


def _connection() -> psycopg.Connection:
    """This thread's connection (one per gunicorn thread, as the portal's pool holds at most)."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = os.environ["FLOOR_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        conn = _local.conn = psycopg.connect(url)
        _local.sessions = {}
    return conn


@app.get("/healthz")
@app.get("/healthz/live")
def live():
    """The trivial endpoint, as the portal's: a constant."""
    return "ok"


@app.post("/inspections/<int:inspection_id>/items/<int:item_id>")
def save(inspection_id: int, item_id: int):
    """One answer saved as ``FLOOR_MODE`` says; a measured value counts as a pass."""
    outcome = request.form.get("outcome") or "pass"
    conn = _connection()
    with conn.cursor() as cursor:
        if MODE == "sql":
            _portal_sql(cursor, inspection_id, item_id, outcome)
        else:
            cursor.execute(_WRITE, (outcome, inspection_id, item_id))
    conn.commit()
    return f'<li id="item-{item_id}">{outcome}</li>'


def _portal_sql(cursor: psycopg.Cursor, inspection_id: int, item_id: int, outcome: str) -> None:
    """The 8 statements of the portal's save, with its values, every row fetched."""
    if inspection_id not in _local.sessions:  # once per inspection and thread: who is logged in for it
        _local.sessions[inspection_id] = cursor.execute(_INSPECTOR, (inspection_id,)).fetchone()
    user_id, token_hash = _local.sessions[inspection_id]
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    client_id = request.form.get("client_id", "")
    cursor.execute(_USER, (user_id, token_hash)).fetchall()
    cursor.execute(_DONE, (user_id, client_id)).fetchall()
    answer = cursor.execute(_ANSWER, (inspection_id, item_id)).fetchone()
    answer_id, old, version = answer[:3]
    cursor.execute(_UPDATE, (outcome, now, version + 1, answer_id))
    cursor.execute(_CHANGE, (inspection_id, item_id, user_id, now, now, version + 1, "outcome", old,
                             outcome)).fetchone()
    cursor.execute(_PROGRESS, (inspection_id,)).fetchall()
    cursor.execute(_PHOTOS, (inspection_id, [item_id])).fetchall()
    cursor.execute(_RECORD, (user_id, client_id, "inspections.answer", 200, "{}", f"<li>{outcome}</li>", now, now,
                             now, 0)).fetchone()
