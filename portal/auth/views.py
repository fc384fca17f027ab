"""Login, logout and the language switch."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.forms import LoginForm
from portal.auth.services import authenticate, normalise_username
from portal.auth.sessions import log_in, log_out
from portal.errors import render_error
from portal.extensions import limiter
from portal.i18n import LANGUAGE_NAMES
from portal.web import safe_next_url

bp = Blueprint("auth", __name__)

# Failed logins allowed per window (fixed: once exceeded, the key stays locked until the window
# ends). Counted per username *and* address, so that a stranger's guesses do not lock the owner
# out from his own phone; per address, so that one machine cannot try many usernames; and per
# username over all addresses, higher, against guesses spread over many machines.
LOGIN_FAILURE_LIMIT = "10 per 15 minutes"
ADDRESS_FAILURE_LIMIT = "30 per 15 minutes"
ACCOUNT_FAILURE_LIMIT = "50 per 15 minutes"


def _username() -> str:
    return normalise_username(request.form.get("username", ""))[:64]


def _login_key() -> str:
    """Rate-limit key: the username being tried from this address."""
    return f"login:{_username()}@{request.remote_addr}"


def _address_key() -> str:
    """Rate-limit key: this address, whatever username it tries."""
    return f"login-address:{request.remote_addr}"


def _account_key() -> str:
    """Rate-limit key: the username, from wherever it is tried."""
    return f"login-account:{_username()}"


def _failed(_response) -> bool:
    return bool(g.get("login_failed"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_FAILURE_LIMIT, key_func=_login_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(ADDRESS_FAILURE_LIMIT, key_func=_address_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(ACCOUNT_FAILURE_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    """Show the login form; on success go to the user's home page."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            log_in(user)
            if user.locale:
                session["lang"] = user.locale
            return redirect(safe_next_url(request.args.get("next")) or url_for("home.index"))
        g.login_failed = True
        form.password.errors.append(_("Wrong username or password."))
    status = 200 if not form.errors else 401 if g.get("login_failed") else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """End the session, here and for any copy of its cookie."""
    log_out()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Switch the interface language; remembered on the user's account."""
    language = request.form.get("language", "")
    if language in LANGUAGE_NAMES:
        session["lang"] = language
        if current_user.is_authenticated:
            current_user.locale = language
    target = safe_next_url(request.form.get("next")) or url_for("home.index")
    return redirect(target)


@bp.errorhandler(429)
def too_many_requests(_error):
    """Too many failed logins for a username: the login form again, with the message."""
    if request.endpoint == "auth.login":
        return login_throttled_response(_("Too many failed attempts for this username or from this network. Please wait 15 minutes and try again."))
    return render_error(429)


def login_throttled_response(message: str):
    """The login form with the throttling message (HTTP 429)."""
    form = LoginForm()
    form.password.errors = [message]
    current_app.logger.warning("login throttled for %s", _login_key())
    return render_template("auth/login.html", form=form), 429
