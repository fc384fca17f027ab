"""The foreman's and project manager's pages."""
from flask import Blueprint, render_template

from portal.auth.roles import Role
from portal.auth.sessions import roles_required

bp = Blueprint("rectification", __name__, url_prefix="/notices")


@bp.get("/mine")
@roles_required(Role.FOREMAN, Role.PROJECT_MANAGER)
def my_notices():
    """Home of foremen and project managers: their open notices by deadline."""
    return render_template("rectification/my_notices.html", notices=[])
