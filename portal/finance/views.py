"""Finance's home: look a project up before paying the completion settlement."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from portal.auth.roles import Role
from portal.auth.sessions import roles_required
from portal.extensions import db
from portal.projects.services import search_projects
from portal.web import render_page_or_fragment

bp = Blueprint("finance", __name__, url_prefix="/finance")


@bp.get("/")
@roles_required(Role.FINANCE, Role.OFFICE)
def lookup():
    """Search by 档案号, address or owner."""
    q = request.args.get("q", "")[:100]
    projects = db.session.scalars(search_projects(current_user, q).limit(50)).all() if q.strip() else []
    return render_page_or_fragment("finance/lookup.html", "finance/_results.html", "finance-results",
                                   q=q, projects=projects)
