"""The inspector's pages."""
from flask import Blueprint, render_template

from portal.auth.roles import Role
from portal.auth.sessions import roles_required
from portal.timeutil import local_today

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


@bp.get("/today")
@roles_required(Role.INSPECTOR, Role.OFFICE)
def today():
    """The inspector's home: today's inspections, then upcoming ones."""
    return render_template("inspections/today.html", today=local_today(), todays=[], upcoming=[])
