"""Error pages by status code: a full page, or a fragment for htmx requests."""
from __future__ import annotations

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.i18n import answer_without_database
from portal.params import BadParameter
from portal.web import is_htmx_request


class InsufficientStorage(HTTPException):
    """507: the file store refused a write (disk full, volume gone); werkzeug has no class for it."""

    code = 507
    description = "Insufficient storage"


def error_messages() -> dict[int, tuple[str, str]]:
    """Title and explanation per status code, in the user's language."""
    return {
        400: (_("Bad request"), _("The request could not be understood. Please reload the page and try again.")),
        403: (_("Not allowed"), _("Your account is not allowed to do this.")),
        404: (_("Not found"), _("This page does not exist, or you do not have access to it.")),
        405: (_("Not allowed"), _("This action is not available here.")),
        409: (_("Not possible now"), _("This record is finished or was changed meanwhile; it cannot be changed now.")),
        413: (_("Too large"), _("The upload is too large. Photos may be at most 20 MB.")),
        429: (_("Too many requests"), _("Too many attempts. Please wait a while and try again.")),
        500: (_("Something went wrong"), _("The error has been logged. Nothing was saved; please try again.")),
        507: (_("Storage full"), _("The file could not be stored. Nothing was saved; please try again later.")),
        503: (_("Temporarily unavailable"), _("The database cannot be reached right now. Nothing was saved; please try again in a moment.")),
    }


JSON_ERROR_NAMES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    405: "method_not_allowed", 413: "too_large", 429: "too_many_requests", 503: "unavailable"}


def answer_json_under(app: Flask, prefix: str) -> None:
    """Every error under the path ``prefix`` (a machine API) is answered as JSON, never as a page."""
    app.extensions.setdefault("portal.json_error_prefixes", set()).add(prefix.rstrip("/") + "/")


def _wants_json() -> bool:
    prefixes = current_app.extensions.get("portal.json_error_prefixes", ())
    return any(request.path.startswith(prefix) for prefix in prefixes)


# Seconds a client waits before sending again after a 503: a locked SQLite database frees up
# within a request's time, a restarted PostgreSQL within a few seconds. The phone's outbox honours it.
RETRY_AFTER_SECONDS = 3


def render_error(status: int, detail: str | None = None):
    """Render the error page (or fragment) for ``status``; JSON under a machine API's prefix.

    Server errors are answered without touching the database: it may be what failed (a 503 for
    a locked or unreachable database), and a second failure in the error page would turn the
    answer into a bare 500 after another wait for the lock.
    """
    if status >= 500:
        answer_without_database()
    try:
        return _render_error(status, detail)
    except OperationalError as error:
        # A refusal (400, 403, 404) renders the menu and the user's language, which need the
        # database; when it is locked or gone, the same refusal is answered without them.
        if g.get("without_database"):
            raise
        current_app.logger.error("database unavailable for the error page: %s", error)
        _roll_back()
        answer_without_database()
        return _render_error(status, detail)


def _render_error(status: int, detail: str | None):
    if _wants_json():
        return jsonify(error=JSON_ERROR_NAMES.get(status, "server_error" if status >= 500 else "bad_request")), status
    messages = error_messages()
    title, text = messages.get(status, messages[500] if status >= 500 else messages[400])
    template = "errors/_error.html" if is_htmx_request() else "errors/error.html"
    return render_template(template, status=status, title=title, text=detail or text), status


def handle_http_exception(error: HTTPException):
    """Any HTTP error raised with abort() (a blueprint may answer its own codes first, e.g. auth's 429)."""
    if isinstance(error, BadParameter):
        return render_error(400, error.description)
    return render_error(error.code or 500)


def handle_csrf_error(_error: CSRFError):
    """A missing or stale CSRF token: 400 with a hint to reload."""
    return render_error(400, _("The form has expired or was not sent from this site. Please reload the page and try again."))


def handle_database_unavailable(error: OperationalError):
    """The database went away (or is locked): log, roll back and answer 503; the pool reconnects by itself."""
    current_app.logger.error("database unavailable: %s", error)
    _roll_back()
    response = make_response(render_error(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_server_error(_error: Exception):
    """Unexpected errors: roll back whatever the request had started."""
    _roll_back()
    return render_error(500)


def _roll_back() -> None:
    """Roll back; a connection that is gone or a database that is locked must not fail the error page."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.exception("rollback failed")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InternalServerError, handle_server_error)
