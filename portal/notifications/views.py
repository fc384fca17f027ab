"""The user's notifications."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from portal.auth.sessions import permission_required
from portal.extensions import db
from portal.notifications.models import Notification
from portal.notifications.services import unread_count
from portal.timeutil import utcnow

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def unread() -> dict:
    """The unread count for the navigation badge (one query, only for logged-in users).

    Asked only when the menu is shown: a page without it (the error page of a locked
    database) must not load the user.
    """
    def count() -> int:
        signed_in = current_user and current_user.is_authenticated  # None outside requests (PDFs from scripts)
        return unread_count(current_user) if signed_in else 0

    return {"unread_notifications": count}


@bp.get("/")
@permission_required("notifications")
def index():
    """The latest notifications, newest first."""
    rows = db.session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                              .order_by(Notification.id.desc()).limit(100)).all()
    return render_template("notifications/index.html", rows=rows)


@bp.post("/read")
@login_required
def mark_read():
    """Mark all as read."""
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    return redirect(url_for("notifications.index"))
