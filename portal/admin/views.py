"""Admin pages: list, create and edit users, reset passwords, deactivate."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _
from sqlalchemy import select

from portal.admin.forms import NewUserForm, PasswordResetForm, UserForm
from portal.api.models import ApiToken
from portal.api.tokens import create_token, revoke_token
from portal.auth.models import User
from portal.auth.permissions import authorise
from portal.auth.roles import Role
from portal.auth.services import create_user, reset_password, update_account
from portal.auth.sessions import permission_required
from portal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def get_user_or_404(user_id: int, admin: User, action: str = "view") -> User:
    """Load an account ``admin`` may ``action`` (404 when there is none or hidden, 403 otherwise)."""
    return authorise(admin, db.session.get(User, user_id), action)


@bp.get("/users")
@permission_required("users")
def users():
    """All accounts, active first."""
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("users", "edit")
def new_user():
    """Create an account."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.display_name.data, form.password.data,
                               {Role(r) for r in form.roles.data}, form.phone.data)
        except ValueError:
            form.username.errors.append(_("This username is taken."))
        else:
            user.active = form.active.data
            user.email = form.email.data or None
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("users", "edit")
def edit_user(user_id: int):
    """Change name, phone, roles, or deactivate (never delete)."""
    user = get_user_or_404(user_id, current_user)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        update_account(user, display_name=form.display_name.data, phone=form.phone.data, email=form.email.data,
                       active=form.active.data, roles={Role(r) for r in form.roles.data})
        flash(_("User %(name)s saved.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user,
                           reset_form=PasswordResetForm()), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/password")
@permission_required("users", "edit")
def reset_user_password(user_id: int):
    """Set a new password; the user's open sessions end."""
    user = get_user_or_404(user_id, current_user)
    form = PasswordResetForm()
    if form.validate_on_submit():
        reset_password(user, form.password.data)
        flash(_("Password of %(name)s reset.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=UserForm(obj=user), user=user, reset_form=form), 422


@bp.get("/api-tokens")
@permission_required("api_tokens")
def api_tokens():
    """Tokens of the accounting API (the token itself is shown only when created)."""
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template("admin/api_tokens.html", rows=rows, new_token=None)


@bp.post("/api-tokens")
@permission_required("api_tokens", "create")
def create_api_token():
    """Create a token and show it once."""
    _row, token = create_token(request.form.get("name", ""), current_user)
    rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all()
    return render_template("admin/api_tokens.html", rows=rows, new_token=token)


@bp.post("/api-tokens/<int:token_id>/revoke")
@permission_required("api_tokens", "revoke")
def revoke_api_token(token_id: int):
    """The token stops working at once."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        abort(404)
    revoke_token(row)
    flash(_("Token revoked."), "success")
    return redirect(url_for("admin.api_tokens"))
