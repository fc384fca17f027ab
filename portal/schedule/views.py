"""Engineering's weekly list of projects ready for pre-acceptance."""
from flask import Blueprint, render_template
from sqlalchemy import select

from portal.auth.roles import Role
from portal.auth.sessions import roles_required
from portal.extensions import db
from portal.projects.models import Project, ProjectStatus

bp = Blueprint("schedule", __name__, url_prefix="/schedule")


@bp.get("/submissions")
@roles_required(Role.ENGINEERING, Role.OFFICE)
def submissions():
    """Engineering's home: projects whose company work is complete, ready to be listed."""
    ready = db.session.scalars(
        select(Project).where(Project.status == ProjectStatus.WORK_COMPLETE.value).order_by(Project.planned_completion)
    ).all()
    return render_template("schedule/submissions.html", ready=ready)
