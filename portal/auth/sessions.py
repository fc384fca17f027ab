"""Flask-Login wiring and access decorators."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from portal.auth.models import User
from portal.auth.permissions import AREAS, can
from portal.auth.services import end_session, start_session, user_of_open_session

# The session key of this login's token (its row in user_sessions).
SESSION_TOKEN_KEY = "sid"


def init_login(app: Flask, login_manager: LoginManager) -> None:
    """Configure Flask-Login: login view, message and user loader."""
    # Flask-Login's own context processor loads the user for every template, also for pages
    # that never show him (the error page of a locked or unreachable database must not query
    # it): templates get the lazy proxy, which loads the user when a template uses it.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def unauthorized():
    """Pages redirect to the login; htmx and upload requests get 401, so scripts can tell."""
    if request.headers.get("HX-Request"):
        return render_template("errors/_error.html", status=401, title=_l("Logged out"),
                               text=_l("Your session has ended. Please log in again; nothing was lost on this phone.")), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def load_user(user_id: str):
    """Load the user of a session id ``"<id>:<session_version>"`` whose login has not ended;
    stale ids, ended logins and deactivated users are logged out."""
    try:
        pk, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = user_of_open_session(pk, session.get(SESSION_TOKEN_KEY))
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def log_in(user: User) -> None:
    """Start a fresh session for ``user`` on this device, recorded so that it can be ended anywhere."""
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN_KEY] = start_session(user, request.remote_addr, request.user_agent.string)
    login_user(user)


def log_out() -> None:
    """End this device's session: its record is closed, so a copy of the cookie is worthless."""
    end_session(session.get(SESSION_TOKEN_KEY), "logout")
    logout_user()
    session.clear()


def permission_required(area: str, action: str = "view"):
    """Allow the view only to logged-in users who ``can`` do ``action`` in ``area`` (403 otherwise).

    Reads the same table (:data:`portal.auth.permissions.AREAS`) as the menu and the templates.
    An area or action missing from it fails at import, not as a 403 on the first request; the
    guarded view carries ``permission`` so that tests can list what guards each view.
    """
    if action not in AREAS.get(area, {}):
        raise LookupError(f"no permission {action!r} on area {area!r}")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, area, action):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = (area, action)
        return wrapped

    return decorator
