"""The root URL sends each user to the home page of his role."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.auth.roles import home_endpoint

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    """Redirect to the user's home page (the first of his roles, see ROLE_HOMES)."""
    endpoint = home_endpoint(current_user.roles)
    if endpoint is None:
        return render_template("home/no_role.html")
    return redirect(url_for(endpoint))
