"""``/healthz``: is the app up and can it reach its database?"""
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 with ``database: ok``, or 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/healthz/live")
@limiter.exempt
def live():
    """The process answers; no database involved (load-test baseline, liveness probe)."""
    return jsonify(status="ok")
