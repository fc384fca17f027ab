"""The office's home page."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.auth.sessions import roles_required
from portal.extensions import db
from portal.projects.models import Project, ProjectStatus

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.get("/")
@roles_required(Role.OFFICE)
def index():
    """Overview for the quality office."""
    counts = dict(db.session.execute(select(Project.status, func.count()).group_by(Project.status)).all())
    by_status = [(status, counts.get(status.value, 0)) for status in ProjectStatus]
    return render_template("dashboard/index.html", by_status=by_status)
